// The delivery lane's handler for ONE message (inbound SMS, co-worker messages, mirrors of replies
// and /sms sends): download its pending inbound files, then post it into every mapped chat thread
// (src/delivery/deliverMessage.ts, idempotent per thread). It runs only while the message is the
// head of its conversation's delivery order (src/infra/queue/turns.ts), so threads show messages
// in the order they arrived.
import type { Logger } from 'pino';
import { PlatformError, ProviderError } from '../core/errors.js';
import type { ItemContext, ItemOutcome, LaneHandler, LaneItem } from '../core/ports.js';

/**
 * Attempts of a delivery that may retry a file download that failed for now (5xx, timeout) before
 * the message is posted with a notice instead of the file. The conversation's later messages wait
 * meanwhile (order), so the wait is kept short: with the default backoff, about 3 s.
 */
export const MEDIA_DOWNLOAD_ATTEMPTS = 3;

export interface DeliverItemDeps {
  /** Posts the stored message to every mapped thread. */
  deliver: (messageId: string) => Promise<void>;
  /**
   * Downloads the message's pending inbound media and returns its media as they are after the
   * attempt. With `finalAttempt` false a transient failure leaves a file 'pending'.
   */
  fetchPendingMedia?: (messageId: string, opts: { finalAttempt: boolean }) => Promise<ReadonlyArray<{ status: string }>>;
  /** A delivery given up for good (fallback channel, or listed as not posted). */
  onGiveUp?: (messageId: string, reason: string) => Promise<void>;
  logger?: Logger;
}

/** Retry rules for chat posting: Retry-After waits, retryable errors back off, others fail. */
export function deliveryOutcome(err: unknown, ctx: ItemContext): ItemOutcome {
  const error = err instanceof Error ? err : new Error(String(err));
  const typed = err instanceof PlatformError || err instanceof ProviderError;
  if (typed && !err.retryable) return { kind: 'fail', error };
  if (typed && err.retryAfterMs !== null) return { kind: 'delay', ms: err.retryAfterMs, reason: 'platform asked to retry later' };
  if (ctx.lastAttempt) return { kind: 'fail', error };
  return { kind: 'retry', error };
}

export function createDeliverItem(deps: DeliverItemDeps): { handler: LaneHandler; abandon: (item: LaneItem, reason: string) => Promise<void> } {
  const giveUp = async (messageId: string, reason: string): Promise<void> => {
    deps.logger?.error({ messageId, reason }, 'chat delivery given up');
    await deps.onGiveUp?.(messageId, reason);
  };
  const handler: LaneHandler = async (item, ctx) => {
    try {
      if (deps.fetchPendingMedia) {
        const finalAttempt = ctx.lastAttempt || ctx.attempt >= MEDIA_DOWNLOAD_ATTEMPTS;
        const media = await deps.fetchPendingMedia(item.messageId, { finalAttempt });
        if (!finalAttempt && media.some((m) => m.status === 'pending')) {
          return { kind: 'retry', error: new Error('a file of the message could not be downloaded yet; trying again before posting') };
        }
      }
      await deps.deliver(item.messageId);
      return { kind: 'done' };
    } catch (err) {
      const outcome = deliveryOutcome(err, ctx);
      if (outcome.kind === 'fail') await giveUp(item.messageId, outcome.error.message);
      return outcome;
    }
  };
  return { handler, abandon: (item, reason) => giveUp(item.messageId, reason) };
}
