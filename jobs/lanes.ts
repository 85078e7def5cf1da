// Per-conversation order on open-source BullMQ (which has no groups): the ONE ordering module the
// send queue and the delivery queue share.
//
// Design ("lanes"):
// - Every item (a message) is its own BullMQ job, id `<kind>-<messageId>`: duplicate enqueues are
//   no-ops, and a failed job is one inspectable, retryable message.
// - Beside the jobs, each conversation has a lane: a Redis LIST of the ids of its pending items
//   in accepted order (`enqueue` appends, atomically skipping ids already present).
// - Only the HEAD of a lane has a job. An item enqueued into an empty lane gets its job at once;
//   an item enqueued behind others only takes its place in the lane (one round trip). When the
//   head finishes, the worker removes it from the lane and, in the same atomic step, learns the
//   new head, whose job it then adds (or wakes, if one exists). So a conversation's items run
//   one after the other, each as soon as its predecessor is done, with no polling and no parked
//   jobs; other lanes never wait.
// - A retry (backoff, Retry-After, a rate-limit hold) keeps the item at the head, so message k
//   blocks k+1 of its conversation while every other lane goes on.
// - Races: the appender's "append and tell my index" and the finisher's "remove and tell the new
//   head" are single Lua scripts, so exactly one of them sees the item become the head and adds
//   its job (and job ids make a second add a no-op anyway).
// - Crashes: between "remove the head" and "add the next job" the finishing job has not
//   completed, so it runs again (BullMQ's stalled-job check, or its own retry after a Redis
//   error); a run that finds its item no longer in the lane makes sure the lane's head has a job.
//   Start-up recovery re-enqueues every pending message from the store, which re-adds a missing
//   head job (enqueue of an item already at the head adds its job if absent). A head whose job
//   BullMQ ended on its own (stalled too often) while the clean-up was lost is seen by the next
//   enqueue into that lane (LANE_ADD), which parks its item's job to heal the lane (below).
// - Jobs that run while behind (an admin retry of an old job, jobs parked by an earlier version)
//   park themselves (moved to delayed with BullMQ's DelayedError: no attempt is used) for a
//   bounded time, and check that their head still has a live job (self-healing); a head whose job
//   ended without us (BullMQ failed it after too many stalls) is abandoned through the `abandon`
//   hook and removed, so one lost job never blocks a conversation forever.
// Why not a single "drain" job per conversation: a drain job id per conversation loses wake-ups
// (a message enqueued while the drain is finishing finds the job id taken and is never drained),
// and failures would belong to the drain instead of to the message. Lanes keep BullMQ's per-job
// retries, stalls, failed-job inspection and admin retry exactly as they are.
import { DelayedError, Job, UnrecoverableError, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { defineScript, type ScriptCall } from './redisScript.js';

/** Job payload of every ordered queue. */
export interface LaneJobData {
  /** Item id: the message id. */
  id: string;
  /** Lane id: the conversation id. */
  lane: string;
  /** Set when the item was already the head of its lane when it was enqueued. */
  head?: boolean;
}

// Append unless already present (a duplicate enqueue keeps the original place); returns
// {index (0 = head, -1 when the item's BullMQ job already finished), stale head}. KEYS[2] is the
// item's job hash: a late duplicate enqueue must not leave a lane entry no job will clear.
// ARGV[2] is the job key prefix: "stale head" (1) says the lane's head has a job that ENDED
// (failed or completed) while still in the lane, which our processor never leaves behind: BullMQ
// gave it up on its own (stalled too often) and the clean-up did not run (a crash). Nobody would
// then hand the lane on, so the enqueuer parks its item's job, whose run heals the lane.
const LANE_ADD = `
local at = redis.call('LPOS', KEYS[1], ARGV[1])
if not at then
  if redis.call('HEXISTS', KEYS[2], 'finishedOn') == 1 then return {-1, 0} end
  at = redis.call('RPUSH', KEYS[1], ARGV[1]) - 1
end
if at == 0 then return {0, 0} end
local head = redis.call('LINDEX', KEYS[1], 0)
if head and redis.call('HEXISTS', ARGV[2] .. string.gsub(head, ':', '_'), 'finishedOn') == 1 then return {at, 1} end
return {at, 0}`;

// 1 = head, 0 = behind, -1 = not in the lane (finished already); second value: the lane's head
// ('' when the lane is empty).
const LANE_CHECK = `
local head = redis.call('LINDEX', KEYS[1], 0)
if head == ARGV[1] then return {1, head} end
if not head then return {-1, ''} end
if redis.call('LPOS', KEYS[1], ARGV[1]) then return {0, head} end
return {-1, head}`;

// Remove the item; return {new head ('' when the lane is empty), 1 if the new head's job exists}.
// ARGV[2] is the job key prefix (e.g. 'smsb:send:send-'). When the new head's job exists and has
// not run (an item re-enqueued by recovery, or parked by an earlier version) it is marked head in
// its data ({"head": true}) in the same atomic step that saw it become the head, so its first run
// skips the lane check, as a job added for a head does. Items leave a lane only when done, so
// "was the head" stays true until then.
const LANE_DONE = `
redis.call('LREM', KEYS[1], 1, ARGV[1])
local nxt = redis.call('LINDEX', KEYS[1], 0)
if not nxt then return {'', 0} end
local key = ARGV[2] .. string.gsub(nxt, ':', '_')
local raw = redis.call('HGET', key, 'data')
if not raw then return {nxt, 0} end
if redis.call('HEXISTS', key, 'processedOn') == 0 then
  local ok, data = pcall(cjson.decode, raw)
  if ok and type(data) == 'table' and data.id == nxt and data.head ~= true then
    data.head = true
    redis.call('HSET', key, 'data', cjson.encode(data))
  end
end
return {nxt, 1}`;

export type LanePosition = { state: 'head' } | { state: 'behind'; head: string } | { state: 'absent'; head: string | null };

/** The Redis side of lanes: three atomic scripts. */
export class Lanes {
  private readonly add: ScriptCall<[number, number]>;
  private readonly check: ScriptCall<[number, string]>;
  private readonly done: ScriptCall<[string, number]>;

  constructor(
    redis: Redis,
    /** Key prefix of this queue's lanes, e.g. `smsb:lanes:send`. */
    private readonly keyPrefix: string,
  ) {
    this.add = defineScript<[number, number]>(redis, 'smsbLaneAdd3', 2, LANE_ADD);
    this.check = defineScript<[number, string]>(redis, 'smsbLaneCheck2', 1, LANE_CHECK);
    this.done = defineScript<[string, number]>(redis, 'smsbLaneDone3', 1, LANE_DONE);
  }

  key(lane: string): string {
    return `${this.keyPrefix}:${lane}`;
  }

  /**
   * Appends the item unless present; returns its index (0 = head, -1 if its job finished) and
   * whether the lane's head is stale (its job ended without freeing the lane; see LANE_ADD).
   */
  async append(lane: string, id: string, jobKey: string, jobKeyPrefix: string): Promise<{ at: number; staleHead: boolean }> {
    const [at, stale] = await this.add([this.key(lane), jobKey], [id, jobKeyPrefix]);
    return { at, staleHead: stale === 1 };
  }

  async position(lane: string, id: string): Promise<LanePosition> {
    const [state, head] = await this.check([this.key(lane)], [id]);
    if (state === 1) return { state: 'head' };
    if (state === 0) return { state: 'behind', head };
    return { state: 'absent', head: head === '' ? null : head };
  }

  /**
   * Removes the item; returns the lane's new head (null when the lane is empty) and whether that
   * head already has a job. `jobKeyPrefix`: the queue's key of job id `<kind>-` (see LANE_DONE).
   */
  async finish(lane: string, id: string, jobKeyPrefix: string): Promise<{ id: string; hasJob: boolean } | null> {
    const [next, hasJob] = await this.done([this.key(lane)], [id, jobKeyPrefix]);
    return next === '' ? null : { id: next, hasJob: hasJob === 1 };
  }
}

/** What a handler decided for one item. */
export type ItemOutcome =
  /** Finished (sent, refused, or a final failure the handler recorded and reported). */
  | { kind: 'done'; result?: unknown }
  /** Finished with a final failure the handler recorded: the job ends failed (inspectable). */
  | { kind: 'fail'; error: Error }
  /** Hold back without using an attempt (rate limit, Retry-After); stays head of its lane. */
  | { kind: 'delay'; ms: number; reason: string }
  /** Transient failure: BullMQ retries with backoff; stays head of its lane. */
  | { kind: 'retry'; error: Error };

export interface ItemContext {
  job: Job<LaneJobData>;
  /** 1-based attempt number (holds and parks do not count). */
  attempt: number;
  /** True when a 'retry' outcome would exhaust the job's attempts: the handler must end it. */
  lastAttempt: boolean;
  /** False when the item is not in its lane (admin retry of a finished item, or a re-run). */
  inLane: boolean;
}

export type ItemHandler = (item: LaneJobData, ctx: ItemContext) => Promise<ItemOutcome>;

export interface OrderedProcessorOptions {
  queue: Queue<LaneJobData>;
  lanes: Lanes;
  /** Job name and id prefix (`send` gives job ids `send-<messageId>`). */
  kind: string;
  handler: ItemHandler;
  /**
   * Called when an item is given up outside the handler's control: an unexpected error on its
   * last attempt, or a head whose job BullMQ ended (stalled too often). Records the failure.
   */
  abandon: (id: string, reason: string) => Promise<void>;
  /** First park time of a waiting successor (doubles per park), ms. */
  parkMs?: number;
  /** Longest park time, ms: the safety net if a wake-up was lost to a crash. */
  maxParkMs?: number;
  onError?: (err: unknown, where: string) => void;
}

/** Marks errors our processor threw on purpose, to tell them from BullMQ's own failures. */
export const HANDLED = Symbol('smsb.handled');

function mark<E extends Error>(err: E): E {
  (err as E & { [HANDLED]?: boolean })[HANDLED] = true;
  return err;
}

export function isHandledError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { [HANDLED]?: boolean })[HANDLED] === true;
}

