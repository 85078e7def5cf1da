// Per-conversation order on BullMQ's public API: the design, once.
//
// The store's outbox (OutboxRepo) is the record of pending work: one row per message and lane
// ('send': SMS out; 'deliver': posts into chat), written in the same transaction as the message,
// in one order per conversation (`seq`). A chat reply takes its place when it arrives, before its
// files are downloaded (a 'preparing' row), so the order is the order things were written.
//
// BullMQ only says "this conversation has work": a job is a wake-up, `{c: conversationId}`, added
// with a stable job id per cause (`<conversation>.m<seq>` for a new item), so a second add is a
// no-op. Whoever runs a wake-up tries to take the conversation's LEASE (leases.ts, a Redis key of
// ours, no BullMQ key touched); the holder runs the conversation's items from the outbox, head
// first, one at a time, then lets go and looks once more. A wake-up that finds the lease taken
// simply ends: its item was committed before it was added, the holder looks at the outbox again
// after letting go, so it sees the item (no lost wake-up, no polling). Other conversations never
// wait: each turn holds only its own conversation.
//
// What holds an item back keeps it at the head, so the items behind wait: a retry after a failure
// (backoff; Retry-After as a floor), a rate-limit or Retry-After hold (no attempt counted), a
// place still being prepared. A held item gets a delayed wake-up at its due time. A final failure
// marks the item failed (kept for inspection and resend) and the next one goes.
//
// Crashes and lost Redis data (nothing depends on Redis keeping anything):
//  - a lease belongs to a process's heartbeat (liveness.ts): a restarted process's old leases are
//    dead at once, a dead process's after the heartbeat expiry (5 s); every worker reaps dead
//    leases every `sweepMs` (2 s) and wakes their conversations, so a survivor takes over a dead
//    instance's conversations within about 7 s, and a restarted one within `sweepMs`;
//  - at start, and whenever Redis answers again after the connection dropped, every conversation
//    with pending items is woken from the outbox (fresh job ids, so a stalled job of the dead
//    process cannot swallow the wake-up);
//  - every `overdueMs` the worker wakes conversations whose head has been due for that long (a
//    wake-up lost in any other way), and those whose head is a place prepared by a dead process.
// Exactly-once sending rests on the store's send ledger (app/sendMessage.ts), not on job ids.
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { keptByInbox } from '../../core/placeKeeper.js';
import type { ItemContext, ItemOutcome, Lane, LaneHandler, LaneItem, OutboxItem, OutboxRepo } from '../../core/ports.js';
import { within } from '../../within.js';
import { DEFAULT_BACKOFF, retryDelay, type BackoffOptions } from './backoff.js';
import { keys } from './keys.js';
import { Leases, type Lease } from './leases.js';
import type { Liveness } from './liveness.js';
import { closeSettled } from './settle.js';

export interface TurnsOptions {
  lane: Lane;
  /** Shared connection: the BullMQ queue and worker. */
  redis: Redis;
  /** Our own connection: leases and heartbeats (kept apart from BullMQ's traffic). */
  own: Redis;
  /** QUEUE_PREFIX. */
  prefix: string;
  outbox: OutboxRepo;
  liveness: Liveness;
  handler: LaneHandler;
  /** Records a final failure the handler could not (it threw on its last attempt). */
  abandon: (item: LaneItem, reason: string) => Promise<void>;
  /** Runs an outbox write (the send lane batches them with its own writes). Default: at once. */
  commit?: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Awaited before each item (the delivery lane yields to webhooks there). */
  beforeItem?: () => Promise<void>;
  /** Attempts per item, the first included (default 8). */
  attempts?: number;
  backoff?: BackoffOptions;
  /** Turns run at once by this process (default 32). */
  concurrency?: number;
  /** Items one turn runs before it hands the conversation on (fairness; default 50). */
  maxItemsPerTurn?: number;
  sweepMs?: number;
  overdueMs?: number;
  /** False: this process only wakes (no worker, no sweep). */
  runWorker?: boolean;
  /** Wake every conversation with pending items at start and after Redis came back (default true). */
  recover?: boolean;
  logger?: Logger;
  now?: () => number;
}

