// Runs the items of ordered queues (lanes.ts has the design): a BullMQ processor that keeps lane
// order, heals lanes left without a runner, parks jobs that run while behind, and sends the
// following items of a lane in place when the queue turns that on ("Drain in place").
import { DelayedError, Job, UnrecoverableError, type Queue } from 'bullmq';
import { attemptsMadeOf, ensureHeadJob, jobIdFor, type LaneJobData, type LanePosition, type Lanes } from './lanes.js';

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
  /**
   * Most following items of its lane one job runs in place after its own (0 = off; see "Drain in
   * place" in lanes.ts). Needs attempts >= 2 (a drained item's first attempt must be retryable).
   */
  drainMax?: number;
  /** False while the worker is closing: no new item is started in place. */
  mayDrain?: () => boolean;
  /** Delay before retry number n of an item (the worker's backoff strategy). */
  retryDelayMs?: (attemptsMade: number, err: Error) => number;
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

/** Wraps an item handler into a BullMQ processor that keeps lane order. */
export function orderedProcessor(opts: OrderedProcessorOptions) {
  const parkMs = opts.parkMs ?? 1_000;
  const maxParkMs = opts.maxParkMs ?? 30_000;
  const report = opts.onError ?? (() => undefined);
  // Every item's attempts, as the queue gives them to a job (a drained item has none of its own).
  const attempts = opts.queue.defaultJobOptions.attempts ?? 1;
  const drainMax = attempts >= 2 ? (opts.drainMax ?? 0) : 0;
  const mayDrain = opts.mayDrain ?? (() => true);
  const retryDelayMs = opts.retryDelayMs ?? (() => 1_000);
  const { finish, heal } = laneUpkeep(opts);

  /**
   * finish() of an item that ends failed. Should Redis fail it, the job still ends failed as it
   * must (its message's failure is recorded); the lane's head is then an item whose job failed,
   * which the lane sweep (sweepLanes) frees within its interval.
   */
  async function finishFailed(item: LaneJobData): Promise<void> {
    await finish(item, true).catch((err: unknown) => report(err, 'finish after a final failure'));
  }

  /**
   * Frees the lane after a success and hands it on; while the next items have no job yet (a
   * burst queued behind), runs up to `drainMax` of them in place (see "Drain in place" in lanes.ts).
   */
  async function finishAndDrain(job: Job<LaneJobData>, token: string, item: LaneJobData): Promise<void> {
    let current = item;
    for (let drained = 0; ; drained++) {
      const by = { jobId: job.id ?? '', token: drained < drainMax && mayDrain() ? token : undefined, run: job.attemptsStarted };
      const next = await opts.lanes.finish(current.lane, current.id, by);
      if (!next) return;
      // Our own item: a finish that removed nothing is a replay whose first answer was lost, and
      // the next head must still be woken.
      if (!next.claimed) return ensureHeadJob(opts.queue, opts.kind, current.lane, { ...next, removed: true });
      const nextItem: LaneJobData = { id: next.id, lane: current.lane };
      const outcome = await runInPlace(job, nextItem);
      if (outcome.kind !== 'done') return giveOwnJob(nextItem, outcome);
      current = nextItem;
    }
  }

  /**
   * The lane hand-on after a success. If it fails (Redis), the job must not complete as if the
   * lane had been handed on: nobody else would. It goes back to delayed (no attempt used; its
   * message is done whatever attempt it was on) and its re-run finds its item gone and heals the
   * lane, giving a job to whichever item is then the head.
   */
  async function handOn(job: Job<LaneJobData>, token: string, item: LaneJobData): Promise<void> {
    try {
      await finishAndDrain(job, token, item);
    } catch (err) {
      report(err, 'hand-on');
      await job.moveToDelayed(Date.now() + parkMs, token);
      throw new DelayedError('lane hand-on failed; runs again to heal it');
    }
  }

  /** First attempt of a claimed item, inside the job that drains it. */
  async function runInPlace(job: Job<LaneJobData>, item: LaneJobData): Promise<ItemOutcome> {
    try {
      return await opts.handler(item, { attempt: 1, lastAttempt: false, inLane: true });
    } catch (err) {
      // Unexpected (a bug, the store): retried in its own job like a transient failure.
      return { kind: 'retry', error: err instanceof Error ? err : new Error(String(err)) };
    }
  }

  /**
   * A drained item that did not finish gets its own job, which keeps it the head of its lane:
   * held back by `ms`, retried after the backoff with its first attempt counted, or ended failed
   * (already recorded by the handler) so that it is inspectable like every failed item. Its claim
   * ends when it finishes (LANE_DONE), and meanwhile only tells others what they would do anyway.
   */
  async function giveOwnJob(item: LaneJobData, outcome: Exclude<ItemOutcome, { kind: 'done' }>): Promise<void> {
    const jobId = jobIdFor(opts.kind, item.id);
    const data: LaneJobData = { ...item, head: true };
    switch (outcome.kind) {
      case 'delay':
        await opts.queue.add(opts.kind, data, { jobId, delay: Math.max(0, outcome.ms) });
        return;
      case 'retry':
        await opts.queue.add(opts.kind, { ...data, priorAttempts: 1 }, { jobId, delay: retryDelayMs(1, outcome.error), attempts: attempts - 1 });
        return;
      case 'fail':
        await opts.queue.add(opts.kind, { ...data, failed: outcome.error.message }, { jobId });
        return;
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
    // A drained item's final failure, recorded already: end the job failed and hand the lane on
    // (on every run: a re-run after a stall must not complete it instead).
    if (job.data.failed !== undefined) {
      if (pos.state === 'head') await finishFailed(item);
      throw mark(new UnrecoverableError(job.data.failed));
    }
    const inLane = pos.state === 'head';
    const ownAttempts = job.opts.attempts ?? 1;
    const ctx: ItemContext = {
      attempt: attemptsMadeOf(job) + 1,
      lastAttempt: job.attemptsMade + 1 >= ownAttempts,
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
        // The failure is recorded before the lane moves on. If the store refuses that too, the
        // item stays the head with its failed job: the lane sweep records it and frees the lane.
        const recorded = await opts.abandon(item.id, `gave up after ${ctx.attempt} attempts: ${error.message}`).then(
          () => true,
          (e: unknown) => (report(e, 'abandon'), false),
        );
        if (inLane && recorded) await finishFailed(item);
        throw mark(new UnrecoverableError(error.message));
      }
      throw mark(error);
    }

    switch (outcome.kind) {
      case 'done':
        if (inLane) await handOn(job, token, item);
        return outcome.result ?? null;
      case 'fail':
        if (inLane) await finishFailed(item);
        throw mark(new UnrecoverableError(outcome.error.message));
      case 'delay':
        await job.moveToDelayed(Date.now() + Math.max(0, outcome.ms), token);
        throw mark(new DelayedError(outcome.reason));
      case 'retry':
        if (ctx.lastAttempt && inLane) await finishFailed(item);
        throw mark(outcome.error);
    }
  }
}

