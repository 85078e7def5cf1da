// Admin routes for the queues (issue 4, behaviour 6): failed jobs stay inspectable and can be
// retried. Mounted by the process as `app.use(createJobsAdminRouter({ queues, requireAdmin, resend }))`;
// the paths are absolute (`/admin/api/jobs/...`) unless `basePath` says otherwise.
//
// Retrying a failed SEND is a real, audited resend of its message, not a re-run of the job: the
// message already ended 'failed' (statuses only move forward), so a bare job re-run would find
// nothing to do. `POST /admin/api/messages/{id}/resend` (and `POST /admin/api/jobs/send-{id}/retry`)
// moves the message back to 'queued' through the store's requeue (audit log, ledger reset), removes
// its finished job and enqueues it again through its conversation's lane, so order is kept and
// eligibility is checked again at send time. A message whose previous send may have reached the
// contact (outcome unknown) is only resent with `{ "force": true }`. Delivery jobs (posting to
// chat, idempotent per channel) are simply re-run.
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { AuditRepo } from '../src/core/ports.js';
import type { Job, JobState, Queue } from 'bullmq';
import type { RequeueRefusalCode, RequeueResult, SqliteMessageRepo } from '../src/store/index.js';
import { attemptsMadeOf, jobIdFor } from './lanes.js';
import { SEND_KIND, type BullOutboundQueue } from './outboundQueue.js';

/** Audit actor of resends asked through this API. */
export const ADMIN_API_ACTOR = 'admin-api';

export interface ResendOptions {
  /** The store's message repo (requeue is on the SQLite store, not the core's port). */
  messages: Pick<SqliteMessageRepo, 'requeue' | 'get'>;
  /** The send queue producer (job lookup, removal of the finished job, ordered enqueue). */
  queue: BullOutboundQueue;
}

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
  /** Said when the message was queued already (an earlier resend could not reach the queue). */
  note?: string;
}

export interface JobsAdminOptions {
  /** The queues to look in: send and deliver. */
  queues: Queue[];
  /** Authentication middleware (src/admin requireAdmin(config.adminToken)). */
  requireAdmin: RequestHandler;
  /** Default '/admin/api'. */
  basePath?: string;
  /** Most failed jobs listed per queue (default 100). */
  limit?: number;
  /** Enables real resends of failed sends (message route; send jobs' retry). */
  resend?: ResendOptions;
  /** Where job retries and queue hand-offs are recorded (requeues record themselves). */
  audit?: Pick<AuditRepo, 'record'>;
  /**
   * Asked before each request (after the token): false answers 503 at once. The queues' client
   * holds commands while Redis is away, so without it a request would wait until Redis returns.
   */
  redisAnswers?: () => Promise<boolean>;
}

export interface FailedJobView {
  id: string;
  queue: string;
  name: string;
  messageId: string | null;
  conversationId: string | null;
  failedReason: string;
  attemptsMade: number;
  createdAt: string | null;
  failedAt: string | null;
}

function view(queue: Queue, job: Job): FailedJobView {
  const data = (job.data ?? {}) as { id?: unknown; lane?: unknown };
  return {
    id: job.id ?? '',
    queue: queue.name,
    name: job.name,
    messageId: typeof data.id === 'string' ? data.id : null,
    conversationId: typeof data.lane === 'string' ? data.lane : null,
    failedReason: job.failedReason ?? '',
    // Attempts made in place by the job before it (lanes.ts, "Drain in place") count too.
    attemptsMade: attemptsMadeOf(job),
    createdAt: job.timestamp ? new Date(job.timestamp).toISOString() : null,
    failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
  };
}

const JOB_ID = /^[A-Za-z0-9_.-]{1,200}$/;
const MESSAGE_ID = /^[A-Za-z0-9_.-]{1,200}$/;

/** Job states in which the job may still run: the message is not settled yet. */
const PENDING_STATES: ReadonlySet<JobState | 'unknown'> = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);

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

/**
 * Resends one outbound message (see the header). Refusals answer 404/409 with the reason; a
 * success answers 200 with a ResendView.
 */
