// Per-conversation order on open-source BullMQ (which has no groups): the ONE ordering module the
// send queue and the delivery queue share. This file holds the design and its Redis side (lanes,
// claims, enqueue); orderedProcessor.ts runs the items.
//
// Design ("lanes"):
// - Items (messages) run in BullMQ jobs with id `<kind>-<messageId>`: duplicate enqueues are
//   no-ops, and a failed job is one inspectable, retryable message.
// - Beside the jobs, each conversation has a lane: a Redis LIST of the ids of its pending items
//   in accepted order (`enqueue` appends, atomically skipping ids already present).
// - Only the HEAD of a lane runs. An item enqueued into an empty lane gets its job at once; an
//   item enqueued behind others only takes its place in the lane (one round trip). When the head
//   finishes, the worker removes it from the lane and, in the same atomic step, learns the new
//   head, whose job it then adds (or wakes, if one exists). So a conversation's items run one
//   after the other, each as soon as its predecessor is done, with no polling and no parked jobs;
//   other lanes never wait.
// - Drain in place (queues that turn it on: sends): when the new head has no job yet (a burst
//   queued behind), the same atomic step can CLAIM it for the finishing job, which then runs it
//   itself, and so on for up to `drainMax` items. That saves each of them a BullMQ job's add,
//   fetch and completion, most of the queue's cost per message. The claim (a key per lane naming
//   the item and the run of the owner job that took it) is live exactly while that run holds its
//   BullMQ lock, and tells everyone else that the head is in hand: an enqueue of it (duplicate,
//   recovery) adds no job, a job healing the lane leaves it alone, an admin resend waits. An item
//   run in place that does not finish (held back, to be retried, failed for good) gets its own
//   job with that delay, its attempt counted, or ended failed, so holds, retries and failed-job
//   inspection are the same as for every item. A successful item run in place has no completed
//   job of its own (its store row is the record). A closing worker starts no item in place. When
//   the owner's run ends without handing the item on (it died, or Redis failed it), the claim is
//   dead at once and the item is a head without a job: the owner's own re-run, the next enqueue
//   into the lane or start-up recovery gives it one (below).
// - A retry (backoff, Retry-After, a rate-limit hold) keeps the item at the head, so message k
//   blocks k+1 of its conversation while every other lane goes on.
// - Races: the appender's "append and tell my index" and the finisher's "remove and tell the new
//   head (and claim it)" are single Lua scripts, so exactly one of them sees the item become the
//   head and runs or adds its job (and job ids make a second add a no-op anyway).
// - Crashes: between "remove the head" and "add the next job" (or while running it in place)
//   the finishing job has not completed, so it runs again (BullMQ's stalled-job check, or its own
//   retry after a Redis error); a run that finds its item no longer in the lane makes sure the
//   lane's head has a job. Start-up recovery re-enqueues every pending message from the store,
//   which re-adds a missing head job (enqueue of an item already at the head adds its job if
//   absent and unclaimed). A head nobody runs (its job ended on its own, BullMQ having given it up
//   after too many stalls, while the clean-up was lost; or no job and no live claim) is seen by
//   the next enqueue into that lane (LANE_ADD), which parks its item's job to heal the lane.
// - The lane sweep (sweepLanes, every worker, once a minute) is the net under all of the above:
//   it walks every lane and helps on each head nobody runs (no job and no live claim: a job; a
//   job that ended: the lane is freed). So a wake-up lost to a crash, a Redis error on a final
//   failure or Redis losing its last writes costs at most one interval, even for a conversation
//   that gets no new message.
// - Jobs that run while behind (an admin retry of an old job, jobs parked by an earlier version)
//   park themselves (moved to delayed with BullMQ's DelayedError: no attempt is used) for a
//   bounded time, and check that their head still has a live job or claim (self-healing); a head
//   whose job ended without us (BullMQ failed it after too many stalls) is abandoned through the
//   `abandon` hook and removed, so one lost job never blocks a conversation forever.
// Why not a single "drain" job per conversation: a drain job id per conversation loses wake-ups
// (a message enqueued while the drain is finishing finds the job id taken and is never drained),
// and failures would belong to the drain instead of to the message. Lanes keep BullMQ's per-job
// retries, stalls, failed-job inspection and admin retry exactly as they are; draining in place
// borrows a running job for items that would otherwise wait for a job of their own.
import { Job, type Queue } from 'bullmq';
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
  /**
   * Attempts the item already made inside another item's job (drained in place, see the header)
   * before it got a job of its own; they count towards its attempts.
   */
  priorAttempts?: number;
  /**
   * Set on the job given to a drained item whose handler ended it failed: the failure is already
   * recorded, the job's first run only ends it failed so that it stays inspectable like any other.
   */
  failed?: string;
}