type UpkeepOptions = Pick<OrderedProcessorOptions, 'queue' | 'lanes' | 'kind' | 'abandon'> & {
  /**
   * How long after its job failed a head whose failure cannot be recorded (the abandon hook keeps
   * throwing) still holds its lane; after that the lane moves on regardless (default 10 min).
   */
  recordFailureForMs?: number;
};

/** Default of UpkeepOptions.recordFailureForMs. */
const RECORD_FAILURE_FOR_MS = 10 * 60_000;

/** How a lane's head was helped on, or null when it needed nothing. */
export type HealAction = 'job-added' | 'finished' | 'abandoned' | 'abandoned-unrecorded' | null;

/** The two lane steps shared by the processor and the lane sweep. */
export function laneUpkeep(opts: UpkeepOptions) {
  /**
   * Frees the lane and hands it to the next item (its job added or woken). `own`: the caller ran
   * the item as the lane's head, so a finish that removed nothing can only be a replay (ioredis
   * resent it after a lost answer) and the next head is woken all the same; a finish for somebody
   * else's item (heal) that removed nothing leaves the next head's job alone (NextHead.removed).
   */
  async function finish(item: LaneJobData, own = false): Promise<void> {
    const next = await opts.lanes.finish(item.lane, item.id);
    if (next) await ensureHeadJob(opts.queue, opts.kind, item.lane, own ? { ...next, removed: true } : next);
  }

  /** Makes sure the lane's head can make progress (lanes.ts, "jobs that run while behind"). */
  async function heal(lane: string, head: string): Promise<HealAction> {
    const jobId = jobIdFor(opts.kind, head);
    const state = await opts.queue.getJobState(jobId);
    if (state === 'unknown') {
      // No job: normal while another run holds it in place (a live claim); that run hands the
      // lane on. A claim of a run that ended (this job's earlier run included) is dead already.
      if ((await opts.lanes.claim(lane))?.id === head) return null;
      await opts.queue.add(opts.kind, { id: head, lane }, { jobId });
      return 'job-added';
    }
    if (state === 'completed') {
      await finish({ id: head, lane });
      return 'finished';
    }
    if (state === 'failed') {
      // Failed without our processor freeing the lane: BullMQ gave up on it (stalled too often),
      // Redis refused the clean-up of its final failure, or the store refused to record it.
      // abandon records it (idempotent: a message already final is left as it is).
      const job = await Job.fromId<LaneJobData>(opts.queue, jobId);
      try {
        await opts.abandon(head, job?.failedReason || 'its job failed');
      } catch (err) {
        // Not recorded (the store refuses): the lane waits for it, but not forever; past the
        // limit the conversation's later messages go on and the sweep says which one is unrecorded.
        if (Date.now() - (job?.finishedOn ?? 0) < (opts.recordFailureForMs ?? RECORD_FAILURE_FOR_MS)) throw err;
        await finish({ id: head, lane });
        return 'abandoned-unrecorded';
      }
      await finish({ id: head, lane });
      return 'abandoned';
    }
    return null;
  }

  return { finish, heal };
}

