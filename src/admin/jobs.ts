// Admin routes for work that failed for good (issue 4, behaviour 6): every failure is kept in the
// outbox (state 'failed', with its reason and attempts) and on its message (status, reason), so it
// stays inspectable and can be done again, whatever Redis kept.
//  - GET  /admin/api/jobs/failed: failed sends and chat deliveries, newest first, each with its
//    message id (`id` is `<lane>-<messageId>`, e.g. `send-0192...`), contact, number, text and
//    its preview (cut at 140 characters, for lists).
//  - POST /admin/api/messages/{id}/resend: an audited resend of a failed or undelivered outbound
//    message, at the end of its conversation's send order (order kept; eligibility checked again
//    at send time). A message whose previous send may have reached the contact (outcome unknown)
//    is only resent with `{"force": true}`. Audit entries name the admin (adminIdentity).
//  - POST /admin/api/jobs/{id}/retry: the same for `send-<messageId>`; `deliver-<messageId>`
//    posts a message into chat again (idempotent per thread), audited.
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Lane, OutboxItem, TurnQueue } from '../core/ports.js';
import { adminIdentity } from './identity.js';
import type { BridgeStore, RequeueRefusalCode } from '../infra/store/index.js';

/** The answer to a successful resend. */
export interface ResendView {
  messageId: string;
  conversationId: string;
  status: 'queued';
  jobId: string;
  previous: { status: string; reason: string | null; errorCode: string | null };
  /** True when the previous send may have reached the contact and the admin forced the resend. */
  possibleDuplicate: boolean;
  /** Said when possibleDuplicate: the contact may receive the message twice. */
  warning?: string;
  /** Said when the message was queued already with no pending send (handed on again). */
  note?: string;
}

export interface FailedJobView {
  id: string;
  queue: Lane;
  name: Lane;
  messageId: string;
  conversationId: string;
  failedReason: string;
  attemptsMade: number;
  createdAt: string;
  failedAt: string;
  number: string | null;
  contact: string | null;
  text: string | null;
  /** The text cut to 140 characters (with "…"), for lists. */
  preview: string | null;
  /** Pictures the message carries (a text may be empty). */
  mediaCount: number;
}

/** Longest text shown in a list before it is cut. */
export const PREVIEW_CHARS = 140;

export function preview(text: string | null): string | null {
  if (text === null) return null;
  const chars = [...text];
  return chars.length <= PREVIEW_CHARS ? text : `${chars.slice(0, PREVIEW_CHARS - 1).join('')}…`;
}

export interface JobsAdminOptions {
  store: Pick<BridgeStore, 'messages' | 'conversations' | 'outbox' | 'transaction' | 'audit'>;
  queue: TurnQueue;
  /** Authentication middleware (requireAdmin(config.adminToken)). */
  requireAdmin: RequestHandler;
  /** Default '/admin/api'. */
  basePath?: string;
  /** Most failed jobs listed (default 100). */
  limit?: number;
}

const ID = /^[A-Za-z0-9_.-]{1,200}$/;

const REFUSAL_STATUS: Record<RequeueRefusalCode, number> = {
  not_found: 404,
  not_outbound: 409,
  not_failed: 409,
  outcome_unknown: 409,
};

export const POSSIBLE_DUPLICATE_WARNING =
  'The previous send may have reached the contact (its outcome is unknown); this resend may deliver the message twice.';

// Optional small JSON body ({ "force": true }); no body at all is fine.
const optionalJson = express.json({ limit: '16kb', type: ['application/json', 'application/*+json'] });

function wantsForce(req: Request): boolean {
  const body = (req.body ?? {}) as { force?: unknown };
  return body.force === true || req.query.force === 'true' || req.query.force === '1';
}

function sendError(res: Response, status: number, code: string, message: string, reason?: string): void {
  res.status(status).json({ error: reason ? { code, reason, message } : { code, message } });
}

const jobId = (lane: Lane, messageId: string): string => `${lane}-${messageId}`;

