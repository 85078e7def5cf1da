// The sliding window behind the admin sign-in throttle: a key may fail `limit` times within any
// window, then waits exactly until its oldest counted failure leaves the window.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memoryFailureLimiter } from '../../src/http/failureLimiter.js';

const WINDOW = 60_000;

function limiterAt(limit: number, opts: { maxKeys?: number } = {}) {
  let now = 1_000_000;
  const limiter = memoryFailureLimiter({ limit, windowMs: WINDOW, now: () => now, ...opts });
  return { limiter, at: (t: number) => (now = 1_000_000 + t) };
}

describe('failure limiter (sliding window)', () => {
  it('lets a key fail `limit` times, then makes it wait until the oldest of those is a window old', async () => {
    const { limiter, at } = limiterAt(3);
    for (const t of [0, 10_000, 20_000]) {
      at(t);
      expect(await limiter.retryAfterMs('a')).toBe(0);
      await limiter.recordFailure('a');
    }
    at(30_000);
    expect(await limiter.retryAfterMs('a')).toBe(30_000); // until 60 s after the failure at 0
    expect(await limiter.retryAfterMs('b')).toBe(0); // other keys unaffected
    at(60_000);
    expect(await limiter.retryAfterMs('a')).toBe(0);
    await limiter.recordFailure('a');
    expect(await limiter.retryAfterMs('a')).toBe(10_000); // now the failure at 10 s is the oldest of 3
  });

  it('does not reset at a window edge: failures late in one minute still count early in the next', async () => {
    const { limiter, at } = limiterAt(20);
    at(0);
    await limiter.recordFailure('a');
    at(59_000);
    for (let i = 0; i < 19; i++) await limiter.recordFailure('a');
    at(61_000); // the first failure left the window; the 19 from 59 s have not
    expect(await limiter.retryAfterMs('a')).toBe(0);
    await limiter.recordFailure('a');
    expect(await limiter.retryAfterMs('a')).toBe(58_000); // until 59 s + 60 s
  });

  it('never lets a key fail more than `limit` times within any window (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 120 }), async (gaps) => {
        const { limiter, at } = limiterAt(5);
        let t = 0;
        const accepted: number[] = [];
        for (const gap of gaps) {
          t += gap;
          at(t);
          if ((await limiter.retryAfterMs('k')) === 0) {
            accepted.push(t);
            await limiter.recordFailure('k');
          }
        }
        for (let i = 5; i < accepted.length; i++) expect(accepted[i]! - accepted[i - 5]!).toBeGreaterThanOrEqual(WINDOW);
      }),
      { numRuns: 200 },
    );
  });

  it('remembers at most maxKeys keys, forgetting the one that failed least recently', async () => {
    const { limiter, at } = limiterAt(1, { maxKeys: 2 });
    at(0);
    await limiter.recordFailure('a');
    await limiter.recordFailure('b');
    await limiter.recordFailure('a'); // a is now the most recent
    await limiter.recordFailure('c'); // b goes
    expect(await limiter.retryAfterMs('a')).toBeGreaterThan(0);
    expect(await limiter.retryAfterMs('b')).toBe(0);
    expect(await limiter.retryAfterMs('c')).toBeGreaterThan(0);
  });
});
