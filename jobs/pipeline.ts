// Startables for src/app.ts: the outbound pipeline (send queue + send worker) and the delivery
// pipeline (deliver queue + delivery worker). Producers exist from construction (the core's
// requestOutbound needs `queue` and `deliveries` before anything starts); workers take jobs only
// between start() and stop(). stop() stops taking jobs and lets the active ones finish
// (worker.close()); what a kill -9 leaves active comes back through BullMQ's stall check and is
// sent once thanks to the send ledger (sendMessage.ts).
import { closeSettled } from './settle.js';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Clock, SmsProvider, StatusNotifier, Store } from '../src/core/ports.js';
import type { Message, ProviderId } from '../src/core/types.js';
import type { SendLedgerRepo } from '../src/store/index.js';
import type { BackoffOptions } from './backoff.js';
import { createDeliveryQueue, createDeliveryWorker, type BullDeliveryQueue } from './deliveryQueue.js';
import type { LaneJobData } from './lanes.js';
import { createOrderedWorker } from './orderedQueue.js';
import { createOutboundQueue, type BullOutboundQueue } from './outboundQueue.js';
import { createRateLimiter, type RateDecision } from './rateLimiter.js';
import { createSendAbandon, createSendHandler } from './sendMessage.js';

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
}

export interface OutboundPipelineDeps {
  store: Store & { sendLedger: SendLedgerRepo };
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
  };
}

export interface OutboundPipeline {
  name: string;
  queue: BullOutboundQueue;
  worker: Worker<LaneJobData> | null;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function rateKeyPrefix(prefix: string): string {
  return `${prefix}:rate`;
}

export function createOutboundPipeline(deps: OutboundPipelineDeps): OutboundPipeline {
  const o = deps.options ?? {};
  const queue = createOutboundQueue({ connection: deps.redis, prefix: deps.prefix, attempts: o.attempts, maxParkMs: o.maxParkMs });
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
          logger: deps.logger,
        });
  return {
    name: 'outbound-pipeline',
    queue,
    worker,
    async start() {
      if (!worker) return;
      void worker.run().catch((err: unknown) => deps.logger?.error({ err: (err as Error).message }, 'send worker stopped'));
      await worker.waitUntilReady();
    },
    async stop() {
      // Stops fetching, waits for active sends to finish (their results get recorded).
      if (worker) await closeSettled(worker);
      await queue.close();
    },
  };
}

export interface DeliveryPipelineDeps {
  redis: Redis;
  prefix: string;
  deliver: (messageId: string) => Promise<void>;
  fetchPendingMedia?: (messageId: string) => Promise<void>;
  onGiveUp?: (messageId: string, reason: string) => Promise<void>;
  logger?: Logger;
  options?: WorkerTuning;
  /** Use an existing producer (the one handed to requestOutbound/recordInbound callers). */
  queue?: BullDeliveryQueue;
}

export interface DeliveryPipeline {
  name: string;
  queue: BullDeliveryQueue;
  worker: Worker<LaneJobData> | null;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createDeliveryPipeline(deps: DeliveryPipelineDeps): DeliveryPipeline {
  const o = deps.options ?? {};
  const queue = deps.queue ?? createDeliveryQueue({ connection: deps.redis, prefix: deps.prefix, attempts: o.attempts, maxParkMs: o.maxParkMs });
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
          backoff: o.backoff,
          lockDurationMs: o.lockDurationMs,
          stalledIntervalMs: o.stalledIntervalMs,
          logger: deps.logger,
        });
  return {
    name: 'delivery-pipeline',
    queue,
    worker,
    async start() {
      if (!worker) return;
      void worker.run().catch((err: unknown) => deps.logger?.error({ err: (err as Error).message }, 'delivery worker stopped'));
      await worker.waitUntilReady();
    },
    async stop() {
      if (worker) await closeSettled(worker);
      await queue.close();
    },
  };
}
