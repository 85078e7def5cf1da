// The DeliveryQueue port on BullMQ: job `deliver-<messageId>` on the `deliver` queue, delivered to
// every mapped chat thread in order per conversation by the same lanes as the send queue. The
// chat side supplies `deliver(messageId)` (it must be idempotent per thread: a stalled job runs
// again), the SMS side `fetchPendingMedia(messageId)` to download inbound files first.
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { PlatformError, ProviderError } from '../src/core/errors.js';
import type { DeliveryQueue } from '../src/core/ports.js';
import type { BackoffOptions } from './backoff.js';
import type { LaneJobData } from './lanes.js';
import type { ItemContext, ItemOutcome } from './orderedProcessor.js';
import { createOrderedQueue, createOrderedWorker, type OrderedQueue } from './orderedQueue.js';

export const DELIVER_QUEUE = 'deliver';
export const DELIVER_KIND = 'deliver';

export interface BullDeliveryQueue extends DeliveryQueue {
  readonly ordered: OrderedQueue;
  close(): Promise<void>;
}

export function createDeliveryQueue(opts: { connection: Redis; prefix: string; attempts?: number }): BullDeliveryQueue {
  const ordered = createOrderedQueue({ ...opts, name: DELIVER_QUEUE, kind: DELIVER_KIND });
  return {
    ordered,
    enqueueDelivery: (messageId, conversationId) => ordered.enqueue(messageId, conversationId),
    close: () => ordered.close(),
  };
}

export interface DeliveryWorkerOptions {
  queue: BullDeliveryQueue;
  connection: Redis;
  prefix: string;
  /** Posts the stored message to every mapped thread (chat helper). */
  deliver: (messageId: string) => Promise<void>;
  /**
   * Downloads the message's pending inbound media first (SMS helper) and returns the message's
   * media as they are after the attempt. With `finalAttempt` false a transient failure (5xx,
   * timeout) leaves a file 'pending', and the job tries again before posting.
   */
  fetchPendingMedia?: (messageId: string, opts: { finalAttempt: boolean }) => Promise<ReadonlyArray<{ status: string }>>;
  /** Records a delivery given up for good (optional; logged otherwise). */
  onGiveUp?: (messageId: string, reason: string) => Promise<void>;
  concurrency?: number;
  /**
   * Let every delivery step wait for its own event-loop turn (default true): see yieldGate.
   * False runs steps as soon as their promises resolve (benchmark comparison only).
   */
  yieldToLoop?: boolean;
  backoff?: BackoffOptions;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** How often every lane's head is checked for a runner (default 60 s; 0 = never). */
  sweepIntervalMs?: number;
  logger?: Logger;
}

/**
 * Webhook acks share the event loop with deliveries, and an ack may only be sent once its message
 * is stored and its delivery enqueued. Delivery work arrives in bursts: one Redis reply batch or
 * a handful of Slack answers resolve many jobs' promises in the same tick, and their continuations
 * (SQLite reads, building Slack requests) then run back to back as microtasks while incoming
 * webhooks wait for the next poll phase. The gate lets ONE waiting delivery step go per loop turn
 * (setImmediate, after the poll phase): between two steps the loop always reads the sockets, so a
 * webhook waits behind one delivery step at most, not behind a burst. Deliveries are not slowed
 * when nothing else is waiting: an idle loop turns in microseconds.
 */
export function yieldGate(): () => Promise<void> {
  const waiting: Array<() => void> = [];
  let scheduled = false;
  const release = (): void => {
    waiting.shift()?.();
    if (waiting.length > 0) setImmediate(release);
    else scheduled = false;
  };
  return () =>
    new Promise<void>((resolve) => {
      waiting.push(resolve);
      if (!scheduled) {
        scheduled = true;
        setImmediate(release);
      }
    });
}

/** Retry rules for chat posting: Retry-After waits, retryable errors back off, others fail. */
export function deliveryOutcome(err: unknown, ctx: ItemContext): ItemOutcome {
  const error = err instanceof Error ? err : new Error(String(err));
  if ((err instanceof PlatformError || err instanceof ProviderError) && !err.retryable) return { kind: 'fail', error };
  if ((err instanceof PlatformError || err instanceof ProviderError) && err.retryAfterMs !== null) {
    return { kind: 'delay', ms: err.retryAfterMs, reason: 'platform asked to retry later' };
  }
  if (ctx.lastAttempt) return { kind: 'fail', error };
  return { kind: 'retry', error };
}

/**
 * Attempts of a delivery job that may retry a file download that failed for now (5xx, timeout)
 * before the message is posted with a notice instead of the file. The conversation's later
 * messages wait meanwhile (order), so the wait is kept short: with the default backoff, about 3 s.
 */
export const MEDIA_DOWNLOAD_ATTEMPTS = 3;

export function createDeliveryWorker(opts: DeliveryWorkerOptions): Worker<LaneJobData> {
  const log = opts.logger;
  const giveUp = async (id: string, reason: string): Promise<void> => {
    log?.error({ messageId: id, reason }, 'chat delivery given up');
    await opts.onGiveUp?.(id, reason);
  };
  const turn = opts.yieldToLoop === false ? () => Promise.resolve() : yieldGate();
  return createOrderedWorker({
    target: opts.queue.ordered,
    connection: opts.connection,
    prefix: opts.prefix,
    concurrency: opts.concurrency,
    backoff: opts.backoff,
    lockDurationMs: opts.lockDurationMs,
    stalledIntervalMs: opts.stalledIntervalMs,
    sweepIntervalMs: opts.sweepIntervalMs,
    logger: log,
    abandon: giveUp,
    handler: async (item, ctx) => {
      try {
        await turn();
        if (opts.fetchPendingMedia) {
          const finalAttempt = ctx.lastAttempt || ctx.attempt >= MEDIA_DOWNLOAD_ATTEMPTS;
          const media = await opts.fetchPendingMedia(item.id, { finalAttempt });
          if (!finalAttempt && media.some((m) => m.status === 'pending')) {
            return { kind: 'retry', error: new Error('a file of the message could not be downloaded yet; trying again before posting') };
          }
        }
        await opts.deliver(item.id);
        // The job's completion (lane upkeep, BullMQ's move to completed and next fetch) is one
        // more step of its own.
        await turn();
        return { kind: 'done' };
      } catch (err) {
        const outcome = deliveryOutcome(err, ctx);
        if (outcome.kind === 'fail') await giveUp(item.id, outcome.error.message);
        return outcome;
      }
    },
  });
}
