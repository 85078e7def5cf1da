// The claims of "drain in place" (jobs/lanes.ts) on real Redis, state set up by hand: a claim is
// live exactly while the run of its owner job that took it holds BullMQ's lock; a resent finish
// (ioredis replays a command whose answer a dropped connection lost) keeps the caller's claim; and
// a finish by anyone else leaves a claimed head alone.
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Lanes } from '../../jobs/lanes.js';
import { deletePrefix, newRedis, uniquePrefix } from '../support/redis.js';

let redis: Redis;
let prefix: string;
let lanes: Lanes;
let queueKey: string;
const LANE = 'conv-1';

beforeEach(() => {
  redis = newRedis();
  prefix = uniquePrefix();
  queueKey = `${prefix}:send:`;
  lanes = new Lanes(redis, `${prefix}:lanes:send`, queueKey, 'send');
});
afterEach(async () => {
  await deletePrefix(redis, prefix);
  await redis.quit();
});

/** Job `send-<id>` is running: its hash with run counter `run`, its lock with `token`. */
async function running(id: string, token: string, run: number): Promise<{ jobId: string; token: string; run: number }> {
  const jobId = `send-${id}`;
  await redis.hset(`${queueKey}${jobId}`, { data: JSON.stringify({ id, lane: LANE }), ats: String(run) });
  await redis.set(`${queueKey}${jobId}:lock`, token, 'PX', 30_000);
  return { jobId, token, run };
}

async function lane(...ids: string[]): Promise<void> {
  await redis.rpush(lanes.key(LANE), ...ids);
}

describe('claims of messages run in place', () => {
  it('the finishing run claims the next message when it has no job, and the claim is live while that run holds its lock', async () => {
    await lane('a', 'x');
    const a = await running('a', 'w1:1', 1);
    expect(await lanes.finish(LANE, 'a', a)).toEqual({ id: 'x', hasJob: false, claimed: true, held: false, removed: true });
    expect(await lanes.claim(LANE)).toEqual({ id: 'x', owner: 'send-a' });
    // The run ends (BullMQ deletes the lock): the claim is dead at once.
    await redis.del(`${queueKey}send-a:lock`);
    expect(await lanes.claim(LANE)).toBeNull();
  });

  it('a later run of the owner job with the same token (workers reuse tokens) does not bring the claim back', async () => {
    await lane('a', 'x');
    const a = await running('a', 'w1:1', 1);
    await lanes.finish(LANE, 'a', a);
    // The same worker slot fetches job a again (a re-run after a DelayedError): token w1:1, run 2.
    await running('a', 'w1:1', 2);
    expect(await lanes.claim(LANE)).toBeNull();
    // So the next enqueue of x (a recovery, say) is free to give it a job.
    const added = await lanes.append(LANE, 'x');
    expect(added).toEqual({ at: 0, staleHead: false, claimed: false });
  });

  it('a resent finish of the same run keeps its claim (the first execution removed the item, the answer was lost)', async () => {
    await lane('a', 'x', 'y');
    const a = await running('a', 'w1:1', 1);
    const first = await lanes.finish(LANE, 'a', a);
    const replay = await lanes.finish(LANE, 'a', a);
    expect(first).toEqual({ id: 'x', hasJob: false, claimed: true, held: false, removed: true });
    // The replay removes nothing (the first did) but keeps the claim it took.
    expect(replay).toEqual({ ...first, removed: false });
  });

  it('a finish by another job (a late duplicate run) finds the head held in place and leaves it alone', async () => {
    await lane('a', 'x');
    const a = await running('a', 'w1:1', 1);
    await lanes.finish(LANE, 'a', a);
    const b = await running('b', 'w2:1', 1);
    expect(await lanes.finish(LANE, 'a', b)).toEqual({ id: 'x', hasJob: false, claimed: false, held: true, removed: false });
    expect(await lanes.finish(LANE, 'a')).toEqual({ id: 'x', hasJob: false, claimed: false, held: true, removed: false });
    expect(await lanes.claim(LANE)).toEqual({ id: 'x', owner: 'send-a' });
  });

  it('a run that lost its lock cannot claim', async () => {
    await lane('a', 'x');
    const a = await running('a', 'w1:1', 1);
    await redis.set(`${queueKey}send-a:lock`, 'w9:7');
    expect(await lanes.finish(LANE, 'a', a)).toEqual({ id: 'x', hasJob: false, claimed: false, held: false, removed: true });
    expect(await lanes.claim(LANE)).toBeNull();
  });

  it('while x is claimed, an enqueue of x adds no job and one behind it does not call the head stale; once dead, it does', async () => {
    await lane('a', 'x');
    const a = await running('a', 'w1:1', 1);
    await lanes.finish(LANE, 'a', a);
    expect(await lanes.append(LANE, 'x')).toEqual({ at: 0, staleHead: false, claimed: true });
    expect(await lanes.append(LANE, 'y')).toEqual({ at: 1, staleHead: false, claimed: false });
    await redis.del(`${queueKey}send-a:lock`);
    expect(await lanes.append(LANE, 'z')).toEqual({ at: 2, staleHead: true, claimed: false });
  });
});

