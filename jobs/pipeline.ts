// Startables for src/app.ts: the outbound pipeline (send queue + send worker) and the delivery
// pipeline (deliver queue + delivery worker). Producers exist from construction (the core's
// requestOutbound needs `queue` and `deliveries` before anything starts); workers take jobs only
// between start() and stop(). stop() stops taking jobs and lets the active ones finish
// (worker.close()); what a kill -9 leaves active comes back through BullMQ's stall check and is
// sent once thanks to the send ledger (sendMessage.ts).
//
// Recovery (the store is the source of truth, Redis only schedules): when a worker starts, and
// again each time Redis answers after the connection was lost, it re-enqueues from the store what
// should be in its queue, so a Redis that lost its data (no persistence, a failover, FLUSHALL,
// the last second of an AOF fsynced every second) or an enqueue that never happened after the
// store commit (a crash between the two) loses nothing, also while the bridge keeps running.
// Enqueue is idempotent by job id and lane position (a done item is never put back), so on a
// Redis that kept its data this changes nothing.
//  - sends: every outbound message still 'queued' or 'sending', oldest first, so each
//    conversation's lane is rebuilt in accepted order; a 'sending' one meets the ledger rule in the
//    send handler (sent before -> recorded; maybe sent -> resent only where the provider dedupes).
//  - deliveries: inbound/internal messages of the last 24 h (configurable) that have no chat post
//    at all while their number is mapped (deliverMessage is idempotent per channel).
// A NEW message accepted while a recovery pass runs waits for it (OrderedQueue.whileRecovering),
// so it goes after the recovered older ones of its conversation; only a recovery slower than
// 10 s lets new messages through before it ends (logged counts show how long it took).
import { closeSettled } from './settle.js';
import { coalesceWrites } from './coalesceWrites.js';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Clock, SmsProvider, StatusNotifier } from '../src/core/ports.js';
import type { Message, ProviderId } from '../src/core/types.js';
import type { SqliteMessageRepo } from '../src/store/index.js';
import type { BackoffOptions } from './backoff.js';
import { createDeliveryQueue, createDeliveryWorker, type BullDeliveryQueue, type DeliveryWorkerOptions } from './deliveryQueue.js';
import type { LaneJobData } from './lanes.js';
import { createOrderedWorker, type OrderedQueue } from './orderedQueue.js';
import { createOutboundQueue, type BullOutboundQueue } from './outboundQueue.js';
import { createRateLimiter, type RateDecision } from './rateLimiter.js';
import { createSendAbandon, createSendHandler, type PipelineStore } from './sendMessage.js';

export interface WorkerTuning {
  /** Jobs processed at once per process (default 32). */
  concurrency?: number;
  /** Attempts per message, the first included (default 8). */
  attempts?: number;
  backoff?: BackoffOptions;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  maxStalledCount?: number;
  parkMs?: number;
  maxParkMs?: number;
  /** False: this process only enqueues (no worker). Default true. */
  runWorker?: boolean;
  /** How often every lane's head is checked for a runner (default 60 s; 0 = never; sweepLanes). */
  sweepIntervalMs?: number;
}

export interface OutboundPipelineDeps {
  store: PipelineStore;
  clock: Clock;
  /** ctx.redis: ioredis with maxRetriesPerRequest null; shared, never closed here. */
  redis: Redis;
  /** QUEUE_PREFIX. */
  prefix: string;
  providers: (id: ProviderId) => SmsProvider | null;
  notifier: StatusNotifier;
  /** Signed media links for MMS (src/media createMediaUrlSigner). */
  mediaUrls?: (message: Message) => string[] | null;
  logger?: Logger;
  options?: WorkerTuning & {
    /** False lifts the per-number throughput caps (benchmarks). Default true. */
    rateLimits?: boolean;
    /** Every rate-limiter decision (metrics, tests). */
    onRateDecision?: (d: RateDecision) => void;
    /** Writes of concurrent sends committed together (default 64; 1 disables group commit). */
    groupCommitMax?: number;
    /**
     * Re-enqueue pending outbound messages from the store at start and whenever Redis is back
     * after the connection was lost (default true).
     */
    recoverOnStart?: boolean;
    /** Coalesce the Redis connection's writes per event-loop turn (default true). */
    coalesceRedisWrites?: boolean;
    /**
     * Messages of a conversation a send job may send after its own, in place, while they have no
     * job yet (default 8; 0: every message runs as its own job). See "Drain in place" in lanes.ts.
     */
    drainInPlace?: number;
  };
}

