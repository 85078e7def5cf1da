// One contract for both pace budgets: windows are sliding, all-or-nothing across keys, and (Redis)
// shared by instances.
import { afterAll, describe, expect, it } from 'vitest';
import type { PaceBudget } from '../../src/core/coordination.js';
import { MemoryPaceBudget } from '../../src/infra/coordination/memoryPace.js';
import { RedisPaceBudget } from '../../src/infra/coordination/redisPace.js';
import { deletePrefix, newRedis, uniquePrefix } from '../support/redis.js';

const prefix = uniquePrefix();
const redisA = newRedis();
const redisB = newRedis();
afterAll(async () => {
  await deletePrefix(redisA, prefix);
  redisA.disconnect();
  redisB.disconnect();
});

const kinds: Array<[string, () => [PaceBudget, PaceBudget]]> = [
  ['memory (one process)', () => { const p = new MemoryPaceBudget(); return [p, p]; }],
  ['redis (two instances)', () => [new RedisPaceBudget(redisA, prefix), new RedisPaceBudget(redisB, prefix)]],
];

describe.each(kinds)('pace budget: %s', (_kind, make) => {
  it('allows `limit` calls per window in total, then says how long to wait', async () => {
    const [a, b] = make();
    const key = `channel-${Math.random()}`;
    const windows = [{ limit: 3, ms: 2_000 }];
    const answers = [];
    for (const p of [a, b, a, b]) answers.push(await p.take([{ key, windows }]));
    expect(answers.slice(0, 3)).toEqual([0, 0, 0]);
    expect(answers[3]).toBeGreaterThan(1_000);
    expect(answers[3]).toBeLessThanOrEqual(2_000);
  });

  it('a refused take takes nothing from any key (all or nothing)', async () => {
    const [a] = make();
    const thread = `thread-${Math.random()}`;
    const app = `app-${Math.random()}`;
    expect(await a.take([{ key: app, windows: [{ limit: 1, ms: 5_000 }] }])).toBe(0);
    // The thread has room but the app does not: refused, and the thread's budget is untouched.
    expect(await a.take([{ key: thread, windows: [{ limit: 1, ms: 5_000 }] }, { key: app, windows: [{ limit: 1, ms: 5_000 }] }])).toBeGreaterThan(0);
    expect(await a.take([{ key: thread, windows: [{ limit: 1, ms: 5_000 }] }])).toBe(0);
  });

  it('the window slides: a call fits again once the oldest leaves it', async () => {
    const [a] = make();
    const key = `slide-${Math.random()}`;
    const windows = [{ limit: 2, ms: 300 }];
    expect(await a.take([{ key, windows }])).toBe(0);
    expect(await a.take([{ key, windows }])).toBe(0);
    const wait = await a.take([{ key, windows }]);
    expect(wait).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, wait + 20));
    expect(await a.take([{ key, windows }])).toBe(0);
  });

  it('several windows at once: the strictest one decides', async () => {
    const [a] = make();
    const key = `multi-${Math.random()}`;
    const windows = [{ limit: 5, ms: 1_000 }, { limit: 2, ms: 3_000 }];
    expect(await a.take([{ key, windows }])).toBe(0);
    expect(await a.take([{ key, windows }])).toBe(0);
    expect(await a.take([{ key, windows }])).toBeGreaterThan(1_000);
  });
});
