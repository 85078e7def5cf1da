// The delivery queue shares the lanes with the send queue: deliveries of one conversation run in
// order (media fetched first), a retry holds back its conversation only, and a permanent failure
// is given up without blocking the rest.
import { afterEach, describe, expect, it } from 'vitest';
import { UnrecoverableError, Worker } from 'bullmq';
import { PlatformError } from '../../src/core/errors.js';
import { createDeliveryPipeline, type DeliveryPipeline, type DeliveryPipelineDeps } from '../../jobs/pipeline.js';
import { deletePrefix, newRedis, uniquePrefix } from '../support/redis.js';
import type { Redis } from 'ioredis';

let redis: Redis;
let prefix: string;
let pipeline: DeliveryPipeline | null = null;

afterEach(async () => {
  await pipeline?.worker?.close();
  await pipeline?.queue.ordered.queue.obliterate({ force: true });
  await pipeline?.queue.close();
  pipeline = null;
  await deletePrefix(redis, prefix);
  await redis.quit();
});

async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 15_000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

type FetchMedia = NonNullable<DeliveryPipelineDeps['fetchPendingMedia']>;

function setup(deliver: (id: string) => Promise<void>, extra: { fetchPendingMedia?: FetchMedia; onGiveUp?: (id: string, reason: string) => Promise<void> } = {}) {
  redis = newRedis();
  prefix = uniquePrefix();
  pipeline = createDeliveryPipeline({
    redis,
    prefix,
    deliver,
    ...extra,
    options: { concurrency: 8, backoff: { baseMs: 20, maxMs: 100 }, attempts: 20, parkMs: 500, maxParkMs: 2_000 },
  });
  return pipeline;
}