/** What a start-up recovery re-enqueued (enqueues of items already queued are no-ops). */
export interface RecoveryReport {
  /** Messages handed to enqueue (each one a no-op when its job was already there). */
  enqueued: number;
  /** Messages whose enqueue failed (logged; the next start tries again). */
  errors: number;
}

/** Enqueues items in the given order, one at a time (order within a lane is the order given). */
async function reenqueue(
  items: Array<{ id: string; conversationId: string }>,
  enqueue: (id: string, lane: string) => Promise<void>,
  log: Logger | undefined,
  what: string,
): Promise<RecoveryReport> {
  let enqueued = 0;
  let errors = 0;
  for (const m of items) {
    try {
      await enqueue(m.id, m.conversationId);
      enqueued++;
    } catch (err) {
      errors++;
      log?.error({ messageId: m.id, err: (err as Error).message }, `${what} recovery: enqueue failed`);
    }
  }
  if (items.length > 0) log?.info({ enqueued, errors }, `${what} recovery: re-enqueued from the store`);
  return { enqueued, errors };
}

/**
 * Runs `recover` each time the connection is ready again after it was lost (not at the first
 * connection: start() recovers then). Redis may come back without the data it had (restarted
 * without persistence, a failover, the last second of an AOF fsynced every second): the store is
 * the record, so the queues are checked against it again; on a Redis that kept its data every
 * re-enqueue is a no-op. Returns the function that stops watching.
 */
function recoverOnReconnect(
  redis: Redis,
  queue: Pick<OrderedQueue, 'holdEnqueues'>,
  recover: () => Promise<RecoveryReport>,
  log: Logger | undefined,
  what: string,
): () => void {
  // Set from the first 'close' (ioredis may emit one per failed attempt) until the recovery ends:
  // new enqueues wait meanwhile, so none overtakes the older messages the recovery puts back.
  let release: (() => void) | null = null;
  const onClose = (): void => {
    release ??= queue.holdEnqueues();
  };
  const onReady = (): void => {
    if (!release) return;
    // recover() enters its recovery pass at once (whileRecovering), which holds new enqueues
    // from there, with its own bound: the outage hold can go.
    const pass = recover();
    release();
    release = null;
    pass.then(
      (report) => log?.info({ ...report }, `${what}: queues checked against the store again after Redis came back`),
      (err: unknown) => log?.error({ err: (err as Error).message }, `${what} recovery after reconnect failed`),
    );
  };
  redis.on('close', onClose);
  redis.on('ready', onReady);
  return () => {
    redis.off('close', onClose);
    redis.off('ready', onReady);
    release?.();
    release = null;
  };
}