/**
 * One pass over every lane of the queue, helping on each head nobody runs (heal). The safety net
 * under the hand-overs: whatever lost a lane's wake-up (a crash between two steps, a Redis error
 * on a final failure, Redis losing its latest writes) costs at most one sweep interval, not the
 * wait for the conversation's next message or the next restart. Returns the heads it helped on.
 */
export async function sweepLanes(opts: UpkeepOptions, onError: (err: unknown, lane: string) => void): Promise<Array<{ lane: string; head: string; action: Exclude<HealAction, null> }>> {
  const { heal } = laneUpkeep(opts);
  const helped: Array<{ lane: string; head: string; action: Exclude<HealAction, null> }> = [];
  for await (const { lane, head } of opts.lanes.heads(onError)) {
    try {
      const action = await heal(lane, head);
      if (action) helped.push({ lane, head, action });
    } catch (err) {
      onError(err, lane);
    }
  }
  return helped;
}

/** Stale-head cleanup for jobs BullMQ failed without running our processor (stall limit). */
export async function cleanupUnhandledFailure(
  opts: Pick<OrderedProcessorOptions, 'lanes' | 'abandon' | 'queue' | 'kind'>,
  job: Job<LaneJobData>,
  err: Error,
): Promise<void> {
  if (isHandledError(err)) return;
  await opts.abandon(job.data.id, err.message);
  const next = await opts.lanes.finish(job.data.lane, job.data.id);
  if (next !== null) await ensureHeadJob(opts.queue, opts.kind, job.data.lane, next);
}
