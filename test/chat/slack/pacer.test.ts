import { describe, expect, it } from 'vitest';
import { ChannelPacer, bucketWindows } from '../../../adapters/chat/slack/pacer.js';
import { PlatformError } from '../../../src/core/errors.js';
import { MemoryPaceBudget } from '../../../src/infra/coordination/memoryPace.js';

/** A fake clock; its sleep moves it on, so nothing waits for real. */
function fakeTime() {
  const t = { now: 1_000_000, waits: [] as number[] };
  return { t, sleep: async (ms: number) => void (t.waits.push(ms), (t.now += ms)) };
}

describe('per-channel pace (about 1 message/s sustained, short bursts)', () => {
  it('lets a burst through, then holds a channel back with a retry-after; other channels are not slowed', async () => {
    const { t } = fakeTime();
    const pacer = new ChannelPacer({ burst: 3, perSecond: 1, maxInlineWaitMs: 0 }, new MemoryPaceBudget(() => t.now));
    for (let i = 0; i < 3; i++) await pacer.take('C1');
    const err = await pacer.take('C1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlatformError);
    expect(err).toMatchObject({ retryable: true, retryAfterMs: 1000 });
    await expect(pacer.take('C2')).resolves.toBeUndefined();
    t.now += 1000;
    await expect(pacer.take('C1')).resolves.toBeUndefined();
  });

  it('a short wait is done inline instead of failing the job', async () => {
    const { t, sleep } = fakeTime();
    const pacer = new ChannelPacer({ burst: 1, perSecond: 20, maxInlineWaitMs: 100, sleep }, new MemoryPaceBudget(() => t.now));
    await pacer.take('C1');
    await expect(pacer.take('C1')).resolves.toBeUndefined();
    expect(t.waits).toEqual([50]);
  });

  it('after a burst, a drained channel goes on at the sustained pace, not at a second burst', async () => {
    const { t, sleep } = fakeTime();
    const pacer = new ChannelPacer({ burst: 10, perSecond: 1, maxInlineWaitMs: 60_000, sleep }, new MemoryPaceBudget(() => t.now));
    for (let i = 0; i < 10; i++) await pacer.take('C1');
    expect(t.waits).toEqual([]);
    for (let i = 0; i < 5; i++) await pacer.take('C1');
    // One a second after the burst, as Slack's bucket refills.
    expect(t.waits.reduce((a, b) => a + b, 0)).toBe(5_000);
  });

  it('every window is a limit the token bucket has too, and a minute allows about the sustained rate', () => {
    const windows = bucketWindows(10, 1);
    for (const w of windows) expect(w.limit).toBeLessThanOrEqual(10 + Math.ceil(w.ms / 1000) - 1);
    expect(windows[0]).toEqual({ limit: 10, ms: 1000 });
    expect(windows.at(-1)).toEqual({ limit: 69, ms: 60_000 });
  });

  it('two bridges posting into one channel share its budget', async () => {
    const { t } = fakeTime();
    const shared = new MemoryPaceBudget(() => t.now);
    const a = new ChannelPacer({ burst: 3, perSecond: 1, maxInlineWaitMs: 0 }, shared);
    const b = new ChannelPacer({ burst: 3, perSecond: 1, maxInlineWaitMs: 0 }, shared);
    await a.take('C1');
    await a.take('C1');
    await b.take('C1');
    await expect(b.take('C1')).rejects.toMatchObject({ retryable: true, retryAfterMs: 1000 });
  });
});