export function createJobsAdminRouter(opts: JobsAdminOptions): Router {
  const { store } = opts;
  const base = (opts.basePath ?? '/admin/api').replace(/\/+$/, '');
  const router = Router();
  const wake = (item: OutboxItem) => opts.queue.wake(item.lane, item.conversationId, `m${item.seq}`);

  async function view(item: OutboxItem): Promise<FailedJobView | null> {
    if (!item.messageId) return null;
    const message = await store.messages.get(item.messageId);
    const conversation = await store.conversations.get(item.conversationId);
    return {
      id: jobId(item.lane, item.messageId),
      queue: item.lane,
      name: item.lane,
      messageId: item.messageId,
      conversationId: item.conversationId,
      failedReason: item.lastError ?? message?.statusReason ?? '',
      attemptsMade: item.attempts,
      createdAt: item.createdAt,
      failedAt: item.updatedAt,
      number: conversation?.number ?? null,
      contact: conversation?.contact ?? null,
      text: message?.body ?? null,
      preview: preview(message?.body ?? null),
      mediaCount: message?.media.length ?? 0,
    };
  }

  /** Resends one outbound message (see the header): 404/409 with the reason, or 200 with a ResendView. */
  async function resend(messageId: string, force: boolean, res: Response): Promise<void> {
    const actor = adminIdentity(res).name;
    // The pending check runs inside the transaction: no send can be queued between it and the requeue.
    const outcome = await store.transaction(async () => {
      const pending = await store.outbox.findByMessage('send', messageId);
      if (pending && pending.state !== 'failed') return { kind: 'pending' } as const;
      const result = await store.messages.requeue(messageId, { actor, force });
      if (!result.ok) {
        // Queued with nothing pending: its hand-off was lost (a crash between two versions): hand it on.
        const stuck = result.code === 'not_failed' ? await store.messages.get(messageId) : null;
        if (stuck?.direction !== 'outbound' || stuck.status !== 'queued') return { kind: 'refused', refused: result } as const;
        await store.audit.record({ actor, action: 'message.handoff', target: messageId, before: { status: 'queued' }, after: { status: 'queued', handedOn: true } });
        return { kind: 'stuck', stuck, item: await store.outbox.add('send', stuck.conversationId, messageId) } as const;
      }
      if (pending) await store.outbox.remove(pending.seq);
      return { kind: 'requeued', result, item: await store.outbox.add('send', result.message.conversationId, messageId) } as const;
    });
    if (outcome.kind === 'pending') {
      sendError(res, 409, 'conflict', `Message ${messageId} is still waiting to be sent or being sent; try again once it has failed.`, 'job_pending');
      return;
    }
    if (outcome.kind === 'refused') {
      const r = outcome.refused;
      sendError(res, REFUSAL_STATUS[r.code], r.code === 'not_found' ? 'not_found' : 'conflict', r.reason, r.code);
      return;
    }
    await wake(outcome.item);
    if (outcome.kind === 'stuck') {
      const { stuck } = outcome;
      res.json({
        messageId,
        conversationId: stuck.conversationId,
        status: 'queued',
        jobId: jobId('send', messageId),
        previous: { status: stuck.status, reason: stuck.statusReason, errorCode: stuck.errorCode },
        possibleDuplicate: false,
        note: 'The message was queued already; it was handed to the send queue again.',
      } satisfies ResendView);
      return;
    }
    const { result } = outcome;
    const view: ResendView = {
      messageId,
      conversationId: result.message.conversationId,
      status: 'queued',
      jobId: jobId('send', messageId),
      previous: { status: result.previous.status, reason: result.previous.statusReason, errorCode: result.previous.errorCode },
      possibleDuplicate: result.possibleDuplicate,
    };
    if (result.possibleDuplicate) view.warning = POSSIBLE_DUPLICATE_WARNING;
    res.json(view);
  }

  /** Posts a message into chat again after its delivery failed for good. */
  async function redeliver(messageId: string, res: Response): Promise<void> {
    const actor = adminIdentity(res).name;
    // Looked up inside the transaction, so the item cannot change between the check and the retry.
    const outcome = await store.transaction(async () => {
      const item = await store.outbox.findByMessage('deliver', messageId);
      if (!item) return { kind: 'missing' } as const;
      if (item.state !== 'failed') return { kind: 'pending', state: item.state } as const;
      await store.outbox.remove(item.seq);
      await store.audit.record({
        actor,
        action: 'job.retry',
        target: `deliver/${jobId('deliver', messageId)}`,
        before: { state: 'failed', reason: item.lastError },
        after: { state: 'waiting' },
      });
      return { kind: 'again', item: await store.outbox.add('deliver', item.conversationId, messageId) } as const;
    });
    if (outcome.kind === 'missing') {
      sendError(res, 404, 'not_found', `No chat delivery of message ${messageId} is known.`);
      return;
    }
    if (outcome.kind === 'pending') {
      sendError(res, 409, 'conflict', `The chat delivery of message ${messageId} is ${outcome.state}, not failed.`, 'job_pending');
      return;
    }
    await wake(outcome.item);
    res.json({ id: jobId('deliver', messageId), queue: 'deliver', state: 'waiting' });
  }

  router.get(`${base}/jobs/failed`, opts.requireAdmin, async (_req, res) => {
    const jobs: FailedJobView[] = [];
    for (const item of await store.outbox.listFailed({ limit: opts.limit ?? 100 })) {
      const v = await view(item);
      if (v !== null) jobs.push(v);
    }
    res.json({ jobs });
  });

  router.post(`${base}/messages/:id/resend`, opts.requireAdmin, optionalJson, async (req, res, next) => {
    try {
      const id = String(req.params.id ?? '');
      if (!ID.test(id)) return sendError(res, 400, 'invalid_input', 'Not a message id.');
      await resend(id, wantsForce(req), res);
    } catch (err) {
      next(err);
    }
  });

  router.post(`${base}/jobs/:id/retry`, opts.requireAdmin, optionalJson, async (req, res, next) => {
    try {
      const id = String(req.params.id ?? '');
      const match = /^(send|deliver)-(.+)$/.exec(id);
      if (!ID.test(id) || !match) return sendError(res, 400, 'invalid_input', 'Not a job id (send-<messageId> or deliver-<messageId>, as GET /jobs/failed lists them).');
      const [, lane, messageId] = match as unknown as [string, Lane, string];
      if (lane === 'send') await resend(messageId, wantsForce(req), res);
      else await redeliver(messageId, res);
    } catch (err) {
      next(err);
    }
  });

  return router;
}
