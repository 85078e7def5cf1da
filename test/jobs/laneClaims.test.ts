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
    expect(await lanes.finish(LANE, 'a', a)).toEqual({ id: 'x', hasJob: false, claimed: true, held: false });
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
    expect(first).toEqual({ id: 'x', hasJob: false, claimed: true, held: false });
    expect(replay).toEqual(first);
  });

  it('a finish by another job (a late duplicate run) finds the head held in place and leaves it alone', async () => {
    await lane('a', 'x');
    const a = await running('a', 'w1:1', 1);
    await lanes.finish(LANE, 'a', a);
    const b = await running('b', 'w2:1', 1);
    expect(await lanes.finish(LANE, 'a', b)).toEqual({ id: 'x', hasJob: false, claimed: false, held: true });
    expect(await lanes.finish(LANE, 'a')).toEqual({ id: 'x', hasJob: false, claimed: false, held: true });
    expect(await lanes.claim(LANE)).toEqual({ id: 'x', owner: 'send-a' });
  });

  it('a run that lost its lock cannot claim', async () => {
    await lane('a', 'x');
    const a = await running('a', 'w1:1', 1);
    await redis.set(`${queueKey}send-a:lock`, 'w9:7');
    expect(await lanes.finish(LANE, 'a', a)).toEqual({ id: 'x', hasJob: false, claimed: false, held: false });
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