// Claims (see "Drain in place"): one key per lane, '<item>|<owner job id>|<lock token>|<run>'. A
// claim is LIVE only while the run of its owner job that took it still holds its BullMQ lock:
// the lock holds that token (BullMQ renews it while the job runs and deletes it when the run ends,
// however it ends) and the job's run counter ('ats', raised by BullMQ at every fetch) is still
// <run> (a worker reuses its tokens, so a later run of the same job can hold the same token). So a
// claim lasts exactly as long as the run that took it: no guessed TTL that a slow provider call
// or a stalled event loop could outlast, and a dead or finished owner frees its item at once.
// Every script below that reads claims gets the queue's key prefix (BullMQ's job hash is
// '<queue key prefix><job id>', its lock '<queue key prefix><job id>:lock').
const LIVE_CLAIM = `
local function holdsRun(queueKey, job, token, run)
  return redis.call('GET', queueKey .. job .. ':lock') == token and redis.call('HGET', queueKey .. job, 'ats') == run
end
local function liveClaim(claimKey, queueKey)
  local c = redis.call('GET', claimKey)
  if not c then return nil end
  local a = string.find(c, '|', 1, true)
  local b = a and string.find(c, '|', a + 1, true)
  local d = b and string.find(c, '|', b + 1, true)
  if not d then return nil end
  local owner, token, run = string.sub(c, a + 1, b - 1), string.sub(c, b + 1, d - 1), string.sub(c, d + 1)
  if not holdsRun(queueKey, owner, token, run) then return nil end
  return string.sub(c, 1, a - 1), owner, token, run
end
`;

// Append unless already present (a duplicate enqueue keeps the original place); returns
// {index (0 = head, -1 when the item is done already), stale head, claimed}. KEYS[2] is the item's
// job hash: a late duplicate enqueue (a recovery pass overlapping the sends) must not put a done
// item back, where it would become a head whose job has ended and nobody hands the lane on. An
// item not in its lane is done when its job has finished, or when its job is running (holds its
// lock): a job runs its own item only while that item is in the lane, so a running job whose item
// is gone has finished it and is running the next ones in place (or completing). An item sent in
// place has no job of its own to tell: a late enqueue puts it back, and its run finds it sent and
// hands on (one extra job run, never a second SMS).
// ARGV[2] is the job key prefix: "stale head" (1) says nobody runs the lane's head: its job ENDED
// (failed or completed) while still in the lane, which our processor never leaves behind (BullMQ
// gave it up on its own, stalled too often, and the clean-up did not run: a crash), or it has no
// job and no live claim (the job that freed its predecessor died or failed before adding its job
// or giving it one). Nobody would then hand the lane on, so the enqueuer parks its item's job,
// whose run heals the lane. For a moment after a plain hand-over a healthy head also has no job
// yet; a park then costs one extra job run, never a message.
// KEYS[3] is the lane's claim: "claimed" (1) says the item is the head and is being run in place
// by the job of its predecessor, so it must not get a job of its own.
const LANE_ADD = `${LIVE_CLAIM}
local at = redis.call('LPOS', KEYS[1], ARGV[1])
if not at then
  if redis.call('HEXISTS', KEYS[2], 'finishedOn') == 1 then return {-1, 0, 0} end
  if redis.call('EXISTS', KEYS[2] .. ':lock') == 1 then return {-1, 0, 0} end
  at = redis.call('RPUSH', KEYS[1], ARGV[1]) - 1
end
if at == 0 then
  if liveClaim(KEYS[3], ARGV[3]) == ARGV[1] then return {0, 0, 1} end
  return {0, 0, 0}
end
local head = redis.call('LINDEX', KEYS[1], 0)
if not head then return {at, 0, 0} end
local hkey = ARGV[2] .. string.gsub(head, ':', '_')
if redis.call('EXISTS', hkey) == 1 then
  if redis.call('HEXISTS', hkey, 'finishedOn') == 1 then return {at, 1, 0} end
  return {at, 0, 0}
end
if liveClaim(KEYS[3], ARGV[3]) == head then return {at, 0, 0} end
return {at, 1, 0}`;