describe('done items stay out of their lane', () => {
  it('a recovery pass that re-enqueues an item while its job runs the next ones in place does not put it back', async () => {
    await lane('y', 'z1', 'z2');
    const y = await running('y', 'w1:1', 1);
    expect(await lanes.finish(LANE, 'y', y)).toMatchObject({ id: 'z1', claimed: true });
    // Another instance's recovery read y as pending before it was sent.
    expect((await lanes.append(LANE, 'y')).at).toBe(-1);
    expect(await redis.lrange(lanes.key(LANE), 0, -1)).toEqual(['z1', 'z2']);
    // Still run in place, a later message is behind a live head: no stale-head park needed.
    expect(await lanes.append(LANE, 'w')).toEqual({ at: 2, staleHead: false, claimed: false });
    expect(await lanes.finish(LANE, 'z1', y)).toMatchObject({ id: 'z2', claimed: true });
    // z2 done: w is handed on (it has no job yet), never a finished y.
    expect(await lanes.finish(LANE, 'z2', y)).toMatchObject({ id: 'w', hasJob: false });
  });

  it('an item whose job is waiting (its lane entry lost with Redis data) is put back', async () => {
    await redis.hset(`${queueKey}send-q`, { data: JSON.stringify({ id: 'q', lane: LANE }) });
    expect(await lanes.append(LANE, 'q')).toEqual({ at: 0, staleHead: false, claimed: false });
  });

  it('a finish skips a next head whose job completed (its clean-up lost), but not one whose job failed (its failure is recorded first)', async () => {
    await lane('a', 'b', 'c', 'd');
    await redis.hset(`${queueKey}send-b`, { data: JSON.stringify({ id: 'b', lane: LANE }), finishedOn: '1', returnvalue: 'null' });
    await redis.zadd(`${queueKey}completed`, 1, 'send-b');
    await redis.hset(`${queueKey}send-c`, { data: JSON.stringify({ id: 'c', lane: LANE }), finishedOn: '2', failedReason: 'stalled' });
    await redis.zadd(`${queueKey}failed`, 2, 'send-c');
    // b is done: skipped. c failed for good: handed on as the head with a job, for heal to record.
    expect(await lanes.finish(LANE, 'a')).toEqual({ id: 'c', hasJob: true, claimed: false, held: false, removed: true });
    expect(await redis.lrange(lanes.key(LANE), 0, -1)).toEqual(['c', 'd']);
    // A lane of nothing but completed heads ends empty.
    await redis.del(lanes.key(LANE));
    await lane('e', 'b');
    expect(await lanes.finish(LANE, 'e')).toBeNull();
  });
});
