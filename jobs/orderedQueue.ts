// One BullMQ queue kept in per-conversation order by lanes (lanes.ts): the producer side
// (`enqueue`) and the worker side (`createOrderedWorker`). The send queue and the delivery queue
// are both built from this, so the ordering mechanism exists once.
import { closeSettled } from './settle.js';
import { Queue, Worker, type ConnectionOptions, type JobsOptions, type Job, type JobState, type MinimalJob } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { BACKOFF_TYPE, backoffStrategy, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { attemptsMadeOf, enqueueOrdered, jobIdFor, Lanes, type LaneJobData } from './lanes.js';
import { cleanupUnhandledFailure, orderedProcessor, sweepLanes, type ItemHandler } from './orderedProcessor.js';

export interface OrderedQueueOptions {
  /** ioredis connection (maxRetriesPerRequest: null). Shared; not closed by us. */
  connection: Redis;
  /** QUEUE_PREFIX: every key of the pipeline lives under it. */
  prefix: string;
  /** BullMQ queue name: 'send' or 'deliver'. */
  name: string;
  /** Job name and job id prefix ('send' -> job id `send-<messageId>`). */
  kind: string;
  /** Attempts per item, the first included (default 8). */
  attempts?: number;
}

export interface OrderedQueue {
  readonly queue: Queue<LaneJobData>;
  readonly lanes: Lanes;
  readonly kind: string;
  /** Adds an item to its lane (and its job when it is the head); waits while a recovery runs. */
  enqueue(id: string, lane: string): Promise<void>;
  /**
   * Runs a recovery pass: `fn` re-enqueues older items through `direct`, while new enqueues wait
   * until it ends, so a message accepted during recovery goes after the recovered ones of its
   * conversation. The wait is bounded by `holdMs` (default 10 s): a recovery slower than that
   * lets new messages through rather than holding them (and their webhooks) indefinitely.
   */
  whileRecovering<T>(fn: (direct: (id: string, lane: string) => Promise<void>) => Promise<T>, holdMs?: number): Promise<T>;
  /**
   * Holds new enqueues until the returned function is called. For a lost Redis connection: Redis
   * may come back without its data, and a message accepted meanwhile must not reach its lane
   * before the recovery that puts the older ones of its conversation back (it would overtake
   * them). Enqueues wait for Redis during an outage anyway; this makes them wait for the recovery.
   */
  holdEnqueues(): () => void;
  /**
   * Where an item stands: run in place by the job before it, or its own job and that job's state
   * (no job: null). For callers that must not act on an item still in progress (admin resend).
   */
  standing(id: string, lane: string | undefined): Promise<ItemStanding>;
  close(): Promise<void>;
}

export type ItemStanding =
  | { inPlace: true }
  | { inPlace: false; job: Job<LaneJobData> | null; state: JobState | 'unknown' | null };

export const DEFAULT_ATTEMPTS = 8;

/** At most one "worker error" log line per queue this often (Redis outages repeat them). */
const WORKER_ERROR_LOG_EVERY_MS = 60_000;

export function lanesKeyPrefix(prefix: string, name: string): string {
  return `${prefix}:lanes:${name}`;
}

export function createOrderedQueue(opts: OrderedQueueOptions): OrderedQueue {
  const defaultJobOptions: JobsOptions = {
    attempts: opts.attempts ?? DEFAULT_ATTEMPTS,
    backoff: { type: BACKOFF_TYPE },
    // Finished jobs stay a while for inspection; failed ones stay until retried or cleaned
    // (GET /admin/api/jobs/failed lists them).
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: false,
  };
  const queue = new Queue<LaneJobData>(opts.name, {
    connection: opts.connection as ConnectionOptions,
    prefix: opts.prefix,
    defaultJobOptions,
  });
  const lanes = new Lanes(opts.connection, lanesKeyPrefix(opts.prefix, opts.name), queue.toKey(''), opts.kind);
  const direct = (id: string, lane: string) => enqueueOrdered(queue, lanes, opts.kind, { id, lane });
  // Set while a recovery pass runs: new enqueues wait for it (see whileRecovering).
  let recovering: Promise<void> | null = null;
  // Set from a lost connection until its recovery ended (see holdEnqueues).
  let held: Promise<void> | null = null;
  return {
    queue,
    lanes,
    kind: opts.kind,
    async enqueue(id, lane) {
      // Looked at again after each wait: the connection may have dropped again meanwhile.
      while (held || recovering) await (held ?? recovering);
      return direct(id, lane);
    },
    holdEnqueues() {
      let release = (): void => {};
      const hold = new Promise<void>((resolve) => (release = resolve));
      held = hold;
      return () => {
        if (held === hold) held = null;
        release();
      };
    },
    async whileRecovering(fn, holdMs = 10_000) {
      let resolve = () => {};
      const done = new Promise<void>((r) => (resolve = r));
      // Ends the hold (at the end of the pass, or at holdMs): cleared as well as resolved, since
      // enqueue waits for as long as a hold is set.
      const release = (): void => {
        if (recovering === done) recovering = null;
        resolve();
      };
      const timer = setTimeout(release, holdMs);
      timer.unref();
      recovering = done;
      try {
        return await fn(direct);
      } finally {
        clearTimeout(timer);
        release();
      }
    },
    async standing(id, lane) {
      // The claim is read BEFORE the job: an item run in place gets its own job (when it needs
      // one) before its claim ends, so an item found unclaimed here has its job by the read below.
      if (lane !== undefined && (await lanes.claim(lane))?.id === id) return { inPlace: true };
      const job = (await queue.getJob(jobIdFor(opts.kind, id))) ?? null;
      return { inPlace: false, job, state: job ? await job.getState() : null };
    },
    close: () => closeSettled(queue),
  };
}

/** Default interval of the lane sweep: a lost wake-up costs at most this long. */
export const DEFAULT_SWEEP_INTERVAL_MS = 60_000;

export interface OrderedWorkerOptions {
  target: OrderedQueue;
  /** Connection for the worker (BullMQ duplicates it for its blocking reads). */
  connection: Redis;
  prefix: string;
  handler: ItemHandler;
  abandon: (id: string, reason: string) => Promise<void>;
  /** Jobs processed at once by this worker (default 32; lanes keep each conversation serial). */
  concurrency?: number;
  backoff?: BackoffOptions;
  /** BullMQ lock and stall settings (defaults 30 s / 30 s / 3). */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  maxStalledCount?: number;
  parkMs?: number;
  maxParkMs?: number;
  /** Following items of a lane one job may run in place after its own (default 0: off). */
  drainInPlace?: number;
  /** How often every lane's head is checked for a runner (default 60 s; 0 = never; sweepLanes). */
  sweepIntervalMs?: number;
  logger?: Logger;
  /** Start processing at once (default false: call worker.run() or use autorun later). */
  autorun?: boolean;
}

type BackoffStrategy = (attemptsMade: number, type?: string, err?: Error, job?: MinimalJob) => number;

/**
 * The backoff of an item that made attempts in place before it got its own job (lanes.ts, "Drain
 * in place") goes on from there: BullMQ only counts the job's own attempts.
 */
export function countingPriorAttempts(strategy: BackoffStrategy): BackoffStrategy {
  return (attemptsMade, type, err, job) => strategy(job ? attemptsMadeOf({ attemptsMade, data: job.data }) : attemptsMade, type, err, job);
}

export function createOrderedWorker(opts: OrderedWorkerOptions): Worker<LaneJobData> {
  const { target } = opts;
  const log = opts.logger;
  const strategy = backoffStrategy(opts.backoff ?? DEFAULT_BACKOFF);
  const backoff = countingPriorAttempts(strategy);
  const processor = orderedProcessor({
    queue: target.queue,
    lanes: target.lanes,
    kind: target.kind,
    handler: opts.handler,
    abandon: opts.abandon,
    parkMs: opts.parkMs,
    maxParkMs: opts.maxParkMs,
    drainMax: opts.drainInPlace ?? 0,
    mayDrain: () => worker.closing === undefined,
    retryDelayMs: (attemptsMade, err) => strategy(attemptsMade, BACKOFF_TYPE, err),
    onError: (err, where) => log?.warn({ err: (err as Error).message, where, queue: target.queue.name }, 'lane upkeep failed'),
  });
  const worker = new Worker<LaneJobData>(target.queue.name, processor, {
    connection: opts.connection as ConnectionOptions,
    prefix: opts.prefix,
    concurrency: opts.concurrency ?? 32,
    autorun: opts.autorun ?? false,
    lockDuration: opts.lockDurationMs ?? 30_000,
    stalledInterval: opts.stalledIntervalMs ?? 30_000,
    maxStalledCount: opts.maxStalledCount ?? 3,
    settings: { backoffStrategy: backoff },
  });
  worker.on('failed', (job: Job<LaneJobData> | undefined, err: Error) => {
    if (!job) return;
    log?.warn({ jobId: job.id, queue: target.queue.name, attemptsMade: job.attemptsMade, err: err.message }, 'job failed');
    // BullMQ failed it without our processor (stalled too often): record it, free the lane.
    cleanupUnhandledFailure({ lanes: target.lanes, abandon: opts.abandon, queue: target.queue, kind: target.kind }, job, err).catch(
      (e: unknown) => log?.error({ err: (e as Error).message, jobId: job.id }, 'cleanup after failure failed'),
    );
  });
  startLaneSweep(worker, target, opts);
  // While Redis is away BullMQ reports an error on every reconnect attempt (several a second):
  // the first is logged, then one line a minute with how many were left out (readyz says why).
  let lastLogged = 0;
  let quiet = 0;
  worker.on('error', (err) => {
    const now = Date.now();
    if (now - lastLogged < WORKER_ERROR_LOG_EVERY_MS) {
      quiet++;
      return;
    }
    log?.error({ err: err.message, queue: target.queue.name, ...(quiet > 0 ? { sameErrorsLeftOut: quiet } : {}) }, 'worker error');
    lastLogged = now;
    quiet = 0;
  });
  return worker;
}

/** Lane sweep every interval while the worker lives (see sweepLanes); one pass at a time. */
function startLaneSweep(worker: Worker<LaneJobData>, target: OrderedQueue, opts: OrderedWorkerOptions): void {
  const everyMs = opts.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
  if (everyMs <= 0) return;
  const log = opts.logger;
  const upkeep = { queue: target.queue, lanes: target.lanes, kind: target.kind, abandon: opts.abandon };
  let sweeping = false;
  const timer = setInterval(() => {
    if (sweeping || worker.closing !== undefined) return;
    sweeping = true;
    const failed: string[] = [];
    let firstError = '';
    sweepLanes(upkeep, (err, lane) => {
      failed.push(lane);
      firstError ||= (err as Error).message;
    })
      .then((helped) => {
        // Each one is a wake-up that was lost somewhere: worth a line, never more than ten ids.
        if (helped.length > 0) log?.warn({ queue: target.queue.name, helped: helped.length, heads: helped.slice(0, 10) }, 'lane sweep helped on heads nobody ran');
        // A failure that could not be recorded and no longer holds its conversation: an admin
        // must look at these messages (still pending in the store, their jobs failed).
        const unrecorded = helped.filter((x) => x.action === 'abandoned-unrecorded');
        if (unrecorded.length > 0) log?.error({ queue: target.queue.name, messages: unrecorded.map((x) => x.head) }, 'lane freed past a final failure that could not be recorded');
        if (failed.length > 0) log?.warn({ queue: target.queue.name, failures: failed.length, lanes: failed.slice(0, 10), err: firstError }, 'lane sweep could not check every lane');
      })
      .catch((err: unknown) => log?.warn({ queue: target.queue.name, err: (err as Error).message }, 'lane sweep failed'))
      .finally(() => (sweeping = false));
  }, everyMs);
  timer.unref();
  worker.once('closing', () => clearInterval(timer));
}