// 1 = head, 0 = behind, -1 = not in the lane (finished already); second value: the lane's head
// ('' when the lane is empty).
const LANE_CHECK = `
local head = redis.call('LINDEX', KEYS[1], 0)
if head == ARGV[1] then return {1, head} end
if not head then return {-1, ''} end
if redis.call('LPOS', KEYS[1], ARGV[1]) then return {0, head} end
return {-1, head}`;

// Remove the item; return {new head ('' when the lane is empty), 1 if the new head's job exists,
// how the new head is run in place: 0 not, 1 claimed for the caller, 2 by another live job,
// 1 if the lane moved on in this call (0: the item was finished before and the head is where it
// was, so it is left alone; see NextHead.removed)}.
// ARGV[2] is the job key prefix (e.g. 'smsb:send:send-'). When the new head's job exists and has
// not run (an item re-enqueued by recovery, or parked by an earlier version) it is marked head in
// its data ({"head": true}) in the same atomic step that saw it become the head, so its first run
// skips the lane check, as a job added for a head does. Items leave a lane only when done, so
// "was the head" stays true until then.
// Claims (KEYS[2]): a claim on the removed item ends here. A new head without a job that another
// live run holds in place is left to it (a late finish of an item someone else finished already).
// ARGV[4], ARGV[5] and ARGV[6] (the caller's job id, lock token and run; token '' = no) ask to run
// the new head in place: granted when the caller really removed the head (not a re-run finding
// its item gone), still holds its lock in this run, and the new head has no job; granted again
// when the caller's own run holds the claim already (ioredis resends a command whose answer a
// dropped connection lost: the first execution removed the item and claimed the next). ARGV[7]:
// the claim key's expiry, ms, only to clean up after owners that died (liveness is the lock's).
// A new head whose job has COMPLETED is skipped (removed): our processor frees the lane before a
// job completes, so such a head is done and only its clean-up was lost (a crash); left in place it
// would hold the lane with nobody to hand it on. A head whose job FAILED stays: its failure may
// not be recorded yet, which heal (a parked job's, or the lane sweep's) does before freeing it.
const LANE_DONE = `${LIVE_CLAIM}
local removed = redis.call('LREM', KEYS[1], 1, ARGV[1])
local claim = redis.call('GET', KEYS[2])
if claim and string.sub(claim, 1, #ARGV[1] + 1) == ARGV[1] .. '|' then redis.call('DEL', KEYS[2]) end
local nxt, key, raw, ended
local moved = removed
for _ = 1, 1000 do
  nxt = redis.call('LINDEX', KEYS[1], 0)
  if not nxt then return {'', 0, 0, moved} end
  key = ARGV[2] .. string.gsub(nxt, ':', '_')
  raw = redis.call('HGET', key, 'data')
  -- No job (the usual next head of a burst): it cannot have completed.
  ended = raw and redis.call('ZSCORE', ARGV[3] .. 'completed', string.sub(key, #ARGV[3] + 1))
  if not ended then break end
  redis.call('LPOP', KEYS[1])
  moved = 1
end
if ended then return {nxt, 1, 0, moved} end
if not raw then
  local held, owner, token, run = liveClaim(KEYS[2], ARGV[3])
  if held == nxt then
    if owner == ARGV[4] and token == ARGV[5] and run == ARGV[6] then return {nxt, 0, 1, moved} end
    return {nxt, 0, 2, moved}
  end
  if removed == 1 and ARGV[5] ~= '' and holdsRun(ARGV[3], ARGV[4], ARGV[5], ARGV[6]) then
    redis.call('SET', KEYS[2], nxt .. '|' .. ARGV[4] .. '|' .. ARGV[5] .. '|' .. ARGV[6], 'PX', ARGV[7])
    return {nxt, 0, 1, moved}
  end
  return {nxt, 0, 0, moved}
end
if redis.call('HEXISTS', key, 'processedOn') == 0 then
  local ok, data = pcall(cjson.decode, raw)
  if ok and type(data) == 'table' and data.id == nxt and data.head ~= true then
    data.head = true
    redis.call('HSET', key, 'data', cjson.encode(data))
  end
end
return {nxt, 1, 0, moved}`;