export function jobIdFor(kind: string, id: string): string {
  // BullMQ job ids must not contain ':' (message ids are UUIDs; this is a guard for the future).
  return `${kind}-${id.replace(/:/g, '_')}`;
}

/** Promotes a parked (delayed) job; any other state is left alone. One round trip. */
export async function promoteJob(queue: Queue<LaneJobData>, kind: string, id: string): Promise<void> {
  // A bare Job handle is enough for promote (no HGETALL of the whole job).
  const job = new Job<LaneJobData>(queue, kind, { id, lane: '' }, {}, jobIdFor(kind, id));
  await job.promote().catch(() => undefined);
}

/**
 * Gives the lane's head a job: adds it (marked head, so its first run skips the lane check) or,
 * when it exists already, wakes it in case it is parked. Idempotent.
 */
export async function ensureHeadJob(queue: Queue<LaneJobData>, kind: string, lane: string, head: { id: string; hasJob: boolean }): Promise<void> {
  if (head.hasJob) {
    await promoteJob(queue, kind, head.id);
    return;
  }
  await queue.add(kind, { id: head.id, lane, head: true }, { jobId: jobIdFor(kind, head.id) });
}

/** How long the job of an item queued behind a stale head stays parked before it heals the lane. */
const STALE_HEAD_PARK_MS = 1_000;

