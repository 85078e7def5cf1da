import { describe, expect, it } from 'vitest';
import { ChannelPacer } from '../../../adapters/chat/slack/pacer.js';
import { PlatformError } from '../../../src/core/errors.js';

describe('per-channel pace (about 1 message/s sustained, short bursts)', () => {
  it('lets a burst through, then holds a channel back with a retry-after; other channels are not slowed', async () => {
    let now = 1_000_000;
    const pacer = new ChannelPacer({ burst: 3, perSecond: 1, maxInlineWaitMs: 0, now: () => now });
    for (let i = 0; i < 3; i++) await pacer.take('C1');
    const err = await pacer.take('C1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlatformError);
    expect(err).toMatchObject({ retryable: true, retryAfterMs: 1000 });
    await expect(pacer.take('C2')).resolves.toBeUndefined();
    now += 1000;
    await expect(pacer.take('C1')).resolves.toBeUndefined();
  });

  it('a short wait is done inline instead of failing the job', async () => {
    const pacer = new ChannelPacer({ burst: 1, perSecond: 20, maxInlineWaitMs: 100, now: () => 0 });
    await pacer.take('C1');
    await expect(pacer.take('C1')).resolves.toBeUndefined(); // waited ~50 ms
  });

  it('forgets channels whose bucket has refilled, so memory does not grow with every channel ever posted to', async () => {
    let now = 1_000_000;
    const pacer = new ChannelPacer({ burst: 2, perSecond: 1, maxInlineWaitMs: 0, now: () => now });
    for (let i = 0; i < 500; i++) await pacer.take(`C${i}`);
    expect(pacer.size).toBe(500);
    now += 2_000; // every bucket is full again
    await pacer.take('C-next');
    expect(pacer.size).toBe(1);
    // A channel drained just before the next sweep keeps its bucket: its pace is not reset.
    now += 1_500;
    await pacer.take('C-busy');
    await pacer.take('C-busy');
    now += 500;
    await pacer.take('C-other'); // sweeps
    expect(pacer.size).toBe(2);
    await expect(pacer.take('C-busy')).rejects.toBeInstanceOf(PlatformError);
  });
});