export interface OutboundPipeline {
  name: string;
  queue: BullOutboundQueue;
  worker: Worker<LaneJobData> | null;
  /** Re-enqueues every outbound message still queued/sending, oldest first (start() runs it). */
  recover(): Promise<RecoveryReport>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Messages a send job sends in place after its own (bounded: a job's run stays short). */
export const DEFAULT_SEND_DRAIN = 8;

export function rateKeyPrefix(prefix: string): string {
  return `${prefix}:rate`;
}

export function createOutboundPipeline(deps: OutboundPipelineDeps): OutboundPipeline {
  const o = deps.options ?? {};
  // One writev per event-loop turn instead of one write(2) per Redis command (coalesceWrites.ts).
  if (o.coalesceRedisWrites !== false) coalesceWrites(deps.redis);
  const queue = createOutboundQueue({ connection: deps.redis, prefix: deps.prefix, attempts: o.attempts });
  const limiter = o.rateLimits === false ? null : createRateLimiter(deps.redis, rateKeyPrefix(deps.prefix), o.onRateDecision);
  const worker =
    o.runWorker === false
      ? null
      : createOrderedWorker({
          target: queue.ordered,
          connection: deps.redis,
          prefix: deps.prefix,
          handler: createSendHandler({ ...deps, limiter, groupCommitMax: o.groupCommitMax }),
          abandon: createSendAbandon(deps),
          concurrency: o.concurrency,
          backoff: o.backoff,
          lockDurationMs: o.lockDurationMs,
          stalledIntervalMs: o.stalledIntervalMs,
          maxStalledCount: o.maxStalledCount,
          parkMs: o.parkMs,
          maxParkMs: o.maxParkMs,
          drainInPlace: o.drainInPlace ?? DEFAULT_SEND_DRAIN,
          sweepIntervalMs: o.sweepIntervalMs,
          logger: deps.logger,
        });
  const recover = async (): Promise<RecoveryReport> => {
    const list = deps.store.messages.listPendingOutbound;
    if (!list) return { enqueued: 0, errors: 0 };
    return queue.ordered.whileRecovering((direct) => reenqueue(list(), direct, deps.logger, 'send'));
  };
  let unwatch = (): void => {};
  return {
    name: 'outbound-pipeline',
    queue,
    worker,
    recover,
    async start() {
      if (!worker) return;
      // Before taking jobs: lanes are rebuilt in accepted order first.
      if (o.recoverOnStart !== false) {
        await recover().catch((err: unknown) => deps.logger?.error({ err: (err as Error).message }, 'send recovery failed'));
        unwatch = recoverOnReconnect(deps.redis, queue.ordered, recover, deps.logger, 'send');
      }
      void worker.run().catch((err: unknown) => deps.logger?.error({ err: (err as Error).message }, 'send worker stopped'));
      await worker.waitUntilReady();
    },
    async stop() {
      unwatch();
      // Stops fetching, waits for active sends to finish (their results get recorded).
      if (worker) await closeSettled(worker);
      await queue.close();
    },
  };
}

export interface DeliveryPipelineDeps {
  /** For start-up recovery (absent: no recovery). */
  store?: { messages: Partial<Pick<SqliteMessageRepo, 'listUndelivered'>> };
  /** Clock for the recovery window (default: system time). */
  clock?: Clock;
  redis: Redis;
  prefix: string;
  deliver: (messageId: string) => Promise<void>;
  fetchPendingMedia?: DeliveryWorkerOptions['fetchPendingMedia'];
  onGiveUp?: (messageId: string, reason: string) => Promise<void>;
  logger?: Logger;
  options?: WorkerTuning & {
    /** How far back start-up recovery looks for undelivered messages (default 24 h; 0 = off). */
    recoverWindowMs?: number;
    /** One delivery step per event-loop turn, so webhook acks never wait behind a burst (default true). */
    yieldToLoop?: boolean;
  };
  /** Use an existing producer (the one handed to requestOutbound/recordInbound callers). */
  queue?: BullDeliveryQueue;
}

export interface DeliveryPipeline {
  name: string;
  queue: BullDeliveryQueue;
  worker: Worker<LaneJobData> | null;
  /** Re-enqueues delivery of recent unposted inbound/internal messages (start() runs it). */
  recover(): Promise<RecoveryReport>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export const DEFAULT_DELIVERY_RECOVERY_MS = 24 * 3600 * 1000;

export function createDeliveryPipeline(deps: DeliveryPipelineDeps): DeliveryPipeline {
  const o = deps.options ?? {};
  const queue = deps.queue ?? createDeliveryQueue({ connection: deps.redis, prefix: deps.prefix, attempts: o.attempts });
  const worker =
    o.runWorker === false
      ? null
      : createDeliveryWorker({
          queue,
          connection: deps.redis,
          prefix: deps.prefix,
          deliver: deps.deliver,
          fetchPendingMedia: deps.fetchPendingMedia,
          onGiveUp: deps.onGiveUp,
          concurrency: o.concurrency,
          yieldToLoop: o.yieldToLoop,
          backoff: o.backoff,
          lockDurationMs: o.lockDurationMs,
          stalledIntervalMs: o.stalledIntervalMs,
          sweepIntervalMs: o.sweepIntervalMs,
          logger: deps.logger,
        });
  const recover = async (): Promise<RecoveryReport> => {
    const list = deps.store?.messages.listUndelivered;
    const windowMs = o.recoverWindowMs ?? DEFAULT_DELIVERY_RECOVERY_MS;
    if (!list || windowMs <= 0) return { enqueued: 0, errors: 0 };
    const now = (deps.clock ?? { now: () => new Date() }).now().getTime();
    const since = new Date(now - windowMs).toISOString();
    return queue.ordered.whileRecovering((direct) => reenqueue(list({ since }), direct, deps.logger, 'delivery'));
  };
  let unwatch = (): void => {};
  return {
    name: 'delivery-pipeline',
    queue,
    worker,
    recover,
    async start() {
      if (!worker) return;
      await recover().catch((err: unknown) => deps.logger?.error({ err: (err as Error).message }, 'delivery recovery failed'));
      unwatch = recoverOnReconnect(deps.redis, queue.ordered, recover, deps.logger, 'delivery');
      void worker.run().catch((err: unknown) => deps.logger?.error({ err: (err as Error).message }, 'delivery worker stopped'));
      await worker.waitUntilReady();
    },
    async stop() {
      unwatch();
      if (worker) await closeSettled(worker);
      await queue.close();
    },
  };
}