export const DEFAULT_ATTEMPTS = 8;
const DEFAULT_CONCURRENCY = 32;
const MAX_ITEMS_PER_TURN = 50;
/** Items a turn reads from the outbox in one query. */
const READ_AHEAD = 16;
const DEFAULT_SWEEP_MS = 2_000;
const DEFAULT_OVERDUE_MS = 15_000;
/** A place still preparing after this long is given up even if its process lives (a bug guard). */
const MAX_PREPARE_MS = 10 * 60_000;
/** How long a wake-up may hold up its caller (a webhook's answer) while Redis is slow. */
const WAKE_WAIT_MS = 1_000;
/** Wake-ups added per Redis call in a recovery pass. */
const RECOVERY_BATCH = 500;

export interface WakeData {
  c?: string;
  /** A job of the previous design (a message's job; `lane` was its conversation). */
  lane?: string;
}

/** The BullMQ job that wakes a conversation: name, data and stable id. */
export function wakeJob(conversationId: string, token: string, delay = 0): { name: string; data: WakeData; opts: { jobId: string; delay?: number } } {
  return { name: 'turn', data: { c: conversationId }, opts: { jobId: `${conversationId}.${token}`, ...(delay > 0 ? { delay } : {}) } };
}

export interface Turns {
  readonly lane: Lane;
  readonly queue: Queue<WakeData>;
  readonly worker: Worker<WakeData> | null;
  /** The conversation has work; `token` makes the job id (same token: one job). Never throws. */
  wake(conversationId: string, token: string): Promise<void>;
  /** Wakes every conversation with pending items; returns how many. */
  recover(why: string): Promise<number>;
  /** One pass of the sweep (dead leases, overdue heads, abandoned places); returns conversations woken. */
  sweep(opts?: { overdue?: boolean }): Promise<number>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

type DrainEnd = 'idle' | 'yield' | 'lost';

export function createTurns(opts: TurnsOptions): Turns {
  const { lane, outbox, liveness } = opts;
  const log = opts.logger?.child({ lane });
  const now = opts.now ?? Date.now;
  const attempts = opts.attempts ?? DEFAULT_ATTEMPTS;
  const backoff = opts.backoff ?? DEFAULT_BACKOFF;
  const maxItems = opts.maxItemsPerTurn ?? MAX_ITEMS_PER_TURN;
  const commit = opts.commit ?? (<T>(fn: () => Promise<T>) => fn());
  const leases = new Leases(opts.own, opts.prefix, lane, liveness);
  const queue = new Queue<WakeData>(lane, {
    connection: opts.redis as ConnectionOptions,
    prefix: opts.prefix,
    // A wake-up is worth nothing once run. Its own failure (Redis or the store failing mid-turn)
    // is retried a few times; the overdue sweep covers the rest.
    defaultJobOptions: { removeOnComplete: true, removeOnFail: { count: 1000 }, attempts: 5, backoff: { type: 'exponential', delay: 1_000 } },
  });
  // Conversations this process is running a turn for: a wake-up for one of them needs no lease
  // call (the running turn looks at the outbox again after letting go).
  const running = new Set<string>();
  // Turns in progress, for a stop that waits for them itself (see stop()).
  let inflight = 0;
  let idle: (() => void) | null = null;
  let closing = false;

  const addWake = (conversationId: string, token: string, delay = 0): Promise<unknown> => {
    const job = wakeJob(conversationId, token, delay);
    return queue.add(job.name, job.data, job.opts);
  };

  async function wake(conversationId: string, token: string, delay = 0): Promise<void> {
    // A turn of this process runs the conversation now: it looks at the outbox once more after
    // letting go (runTurn), so it finds the work without a job.
    if (delay === 0 && running.has(conversationId)) return;
    const added = addWake(conversationId, token, delay);
    // With Redis away the add waits in the client until it is back: never hold the caller for it
    // (the recovery after the reconnect wakes every pending conversation anyway).
    if (opts.redis.status !== 'ready') {
      added.catch((err: unknown) => log?.warn({ conversationId, err: (err as Error).message }, 'wake-up not added'));
      return;
    }
    await within(added, WAKE_WAIT_MS, 'Redis').catch((err: unknown) => log?.warn({ conversationId, err: (err as Error).message }, 'wake-up not added'));
  }

  /** A preparing place nobody will fill: its process died, or it has been preparing for too long. */
  async function abandoned(head: OutboxItem): Promise<boolean> {
    if (Date.parse(head.createdAt) < now() - MAX_PREPARE_MS) return true;
    // Its stored chat event is replayed by a live instance, which fills it or gives it up.
    if (keptByInbox(head.owner)) return false;
    return !head.owner || !(await liveness.isAlive(head.owner));
  }

  /** Runs one item and records its outcome; true when it left the head (done or failed). */
  async function runItem(head: OutboxItem & { messageId: string }): Promise<boolean> {
    const item: LaneItem = { seq: head.seq, messageId: head.messageId, conversationId: head.conversationId };
    const attempt = head.attempts + 1;
    let finished = false;
    const ctx: ItemContext = {
      attempt,
      lastAttempt: attempt >= attempts,
      finish: async () => {
        await outbox.remove(head.seq);
        finished = true;
      },
    };
    let outcome: ItemOutcome;
    try {
      await opts.beforeItem?.();
      outcome = await opts.handler(item, ctx);
    } catch (err) {
      outcome = { kind: 'retry', error: err instanceof Error ? err : new Error(String(err)) };
    }
    switch (outcome.kind) {
      case 'done':
        if (!finished) await commit(() => outbox.remove(head.seq));
        return true;
      case 'fail':
        await commit(() => outbox.fail(head.seq, outcome.error.message));
        return true;
      case 'delay':
        await commit(() => outbox.hold(head.seq, now() + Math.max(0, outcome.ms)));
        return false;
      case 'retry': {
        if (ctx.lastAttempt) {
          const reason = `gave up after ${attempt} attempts: ${outcome.error.message}`;
          await opts.abandon(item, reason);
          await commit(() => outbox.fail(head.seq, reason));
          return true;
        }
        const waitMs = retryDelay(attempt, outcome.error, backoff);
        log?.debug({ messageId: item.messageId, attempt, waitMs, err: outcome.error.message }, 'item will be tried again');
        await commit(() => outbox.retry(head.seq, now() + waitMs, outcome.error.message));
        return false;
      }
    }
  }

  /**
   * Runs the conversation's items while we hold its lease. They are read a batch at a time: while
   * we hold the lease nobody else changes a ready item, and anything added later comes after them.
   */
  async function drain(conversationId: string, lease: Lease): Promise<DrainEnd> {
    let batch: OutboxItem[] = [];
    // The last read found every pending item (fewer than it asked for) and all of them ran: an
    // item added since is found by the look runTurn takes after letting go, so no read here.
    let sawAll = false;
    for (let n = 0; ; n++) {
      if (batch.length === 0) {
        if (sawAll) return 'idle';
        batch = await outbox.next(lane, conversationId, READ_AHEAD);
        sawAll = batch.length < READ_AHEAD;
      }
      const head = batch.shift();
      if (!head) return 'idle';
      if (head.state === 'preparing' || head.messageId === null) {
        // Its reply is still being prepared: the items behind wait, and filling it wakes us.
        if (!(await abandoned(head))) return 'idle';
        log?.warn({ conversationId, slotKey: head.slotKey, owner: head.owner }, 'place of a reply its process never filled given up');
        await commit(() => outbox.releaseSeq(head.seq));
        continue;
      }
      if (head.dueAt > now()) {
        await wake(conversationId, `t${head.seq}-${head.dueAt}`, head.dueAt - now());
        return 'idle';
      }
      if (n >= maxItems || closing) return 'yield';
      // A process taken for dead (its heartbeat missed) may have lost the lease meanwhile.
      if (n > 0 && !liveness.surelyAlive() && !(await lease.held())) return 'lost';
      // An item still at the head (held back, to be retried) is read again next time round.
      if (!(await runItem({ ...head, messageId: head.messageId }))) {
        batch = [];
        sawAll = false;
      }
    }
  }

  /** Is there an item ready to run now? (looked at after letting a lease go) */
  async function readyNow(conversationId: string): Promise<boolean> {
    const head = await outbox.head(lane, conversationId);
    return head !== null && head.state === 'ready' && head.dueAt <= now();
  }

  async function runTurn(conversationId: string): Promise<void> {
    for (;;) {
      if (running.has(conversationId)) return;
      running.add(conversationId);
      let end: DrainEnd = 'idle';
      try {
        const lease = await leases.acquire(conversationId);
        if (!lease) return;
        try {
          end = await drain(conversationId, lease);
        } finally {
          await lease.release().catch((err: unknown) => log?.warn({ conversationId, err: (err as Error).message }, 'lease release failed'));
        }
      } finally {
        // Before the last look: a wake-up that skipped us because we were running is seen below.
        running.delete(conversationId);
      }
      if (end === 'yield') {
        await wake(conversationId, `y${now()}`);
        return;
      }
      if (!(await readyNow(conversationId))) return;
      // Taken over, or stopping: work that came meanwhile (its wake-up may have been skipped
      // for our turn) gets a job of its own, for whoever runs the conversation now.
      if (end === 'lost' || closing) {
        await addWake(conversationId, `y${now()}`).catch((err: unknown) => log?.warn({ conversationId, err: (err as Error).message }, 'wake-up not added'));
        return;
      }
    }
  }

  const worker =
    opts.runWorker === false
      ? null
      : new Worker<WakeData>(
          lane,
          async (job: Job<WakeData>) => {
            const conversationId = job.data?.c ?? job.data?.lane;
            if (typeof conversationId !== 'string' || conversationId === '') return;
            // The wake-up of one item whose work is over (a turn ran it with the ones before it):
            // nothing to do. Every pending item has a wake-up of its own, or a running turn to see it.
            const seq = /\.m(\d+)$/.exec(job.id ?? '')?.[1];
            if (seq !== undefined && ((await outbox.get(Number(seq)))?.state ?? 'failed') === 'failed') return;
            inflight++;
            try {
              await runTurn(conversationId);
            } finally {
              if (--inflight === 0) idle?.();
            }
          },
          {
            connection: opts.redis as ConnectionOptions,
            prefix: opts.prefix,
            concurrency: opts.concurrency ?? DEFAULT_CONCURRENCY,
            autorun: false,
          },
        );
  worker?.on('failed', (job, err) => log?.warn({ jobId: job?.id, err: err.message }, 'turn failed; its wake-up is tried again'));
  // While Redis is away BullMQ reports every reconnect attempt: one line a minute is enough.
  let lastRedisError = 0;
  const onRedisError = (part: string) => (err: Error) => {
    if (Date.now() - lastRedisError < 60_000) return;
    lastRedisError = Date.now();
    log?.error({ err: err.message, part }, 'worker error');
  };
  worker?.on('error', onRedisError('worker'));
  queue.on('error', onRedisError('queue'));

  async function recover(why: string): Promise<number> {
    const pending = await outbox.pendingConversations(lane);
    const token = `r${liveness.nonce}-${now()}`;
    for (let i = 0; i < pending.length; i += RECOVERY_BATCH) {
      await queue.addBulk(pending.slice(i, i + RECOVERY_BATCH).map((p) => wakeJob(p.conversationId, token)));
    }
    if (pending.length > 0) log?.info({ conversations: pending.length, why }, 'conversations with pending work woken from the outbox');
    return pending.length;
  }

  let sweeps = 0;
  async function sweep(o: { overdue?: boolean } = {}): Promise<number> {
    let woken = 0;
    for (const dead of await leases.reapDead()) {
      await wake(dead.conversationId, `x${dead.holder.replace(/[^A-Za-z0-9-]/g, '')}`);
      woken++;
    }
    if (o.overdue) {
      const t = now();
      const stuck = await outbox.overdue(lane, t - (opts.overdueMs ?? DEFAULT_OVERDUE_MS), 500);
      for (const s of stuck) await wake(s.conversationId, `o${s.seq}-${t}`);
      const preparing = await outbox.preparingSince(lane, new Date(t - 2 * DEFAULT_SWEEP_MS).toISOString(), 500);
      const alive = await liveness.alive(preparing.map((p) => p.owner ?? ''));
      for (const p of preparing) {
        const gone = keptByInbox(p.owner) ? Date.parse(p.createdAt) < t - MAX_PREPARE_MS : alive.get(p.owner ?? '') !== true;
        if (gone) await wake(p.conversationId, `p${p.seq}`);
      }
      if (stuck.length > 0) log?.warn({ conversations: stuck.length }, 'conversations whose work was due but nobody ran it were woken');
      woken += stuck.length;
    }
    return woken;
  }

  let timer: NodeJS.Timeout | null = null;
  let sweeping = false;
  let wasDown = false;
  let stopWatchingLoss = (): void => {};
  const onDown = (): void => {
    wasDown = true;
  };
  const onReady = (): void => {
    if (!wasDown) return;
    wasDown = false;
    // Redis may be back without its data (no persistence, a failover): the outbox is the record.
    void recover('Redis answers again').catch((err: unknown) => log?.error({ err: (err as Error).message }, 'recovery failed'));
  };

  return {
    lane,
    queue,
    worker,
    wake: (conversationId, token) => wake(conversationId, token),
    recover,
    sweep,
    async start() {
      if (!worker) return;
      closing = false;
      await removeLegacyLanes(opts.own, opts.prefix, lane).catch((err: unknown) => log?.warn({ err: (err as Error).message }, 'old lane keys not removed'));
      if (opts.recover !== false) {
        await recover('start-up').catch((err: unknown) => log?.error({ err: (err as Error).message }, 'recovery failed'));
        opts.redis.on('close', onDown);
        opts.redis.on('ready', onReady);
        stopWatchingLoss = liveness.onDataLost(() => {
          void recover('Redis lost its data').catch((err: unknown) => log?.error({ err: (err as Error).message }, 'recovery failed'));
        });
      }
      const overdueEvery = Math.max(1, Math.round((opts.overdueMs ?? DEFAULT_OVERDUE_MS) / (opts.sweepMs ?? DEFAULT_SWEEP_MS)));
      timer = setInterval(() => {
        if (sweeping || closing) return;
        sweeping = true;
        sweep({ overdue: ++sweeps % overdueEvery === 0 })
          .catch((err: unknown) => log?.warn({ err: (err as Error).message }, 'sweep failed'))
          .finally(() => (sweeping = false));
      }, opts.sweepMs ?? DEFAULT_SWEEP_MS);
      timer.unref();
      void worker.run().catch((err: unknown) => log?.error({ err: (err as Error).message }, 'worker stopped'));
      await worker.waitUntilReady();
    },
    async stop() {
      closing = true;
      if (timer) clearInterval(timer);
      timer = null;
      opts.redis.off('close', onDown);
      opts.redis.off('ready', onReady);
      stopWatchingLoss();
      // Running turns end after their current item (closing), hand their conversation on and let
      // go; once they have, the worker is closed without waiting for its own fetch loop (which can
      // hang on a Redis that came back empty) since nothing of ours runs in it any more.
      if (worker) {
        if (inflight > 0) await new Promise<void>((resolve) => (idle = resolve));
        await closeSettled({ waitUntilReady: () => worker.waitUntilReady(), close: () => worker.close(true) });
      }
      await closeSettled(queue);
    },
  };
}

/**
 * The previous design kept each conversation's order in Redis lists under `<prefix>:lanes:<lane>`
 * (keys of ours). The outbox took their place (migration 004 moved the pending work), so they go.
 */
async function removeLegacyLanes(redis: Redis, prefix: string, lane: Lane): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${keys.legacyLanes(prefix)}${lane}*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) await redis.del(...found);
  } while (cursor !== '0');
}