/**
 * Adds an item to its lane and, when it is the head, its job to the queue; both steps are
 * idempotent. An item behind others gets its job when it becomes the head (see the header).
 */
export async function enqueueOrdered(queue: Queue<LaneJobData>, lanes: Lanes, kind: string, item: LaneJobData): Promise<void> {
  // Lane first: a job never runs before its item has a place. A crash between the two leaves a
  // head without a job, which start-up recovery (or the caller's retry) re-adds.
  const jobId = jobIdFor(kind, item.id);
  const { at, staleHead } = await lanes.append(item.lane, item.id, queue.toKey(jobId), queue.toKey(jobIdFor(kind, '')));
  if (at === 0) {
    await queue.add(kind, { ...item, head: true }, { jobId });
    return;
  }
  // Behind others: the finisher of its predecessor adds its job. Unless nobody will finish the
  // head (its job ended on its own): then a parked job of ours runs, finds it behind, heals.
  if (at > 0 && staleHead) await queue.add(kind, item, { jobId, delay: STALE_HEAD_PARK_MS });
}

/** Wraps an item handler into a BullMQ processor that keeps lane order. */
export function orderedProcessor(opts: OrderedProcessorOptions) {
  const parkMs = opts.parkMs ?? 1_000;
  const maxParkMs = opts.maxParkMs ?? 30_000;
  const report = opts.onError ?? (() => undefined);

  const jobKeyPrefix = opts.queue.toKey(jobIdFor(opts.kind, ''));

  /** Frees the lane and hands it to the next item (its job added or woken). */
  async function finish(item: LaneJobData): Promise<void> {
    const next = await opts.lanes.finish(item.lane, item.id, jobKeyPrefix);
    if (next) await ensureHeadJob(opts.queue, opts.kind, item.lane, next);
  }

  /** Make sure the head we wait for can make progress (see "Self-healing" above). */
  async function heal(lane: string, head: string): Promise<void> {
    const jobId = jobIdFor(opts.kind, head);
    const state = await opts.queue.getJobState(jobId);
    if (state === 'unknown') {
      await opts.queue.add(opts.kind, { id: head, lane }, { jobId });
    } else if (state === 'completed') {
      await finish({ id: head, lane });
    } else if (state === 'failed') {
      // Failed without our processor freeing the lane: BullMQ gave up on it (stalled too often).
      const job = await Job.fromId<LaneJobData>(opts.queue, jobId);
      await opts.abandon(head, job?.failedReason || 'its job failed');
      await finish({ id: head, lane });
    }
  }

  async function park(job: Job<LaneJobData>, token: string): Promise<never> {
    const { lane, id } = job.data;
    const times = Math.max(0, (job.attemptsStarted ?? 1) - 1);
    await job.moveToDelayed(Date.now() + Math.min(parkMs * 2 ** Math.min(times, 20), maxParkMs), token);
    // Dekker-style second look: the head may have finished between our check and the move.
    const again = await opts.lanes.position(lane, id);
    if (again.state !== 'behind') {
      await job.promote().catch(() => undefined);
    } else {
      await heal(lane, again.head).catch((err: unknown) => report(err, 'heal'));
    }
    throw new DelayedError();
  }

  // Every error leaving the processor is marked as ours, so the worker's 'failed' listener only
  // cleans up after failures BullMQ decided alone (see cleanupUnhandledFailure).
  return async function process(job: Job<LaneJobData>, token?: string): Promise<unknown> {
    try {
      return await processItem(job, token);
    } catch (err) {
      throw mark(err instanceof Error ? err : new Error(String(err)));
    }
  };

  async function processItem(job: Job<LaneJobData>, token?: string): Promise<unknown> {
    if (!token) throw new Error('ordered processing needs the job token (BullMQ 5 processor signature)');
    const item: LaneJobData = { id: job.data.id, lane: job.data.lane };
    // Fast path: an item that was the head when enqueued, or that the finisher of its predecessor
    // saw become the head (LANE_DONE marks its job), stays the head until it is finished (items
    // leave a lane only when done), so its FIRST run needs no lane check. Re-runs (stall, admin
    // retry) check, because by then the item may have been finished already.
    const firstRun = job.attemptsStarted <= 1 && job.attemptsMade === 0;
    const pos: LanePosition = firstRun && job.data.head === true ? { state: 'head' } : await opts.lanes.position(item.lane, item.id);
    if (pos.state === 'behind') return park(job, token);
    // Done before (a re-run after a crash or a Redis error between freeing the lane and adding
    // the next job, or an admin retry): make sure the lane's head is not left without a job.
    if (pos.state === 'absent' && pos.head !== null) {
      await heal(item.lane, pos.head).catch((err: unknown) => report(err, 'heal'));
    }
    const inLane = pos.state === 'head';
    const attempts = job.opts.attempts ?? 1;
    const ctx: ItemContext = {
      job,
      attempt: job.attemptsMade + 1,
      lastAttempt: job.attemptsMade + 1 >= attempts,
      inLane,
    };

    let outcome: ItemOutcome;
    try {
      outcome = await opts.handler(item, ctx);
    } catch (err) {
      // A bug or an unexpected failure: retry like a transient error, and give the item up on the
      // last attempt so its lane moves on (the abandon hook records why).
      const error = err instanceof Error ? err : new Error(String(err));
      if (ctx.lastAttempt) {
        await opts.abandon(item.id, `gave up after ${ctx.attempt} attempts: ${error.message}`);
        if (inLane) await finish(item);
        throw mark(new UnrecoverableError(error.message));
      }
      throw mark(error);
    }

    switch (outcome.kind) {
      case 'done':
        // Awaited: if Redis fails while the lane is being freed, the job must not complete as if
        // it had been (its successor would wait for the slow self-heal, up to maxParkMs); the
        // error makes the job run again, and the re-run finds its message done and frees the lane.
        if (inLane) await finish(item);
        return outcome.result ?? null;
      case 'fail':
        if (inLane) await finish(item);
        throw mark(new UnrecoverableError(outcome.error.message));
      case 'delay':
        await job.moveToDelayed(Date.now() + Math.max(0, outcome.ms), token);
        throw mark(new DelayedError(outcome.reason));
      case 'retry':
        if (ctx.lastAttempt && inLane) await finish(item);
        throw mark(outcome.error);
    }
  }
}

/** Stale-head cleanup for jobs BullMQ failed without running our processor (stall limit). */
export async function cleanupUnhandledFailure(
  opts: Pick<OrderedProcessorOptions, 'lanes' | 'abandon' | 'queue' | 'kind'>,
  job: Job<LaneJobData>,
  err: Error,
): Promise<void> {
  if (isHandledError(err)) return;
  await opts.abandon(job.data.id, err.message);
  const next = await opts.lanes.finish(job.data.lane, job.data.id, opts.queue.toKey(jobIdFor(opts.kind, '')));
  if (next !== null) await ensureHeadJob(opts.queue, opts.kind, job.data.lane, next);
}