// The lane's live claim: {item, owner job id}, or {'', ''}. ARGV[1]: the queue's key prefix.
const LANE_CLAIM = `${LIVE_CLAIM}
local item, owner = liveClaim(KEYS[1], ARGV[1])
if not item then return {'', ''} end
return {item, owner}`;

/** A claim key outlives a dead owner this long at most (it is dead at once; this is clean-up). */
const CLAIM_KEY_EXPIRY_MS = 24 * 3600_000;

export type LanePosition = { state: 'head' } | { state: 'behind'; head: string } | { state: 'absent'; head: string | null };

/** The lane's head, being run in place by the job `owner` (see "Drain in place"). */
export interface LaneClaim {
  id: string;
  owner: string;
}

/** The next head a finish handed the lane to. */
export interface NextHead {
  id: string;
  /** The item has a BullMQ job already (to wake, not to add). */
  hasJob: boolean;
  /** Claimed for the caller, who runs it in place instead of giving it a job. */
  claimed: boolean;
  /** Run in place by another live job, which hands the lane on: nothing to do. */
  held: boolean;
  /**
   * The lane moved on in this finish. False: the item was finished before (a late or second
   * finish), so the head did not just become the head and its job, if any, is left alone: it may
   * be held back on purpose (Retry-After, backoff), which a wake-up would cut short.
   */
  removed: boolean;
}

/** The job run that finishes an item, and whether it asks to run the next one in place. */
export interface Finisher {
  jobId: string;
  /** Its BullMQ lock token: given, it asks to claim the next item (see LANE_DONE). */
  token?: string;
  /** Which run of the job this is (BullMQ's attemptsStarted, 'ats'). */
  run: number;
}

/** The Redis side of lanes: four atomic scripts over the lane lists and their claims. */
export class Lanes {
  private readonly add: ScriptCall<[number, number, number]>;
  private readonly check: ScriptCall<[number, string]>;
  private readonly done: ScriptCall<[string, number, number, number]>;
  private readonly claimed: ScriptCall<[string, string]>;

  /** Key of job id `<kind>-` (e.g. `smsb:send:send-`): an item's job hash is this plus its id. */
  private readonly jobKeyPrefix: string;

  constructor(
    private readonly redis: Redis,
    /** Key prefix of this queue's lanes, e.g. `smsb:lanes:send`. */
    private readonly keyPrefix: string,
    /** The queue's own key prefix (`queue.toKey('')`, e.g. `smsb:send:`): where jobs and their locks live. */
    private readonly queueKey: string,
    /** Job name and id prefix of the queue's items (`send` gives job ids `send-<messageId>`). */
    private readonly kind: string,
  ) {
    this.jobKeyPrefix = queueKey + jobIdFor(kind, '');
    this.add = defineScript<[number, number, number]>(redis, 'smsbLaneAdd7', 3, LANE_ADD);
    this.check = defineScript<[number, string]>(redis, 'smsbLaneCheck2', 1, LANE_CHECK);
    this.done = defineScript<[string, number, number, number]>(redis, 'smsbLaneDone10', 2, LANE_DONE);
    this.claimed = defineScript<[string, string]>(redis, 'smsbLaneClaim2', 1, LANE_CLAIM);
  }

  key(lane: string): string {
    return `${this.keyPrefix}:${lane}`;
  }

  /** The lane's claim key (lane ids are conversation ids, UUIDs: never end in ':claim'). */
  claimKey(lane: string): string {
    return `${this.keyPrefix}:${lane}:claim`;
  }