async function resendMessage(
  r: ResendOptions,
  audit: JobsAdminOptions['audit'],
  messageId: string,
  force: boolean,
  res: Response,
): Promise<void> {
  const jobId = jobIdFor(SEND_KIND, messageId);
  const standing = await r.queue.ordered.standing(messageId, r.messages.get(messageId)?.conversationId);
  // Being sent in place by the job of the message before it (lanes.ts): not settled.
  if (standing.inPlace) {
    sendError(res, 409, 'conflict', `Message ${messageId} is still being processed (sent by the job of the message before it); try again shortly.`, 'job_pending');
    return;
  }
  const { job, state } = standing;
  // Its job may still run (a retry, a hold, the last moments of a failing attempt): not settled.
  if (state !== null && PENDING_STATES.has(state)) {
    sendError(res, 409, 'conflict', `Message ${messageId} is still being processed (job ${jobId} is ${state}); try again shortly.`, 'job_pending');
    return;
  }
  const result: RequeueResult = r.messages.requeue(messageId, { actor: ADMIN_API_ACTOR, force });
  let view: ResendView;
  if (result.ok) {
    view = {
      messageId,
      conversationId: result.message.conversationId,
      status: 'queued',
      jobId,
      previous: { status: result.previous.status, reason: result.previous.statusReason, errorCode: result.previous.errorCode },
      possibleDuplicate: result.possibleDuplicate,
    };
    if (result.possibleDuplicate) view.warning = POSSIBLE_DUPLICATE_WARNING;
  } else {
    // Queued, and no job of it is pending: an earlier resend was recorded but its hand-off to the
    // queue failed (Redis down). Asking again hands it on (idempotent) instead of refusing it,
    // or it would wait for the next restart's recovery.
    const stuck = result.code === 'not_failed' ? r.messages.get(messageId) : null;
    if (stuck?.direction !== 'outbound' || stuck.status !== 'queued') {
      sendError(res, REFUSAL_STATUS[result.code], result.code === 'not_found' ? 'not_found' : 'conflict', result.reason, result.code);
      return;
    }
    view = {
      messageId,
      conversationId: stuck.conversationId,
      status: 'queued',
      jobId,
      previous: { status: stuck.status, reason: stuck.statusReason, errorCode: stuck.errorCode },
      possibleDuplicate: false,
      note: 'The message was queued already; it was handed to the send queue again.',
    };
  }
  // A finished job keeps the job id (pending ones were refused above); it must go, or the enqueue
  // below would be a no-op.
  if (job) await job.remove();
  await r.queue.enqueueSend(messageId, view.conversationId);
  if (!result.ok) {
    // Not a requeue (those count resend generations): a hand-off of the same send, recorded apart.
    audit?.record({ actor: ADMIN_API_ACTOR, action: 'message.handoff', target: messageId, before: { status: 'queued' }, after: { status: 'queued', handedOn: true } });
  }
  res.json(view);
}

export function createJobsAdminRouter(opts: JobsAdminOptions): Router {
  const base = (opts.basePath ?? '/admin/api').replace(/\/+$/, '');
  const limit = opts.limit ?? 100;
  const router = Router();
  const redisUp: RequestHandler = (_req, res, next) => {
    if (!opts.redisAnswers) return next();
    opts.redisAnswers().then(
      (up) => {
        if (up) return next();
        res.set('Retry-After', '5');
        sendError(res, 503, 'unavailable', 'Redis does not answer: the queues cannot be read or changed now (nothing was changed). Try again once /readyz answers 200.');
      },
      (err: unknown) => next(err),
    );
  };

  router.get(`${base}/jobs/failed`, opts.requireAdmin, redisUp, async (_req, res, next) => {
    try {
      const jobs: FailedJobView[] = [];
      for (const q of opts.queues) {
        for (const job of await q.getFailed(0, limit - 1)) if (job) jobs.push(view(q, job));
      }
      res.json({ jobs });
    } catch (err) {
      next(err);
    }
  });

  router.post(`${base}/messages/:id/resend`, opts.requireAdmin, redisUp, optionalJson, async (req, res, next) => {
    try {
      const id = String(req.params.id ?? '');
      if (!MESSAGE_ID.test(id)) {
        sendError(res, 400, 'invalid_input', 'Not a message id.');
        return;
      }
      if (!opts.resend) {
        sendError(res, 501, 'not_implemented', 'Resending messages is not enabled on this bridge.');
        return;
      }
      await resendMessage(opts.resend, opts.audit, id, wantsForce(req), res);
    } catch (err) {
      next(err);
    }
  });

  router.post(`${base}/jobs/:id/retry`, opts.requireAdmin, redisUp, optionalJson, async (req, res, next) => {
    try {
      const id = String(req.params.id ?? '');
      if (!JOB_ID.test(id)) {
        res.status(400).json({ error: { code: 'invalid_input', message: 'Not a job id.' } });
        return;
      }
      for (const q of opts.queues) {
        const job = await q.getJob(id);
        if (!job) continue;
        // A send job: resend its message for real (audited, ordered), see the header.
        const messageId = (job.data as { id?: unknown } | undefined)?.id;
        if (opts.resend && q.name === opts.resend.queue.ordered.queue.name && typeof messageId === 'string') {
          await resendMessage(opts.resend, opts.audit, messageId, wantsForce(req), res);
          return;
        }
        const state = await job.getState();
        if (state !== 'failed') {
          res.status(409).json({ error: { code: 'conflict', message: `Job ${id} is ${state}, not failed.` } });
          return;
        }
        await job.retry('failed', { resetAttemptsMade: true });
        opts.audit?.record({ actor: ADMIN_API_ACTOR, action: 'job.retry', target: `${q.name}/${id}`, before: { state }, after: { state: 'waiting' } });
        res.json({ id, queue: q.name, state: 'waiting' });
        return;
      }
      res.status(404).json({ error: { code: 'not_found', message: `No job ${id}.` } });
    } catch (err) {
      next(err);
    }
  });

  return router;
}