describe('delivery queue', () => {
  it('delivers each conversation in order, media first, conversations in parallel', async () => {
    const log: string[] = [];
    const p = setup(
      async (id) => {
        await new Promise((r) => setTimeout(r, Math.random() * 10));
        log.push(`deliver ${id}`);
      },
      {
        fetchPendingMedia: async (id) => {
          log.push(`media ${id}`);
          return [];
        },
      },
    );
    await p.start();
    for (let i = 0; i < 20; i++) {
      await p.queue.enqueueDelivery(`a${i}`, 'conv-a');
      await p.queue.enqueueDelivery(`b${i}`, 'conv-b');
    }
    await until(() => log.filter((l) => l.startsWith('deliver')).length === 40, 'all delivered');
    const a = log.filter((l) => l.startsWith('deliver a')).map((l) => l.slice(8));
    expect(a).toEqual(Array.from({ length: 20 }, (_, i) => `a${i}`));
    const b = log.filter((l) => l.startsWith('deliver b')).map((l) => l.slice(8));
    expect(b).toEqual(Array.from({ length: 20 }, (_, i) => `b${i}`));
    for (let i = 0; i < 20; i++) expect(log.indexOf(`media a${i}`)).toBeLessThan(log.indexOf(`deliver a${i}`));
    const job = await p.queue.ordered.queue.getJob('deliver-a0');
    expect(job?.data).toMatchObject({ id: 'a0', lane: 'conv-a' });
  });

  it('a delivery in retry holds back its conversation only; a permanent failure is given up and the next goes on', async () => {
    const delivered: string[] = [];
    const givenUp: string[] = [];
    let flaky = 4;
    const p = setup(
      async (id) => {
        if (id === 'a1' && flaky-- > 0) throw new PlatformError({ platform: 'slack', message: 'slack 500', retryable: true });
        if (id === 'a2') throw new PlatformError({ platform: 'slack', message: 'channel_not_found', retryable: false });
        delivered.push(id);
      },
      { onGiveUp: async (id) => void givenUp.push(id) },
    );
    await p.start();
    for (const id of ['a1', 'a2', 'a3']) await p.queue.enqueueDelivery(id, 'conv-a');
    for (const id of ['b1', 'b2']) await p.queue.enqueueDelivery(id, 'conv-b');
    await until(() => delivered.length === 4, 'four delivered');
    expect(delivered.indexOf('b2')).toBeLessThan(delivered.indexOf('a1'));
    expect(delivered.filter((d) => d.startsWith('a'))).toEqual(['a1', 'a3']);
    expect(givenUp).toEqual(['a2']);
    const q = p.queue.ordered.queue;
    for (let i = 0; i < 100 && (await q.getFailedCount()) === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await q.getFailed()).map((j) => j.id)).toEqual(['deliver-a2']);
  });

  it('a file download that fails for now is tried again before the message is posted, a few times at most', async () => {
    const calls: Array<{ id: string; finalAttempt: boolean }> = [];
    const delivered: string[] = [];
    const p = setup(async (id) => void delivered.push(id), {
      // m1's host answers 503 once, then the file comes; m2's host never recovers.
      fetchPendingMedia: async (id, opts) => {
        calls.push({ id, finalAttempt: opts.finalAttempt });
        const stored = id === 'm1' ? calls.filter((c) => c.id === 'm1').length > 1 : opts.finalAttempt;
        return [{ status: stored ? 'stored' : 'pending' }];
      },
    });
    await p.start();
    await p.queue.enqueueDelivery('m1', 'conv-m');
    await p.queue.enqueueDelivery('m2', 'conv-n');
    await until(() => delivered.length === 2, 'both posted');
    expect(calls.filter((c) => c.id === 'm1').map((c) => c.finalAttempt)).toEqual([false, false]);
    expect(calls.filter((c) => c.id === 'm2').map((c) => c.finalAttempt)).toEqual([false, false, true]);
    expect(delivered.sort()).toEqual(['m1', 'm2']); // each posted once, after its files were settled
  });

  it('only the head of a conversation has a job; the next one gets its job when the head is done', async () => {
    const delivered: string[] = [];
    const p = setup(async (id) => void delivered.push(id));
    for (const id of ['a1', 'a2', 'a3']) await p.queue.enqueueDelivery(id, 'conv-a');
    const q = p.queue.ordered.queue;
    expect((await q.getJobs(['waiting', 'delayed', 'prioritized'])).map((j) => j.id)).toEqual(['deliver-a1']);
    expect(await redis.lrange(p.queue.ordered.lanes.key('conv-a'), 0, -1)).toEqual(['a1', 'a2', 'a3']);
    await p.start();
    await until(() => delivered.length === 3, 'all delivered');
    expect(delivered).toEqual(['a1', 'a2', 'a3']);
    expect(await redis.llen(p.queue.ordered.lanes.key('conv-a'))).toBe(0);
  });

  it('a head that freed its lane but failed before handing it on gives the next item its job when it runs again', async () => {
    const delivered: string[] = [];
    let crashOnce = true;
    const p = setup(async (id) => {
      if (id === 'a1' && crashOnce) {
        crashOnce = false;
        // As if a Redis error hit between "remove the head" and "add the next job".
        await p.queue.ordered.lanes.finish('conv-a', 'a1');
        throw new PlatformError({ platform: 'slack', message: 'connection lost', retryable: true });
      }
      delivered.push(id);
    });
    await p.queue.enqueueDelivery('a1', 'conv-a');
    await p.queue.enqueueDelivery('a2', 'conv-a');
    await p.start();
    await until(() => delivered.includes('a2'), 'a2 delivered after the re-run of a1');
    expect(delivered).toEqual(['a1', 'a2']);
  });

  it('a head whose job BullMQ ended on its own (clean-up lost in a crash) is given up, and the next message goes on', async () => {
    const delivered: string[] = [];
    const givenUp: string[] = [];
    const p = setup(async (id) => void delivered.push(id), { onGiveUp: async (id) => void givenUp.push(id) });
    await p.queue.enqueueDelivery('a1', 'conv-a');
    // As after too many stalls: BullMQ fails a1's job itself, and no clean-up frees the lane.
    const q = p.queue.ordered.queue;
    const grabber = new Worker(q.name, null, { connection: redis, prefix, autorun: false });
    const job = await grabber.getNextJob('grab-token');
    expect(job?.id).toBe('deliver-a1');
    await job!.moveToFailed(new UnrecoverableError('job stalled more than allowable limit'), 'grab-token', false);
    await grabber.close();
    expect(await redis.lrange(p.queue.ordered.lanes.key('conv-a'), 0, -1)).toEqual(['a1']);

    await p.queue.enqueueDelivery('a2', 'conv-a');
    await p.start();
    await until(() => delivered.includes('a2'), 'a2 delivered after the stale head was given up');
    expect(givenUp).toEqual(['a1']);
    expect(delivered).toEqual(['a2']);
  });

  it('a message accepted while a recovery pass runs goes after the recovered ones of its conversation', async () => {
    const p = setup(async () => undefined);
    const ordered = p.queue.ordered;
    let fresh: Promise<void> | null = null;
    await ordered.whileRecovering(async (direct) => {
      // A new message arrives first, while the recovery is still re-enqueueing older ones.
      fresh = p.queue.enqueueDelivery('new', 'conv-a');
      await new Promise((r) => setTimeout(r, 50));
      await direct('old1', 'conv-a');
      await direct('old2', 'conv-a');
    });
    await fresh;
    expect(await redis.lrange(ordered.lanes.key('conv-a'), 0, -1)).toEqual(['old1', 'old2', 'new']);
  });

  it('a recovery slower than the hold lets new messages through instead of holding them', async () => {
    const p = setup(async () => undefined);
    const ordered = p.queue.ordered;
    let releaseRecovery = () => {};
    const recovery = ordered.whileRecovering(() => new Promise<void>((r) => (releaseRecovery = r)), 100);
    const started = Date.now();
    await p.queue.enqueueDelivery('new', 'conv-b');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await redis.lrange(ordered.lanes.key('conv-b'), 0, -1)).toEqual(['new']);
    releaseRecovery();
    await recovery;
  });

  it('stop() lets the delivery in progress finish', async () => {
    let release: (() => void) | null = null;
    const done: string[] = [];
    const p = setup(async (id) => {
      await new Promise<void>((r) => (release = r));
      done.push(id);
    });
    await p.start();
    await p.queue.enqueueDelivery('m1', 'c1');
    await until(() => release !== null, 'delivery started');
    const stopped = p.stop();
    setTimeout(() => release?.(), 100);
    await stopped;
    expect(done).toEqual(['m1']);
    pipeline = null; // stopped already; afterEach only deletes the keys
  });
});