  /**
   * Appends the item unless present; returns its index (0 = head, -1 if its job finished),
   * whether nobody runs the lane's head (see LANE_ADD) and whether the item is the head and
   * claimed (run in place: it must not get a job).
   */
  async append(lane: string, id: string): Promise<{ at: number; staleHead: boolean; claimed: boolean }> {
    const jobKey = this.queueKey + jobIdFor(this.kind, id);
    const [at, stale, claimed] = await this.add([this.key(lane), jobKey, this.claimKey(lane)], [id, this.jobKeyPrefix, this.queueKey]);
    return { at, staleHead: stale === 1, claimed: claimed === 1 };
  }

  async position(lane: string, id: string): Promise<LanePosition> {
    const [state, head] = await this.check([this.key(lane)], [id]);
    if (state === 1) return { state: 'head' };
    if (state === 0) return { state: 'behind', head };
    return { state: 'absent', head: head === '' ? null : head };
  }

  /**
   * Removes the item; returns the lane's new head (null when the lane is empty), whether that head
   * already has a job, was claimed for the finisher (asked for with its token), or is run in place
   * by another live job.
   */
  async finish(lane: string, id: string, by?: Finisher): Promise<NextHead | null> {
    const [next, hasJob, inPlace, removed] = await this.done(
      [this.key(lane), this.claimKey(lane)],
      [id, this.jobKeyPrefix, this.queueKey, by?.jobId ?? '', by?.token ?? '', by?.run ?? '', CLAIM_KEY_EXPIRY_MS],
    );
    return next === '' ? null : { id: next, hasJob: hasJob === 1, claimed: inPlace === 1, held: inPlace === 2, removed: removed === 1 };
  }

  /**
   * Every non-empty lane with its head, read a batch at a time (SCAN: no long pause of Redis).
   * A lane that changes during the walk may be seen in either state, or twice. A lane whose head
   * cannot be read is passed to `onError` and the walk goes on.
   */
  async *heads(onError: (err: unknown, lane: string) => void = () => undefined): AsyncGenerator<{ lane: string; head: string }> {
    const from = this.keyPrefix.length + 1;
    let cursor = '0';
    do {
      // Lanes and their claims are the only keys under the prefix (no SCAN TYPE: Redis 6+ only).
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.keyPrefix}:*`, 'COUNT', 500);
      cursor = next;
      for (const key of keys) {
        if (key.endsWith(':claim')) continue;
        let head: string | null = null;
        try {
          head = await this.redis.lindex(key, 0);
        } catch (err) {
          onError(err, key.slice(from));
        }
        if (head !== null) yield { lane: key.slice(from), head };
      }
    } while (cursor !== '0');
  }

  /** The lane's live claim, if any (none once its owner's run ended or lost its lock). */
  async claim(lane: string): Promise<LaneClaim | null> {
    const [id, owner] = await this.claimed([this.claimKey(lane)], [this.queueKey]);
    return id === '' ? null : { id, owner };
  }
}

/**
 * Attempts a job's item has made: the job's own plus those made in place in the job before it
 * (LaneJobData.priorAttempts). BullMQ counts only the former.
 */
export function attemptsMadeOf(job: { attemptsMade: number; data?: unknown }): number {
  const prior = (job.data as Partial<LaneJobData> | undefined)?.priorAttempts;
  return job.attemptsMade + (typeof prior === 'number' ? prior : 0);
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
export async function ensureHeadJob(
  queue: Queue<LaneJobData>,
  kind: string,
  lane: string,
  head: { id: string; hasJob: boolean; held?: boolean; removed?: boolean },
): Promise<void> {
  // Run in place by another live job: it hands the lane on (or gives the item its job).
  if (head.held) return;
  if (head.hasJob) {
    if (head.removed === false) return;
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
  const { at, staleHead, claimed } = await lanes.append(item.lane, item.id);
  if (at === 0) {
    // Claimed: the job of its predecessor is running it in place (or hands it a job if it must
    // wait); a job of its own now would run it twice.
    if (!claimed) await queue.add(kind, { ...item, head: true }, { jobId });
    return;
  }
  // Behind others: the finisher of its predecessor adds its job. Unless nobody will finish the
  // head (its job ended on its own): then a parked job of ours runs, finds it behind, heals.
  if (at > 0 && staleHead) await queue.add(kind, item, { jobId, delay: STALE_HEAD_PARK_MS });
}
