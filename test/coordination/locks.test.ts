// One contract for both lock implementations; the Redis one also across two connections (two
// instances) and after its holder dies.
import { afterAll, describe, expect, it } from 'vitest';
import type { Locks } from '../../src/core/coordination.js';
import { LockTimeoutError } from '../../src/core/coordination.js';
import { MemoryLocks } from '../../src/infra/coordination/memoryLocks.js';
import { LOCK_TTL_MS, RedisLocks } from '../../src/infra/coordination/redisLocks.js';
import { deletePrefix, newRedis, uniquePrefix } from '../support/redis.js';

const prefix = uniquePrefix();
const redisA = newRedis();
const redisB = newRedis();
afterAll(async () => {
  await deletePrefix(redisA, prefix);
  redisA.disconnect();
  redisB.disconnect();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const kinds: Array<[string, () => [Locks, Locks]]> = [
  ['memory (one process)', () => { const l = new MemoryLocks(); return [l, l]; }],
  ['redis (two instances)', () => [new RedisLocks(redisA, prefix), new RedisLocks(redisB, prefix)]],
];

describe.each(kinds)('locks: %s', (_kind, make) => {
  it('two holders of one name never overlap, and run in turn', async () => {
    const [a, b] = make();
    const name = `conv-${Math.random()}`;
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    const work = (locks: Locks, i: number) =>
      locks.withLock(name, async () => {
        inside += 1;
        most = Math.max(most, inside);
        await sleep(15);
        order.push(i);
        inside -= 1;
      });
    await Promise.all([0, 1, 2, 3, 4, 5].map((i) => work(i % 2 === 0 ? a : b, i)));
    expect(most).toBe(1);
    expect(order.sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('different names do not wait for each other', async () => {
    const [a, b] = make();
    let release!: () => void;
    const held = a.withLock('x-' + Math.random(), () => new Promise<void>((r) => (release = r)));
    await sleep(20);
    await expect(b.withLock('y-' + Math.random(), async () => 'ran')).resolves.toBe('ran');
    release();
    await held;
  });

  it('a failing holder frees the lock for the next one', async () => {
    const [a, b] = make();
    const name = `fail-${Math.random()}`;
    await expect(a.withLock(name, async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    await expect(b.withLock(name, async () => 'next')).resolves.toBe('next');
  });

  it('claimOnce: the first caller within the time wins, every later one loses', async () => {
    const [a, b] = make();
    const name = `event-${Math.random()}`;
    const results = await Promise.all([a.claimOnce(name, 60_000), b.claimOnce(name, 60_000), a.claimOnce(name, 60_000)]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});

describe('redis locks across instances', () => {
  it('a waiter gives up with a typed error after its wait', async () => {
    const a = new RedisLocks(redisA, prefix);
    const b = new RedisLocks(redisB, prefix);
    const name = `long-${Math.random()}`;
    let release!: () => void;
    const held = a.withLock(name, () => new Promise<void>((r) => (release = r)));
    await sleep(20);
    const err = await b.withLock(name, async () => 'never', { waitMs: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockTimeoutError);
    expect((err as LockTimeoutError).code).toBe('unavailable');
    release();
    await held;
  });

  it('a holder that works longer than the lock lifetime keeps it (renewed)', async () => {
    const a = new RedisLocks(redisA, prefix);
    const name = `renew-${Math.random()}`;
    const held = a.withLock(name, () => sleep(LOCK_TTL_MS + 2_000));
    await sleep(LOCK_TTL_MS + 500);
    expect(await redisB.exists(`${prefix}:lock:${name}`)).toBe(1);
    await held;
    expect(await redisB.exists(`${prefix}:lock:${name}`)).toBe(0);
  }, 20_000);

  it('the lock of a holder that died (no renewal) is free after its lifetime', async () => {
    const name = `dead-${Math.random()}`;
    // What a killed process leaves behind: the key with its lifetime, and nobody renewing it.
    await redisA.set(`${prefix}:lock:${name}`, 'dead-holder', 'PX', 300);
    const b = new RedisLocks(redisB, prefix);
    await expect(b.withLock(name, async () => 'taken over', { waitMs: 5_000 })).resolves.toBe('taken over');
  });
});
