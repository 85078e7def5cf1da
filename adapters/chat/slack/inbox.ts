// Stored before acknowledged, for Slack events. Bolt answers an event before its listener runs
// (Slack wants an answer within 3 s and retries otherwise), so a crash or a kill while a reply is
// being handled (users.info, file downloads: seconds) would lose it: Slack got its 200 and never
// sends it again. This middleware sits in front of Bolt's receiver: it reads the body once (and
// hands the same bytes to Bolt as req.rawBody), checks Slack's signature, and stores each signed
// message event in the chat inbox BEFORE Bolt answers, and in the same transaction a reply takes
// its place in its conversation's order (the caller's `accept`, awaited until it committed; when it
// fails the event is answered 503 and Slack sends it again). The stored event names this instance
// as its owner; the listener marks it done when handled. What is still open when its owner is no
// longer alive is replayed by one of the instances that are (inboxTakeover.ts), or by the owner's
// next start.
import { isValidSlackRequest } from '@slack/bolt';
import type { RequestHandler } from 'express';
import getRawBody from 'raw-body';
import { closeAfterResponse } from '../../../src/http/body.js';
import type { ChatLogger } from '../../../src/delivery/logger.js';
import { SLACK_BODY_LIMIT } from './requestGuard.js';

/** The fields of an Events API envelope the inbox reads. */
export interface SlackEnvelope {
  type?: string;
  event_id?: string;
  team_id?: string;
  event?: { type?: string } & Record<string, unknown>;
}

export function slackInboxMiddleware(opts: {
  signingSecret: string;
  /** Stores a signed event that may matter (see mayMatter), in one transaction; resolves once committed. */
  accept: (envelope: SlackEnvelope & { event_id: string }, body: string) => Promise<void>;
  logger: ChatLogger;
}): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'POST' || !(req.headers['content-type'] ?? '').includes('application/json')) return next();
    // Read already (and its shape checked) by requestShape.ts when mounted by the Slack runtime.
    const already = (req as { rawBody?: Buffer }).rawBody;
    (already ? Promise.resolve(already) : getRawBody(req, { limit: SLACK_BODY_LIMIT }))
      .then(async (raw) => {
        (req as { rawBody?: Buffer }).rawBody = raw; // Bolt verifies and parses these same bytes
        const body = raw.toString('utf8');
        const signed = isValidSlackRequest({
          signingSecret: opts.signingSecret,
          body,
          headers: {
            'x-slack-signature': String(req.headers['x-slack-signature'] ?? ''),
            'x-slack-request-timestamp': Number(req.headers['x-slack-request-timestamp']),
          },
        });
        if (signed) {
          const envelope = parseEnvelope(body);
          if (worthKeeping(envelope)) {
            // Committed before Bolt may answer Slack: a crash after the 200 loses nothing.
            try {
              await opts.accept(envelope, body);
            } catch (err) {
              // Not stored, so not acknowledged: Slack sends the event again.
              opts.logger.error({ eventId: envelope.event_id, err: err instanceof Error ? err.message : String(err) }, 'slack: event not stored, so not acknowledged; Slack sends it again');
              if (!res.headersSent) res.status(503).set('Retry-After', '5').json({ error: { code: 'unavailable', message: 'event not stored; try again' } });
              return;
            }
          }
        }
        next(); // unsigned or malformed: Bolt answers it (401 / 400) and nothing is stored
      })
      .catch((err: unknown) => {
        // Over the limit or a broken upload: answered here, nothing stored or handled.
        const status = (err as { status?: number }).status ?? 400;
        opts.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'slack event body refused');
        closeAfterResponse(res); // the rest of an oversized upload is not read
        res.status(status === 413 ? 413 : 400).json({ error: { code: status === 413 ? 'payload_too_large' : 'bad_request', message: 'unreadable request body' } });
      });
  };
}

/**
 * An Events API envelope the inbox keeps (over HTTP and over Socket Mode alike): one with an
 * event id whose event the bridge may act on.
 */
export function worthKeeping(envelope: SlackEnvelope | null): envelope is SlackEnvelope & { event_id: string } {
  return envelope?.type === 'event_callback' && typeof envelope.event_id === 'string' && mayMatter(envelope.event);
}

/**
 * Message events the bridge may act on: a person's reply in a thread, or an edit or delete (a
 * notice). Channel chatter and bot posts (ours included) are not stored.
 */
function mayMatter(event: SlackEnvelope['event']): boolean {
  if (event?.type !== 'message' || event.bot_id) return false;
  return typeof event.thread_ts === 'string' || event.subtype === 'message_changed' || event.subtype === 'message_deleted';
}

export function parseEnvelope(body: string): SlackEnvelope | null {
  try {
    const v = JSON.parse(body) as unknown;
    return typeof v === 'object' && v !== null ? (v as SlackEnvelope) : null;
  } catch {
    return null;
  }
}
