// Teams' documented bot limits, kept before calling: per thread 7/1 s, 8/2 s, 60/30 s; per bot
// 50/s. Fake clock: waits are asserted exactly, and nothing sleeps for real.
import { describe, expect, it } from 'vitest';
import { PlatformError } from '../../../src/core/errors.js';
import { BotConnectorClient } from '../../../adapters/chat/teams/connector.js';
import { DEFAULT_TEAMS_PACE, TeamsPacer } from '../../../adapters/chat/teams/pacer.js';
import { ServiceUrlPolicy } from '../../../adapters/chat/teams/trust.js';
import { MemoryPaceBudget } from '../../../src/infra/coordination/memoryPace.js';
import { startFakeBotConnector } from '../../fakes/fakeBotConnector.js';

function pacer(maxInlineWaitMs = 1_500) {
  let now = 1_000_000;
  const waits: number[] = [];
  const p = new TeamsPacer(
    {
      ...DEFAULT_TEAMS_PACE,
      maxInlineWaitMs,
      sleep: async (ms) => {
        waits.push(ms);
        now += ms;
      },
    },
    new MemoryPaceBudget(() => now),
  );
  return { p, waits };
}

describe('Teams pacing', () => {
  it('seven posts in one thread go at once; the eighth waits for the first to leave the 1 s window', async () => {
    const { p, waits } = pacer();
    for (let i = 0; i < 7; i++) await p.take('19:c@thread.tacv2;messageid=1');
    expect(waits).toEqual([]);
    await p.take('19:c@thread.tacv2;messageid=1');
    expect(waits).toEqual([1_000]);
  });

  it('threads do not wait for each other', async () => {
    const { p, waits } = pacer();
    for (let i = 0; i < 7; i++) await p.take('thread-a');
    for (let i = 0; i < 7; i++) await p.take('thread-b');
    expect(waits).toEqual([]);
  });

  it('the 2 s and 30 s windows hold a sustained stream back too', async () => {
    const { p, waits } = pacer(60_000);
    for (let i = 0; i < 8; i++) await p.take('t');
    expect(waits).toEqual([1_000]); // seven at once, the eighth a second later
    await p.take('t');
    expect(waits.at(-1)).toBe(1_000); // nine within 2 s would break 8 per 2 s
    // Keep going: the 61st call may not come within 30 s of the first.
    for (let i = 0; i < 52; i++) await p.take('t');
    expect(waits.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(30_000);
  });

  it('a long wait is handed back to the job as a retryable error carrying the wait', async () => {
    const { p } = pacer(500);
    for (let i = 0; i < 7; i++) await p.take('t');
    const err = await p.take('t').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlatformError);
    expect(err).toMatchObject({ retryable: true, retryAfterMs: 1_000, details: { platformCode: 'paced' } });
  });

  it('no more than 50 calls a second across all threads', async () => {
    const { p, waits } = pacer();
    for (let i = 0; i < 50; i++) await p.take(`thread-${i}`);
    expect(waits).toEqual([]);
    await p.take('thread-50');
    expect(waits).toEqual([1_000]);
  });

  it('the connector takes a slot of the thread before each call, so the eighth post of a burst waits', async () => {
    const fake = await startFakeBotConnector();
    try {
      const { p, waits } = pacer();
      const connector = new BotConnectorClient({ getToken: async () => null, serviceUrls: new ServiceUrlPolicy({ allowAnonymous: false, serviceUrlHosts: ['127.0.0.1'] }), pacer: p });
      const { id: thread } = await connector.createConversation(fake.serviceUrl, {
        isGroup: true,
        channelData: { channel: { id: '19:c@thread.tacv2' } },
        activity: { type: 'message', text: 'root' },
      });
      // The root counts against the channel, the posts against their thread: seven go at once.
      for (let i = 0; i < 7; i++) await connector.sendToConversation(fake.serviceUrl, thread, { type: 'message', text: `m${i}` });
      expect(waits).toEqual([]);
      await connector.sendToConversation(fake.serviceUrl, thread, { type: 'message', text: 'm7' });
      expect(waits).toEqual([1_000]);
    } finally {
      await fake.close();
    }
  });
});
