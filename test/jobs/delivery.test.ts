// The delivery lane (inbound SMS and mirrors into chat): deliveries of one conversation run in the
// order they arrived (media fetched first), a retry holds back its conversation only, and a
// permanent failure is given up (kept failed for inspection) without blocking the rest.
import { afterEach, describe, expect, it } from 'vitest';
import { PlatformError } from '../../src/core/errors.js';
import { createDeliveryPipeline, type DeliveryPipelineDeps } from '../../src/pipelines.js';
import type { Turns } from '../../src/infra/queue/turns.js';
import { createLaneKit, until, type LaneKit } from './support/lanes.js';

let kit: LaneKit | null = null;
afterEach(async () => {
  await kit?.close();
  kit = null;
});

type FetchMedia = NonNullable<DeliveryPipelineDeps['fetchPendingMedia']>;

async function setup(deliver: (id: string) => Promise<void>, extra: { fetchPendingMedia?: FetchMedia; onGiveUp?: (id: string, reason: string) => Promise<void> } = {}): Promise<Turns> {
  kit = await createLaneKit();
  const p = createDeliveryPipeline({
    store: kit.temp.store,
    redis: kit.redis,
    own: kit.own,
    prefix: kit.prefix,
    liveness: kit.liveness,
    deliver,
    ...extra,
    options: { concurrency: 8, backoff: { baseMs: 20, maxMs: 100 }, attempts: 20 },
  });
  kit.lanes.push(p);
  return p;
}

describe('delivery lane', () => {
  it('delivers each conversation in order, media first, conversations in parallel', async () => {
    const log: string[] = [];
    const p = await setup(
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
      await kit!.add(p, 'conv-a', `a${i}`);
      await kit!.add(p, 'conv-b', `b${i}`);
    }
    await until(() => log.filter((l) => l.startsWith('deliver')).length === 40, 'all delivered');
    const a = log.filter((l) => l.startsWith('deliver a')).map((l) => l.slice(8));
    expect(a).toEqual(Array.from({ length: 20 }, (_, i) => `a${i}`));
    const b = log.filter((l) => l.startsWith('deliver b')).map((l) => l.slice(8));
    expect(b).toEqual(Array.from({ length: 20 }, (_, i) => `b${i}`));
    for (let i = 0; i < 20; i++) expect(log.indexOf(`media a${i}`)).toBeLessThan(log.indexOf(`deliver a${i}`));
    // The two conversations ran side by side, not one after the other.
    expect(log.indexOf('deliver b0')).toBeLessThan(log.indexOf('deliver a19'));
    expect(log.indexOf('deliver a0')).toBeLessThan(log.indexOf('deliver b19'));
  });

  it('a delivery in retry holds back its conversation only; a permanent failure is given up and the next goes on', async () => {
    const delivered: string[] = [];
    const givenUp: string[] = [];
    let flaky = 4;
    const p = await setup(
      async (id) => {
        if (id === 'a1' && flaky-- > 0) throw new PlatformError({ platform: 'slack', message: 'slack 500', retryable: true });
        if (id === 'a2') throw new PlatformError({ platform: 'slack', message: 'channel_not_found', retryable: false });
        delivered.push(id);
      },
      { onGiveUp: async (id) => void givenUp.push(id) },
    );
    await p.start();
    for (const id of ['a1', 'a2', 'a3']) await kit!.add(p, 'conv-a', id);
    for (const id of ['b1', 'b2']) await kit!.add(p, 'conv-b', id);
    await until(() => delivered.length === 4, 'four delivered');
    expect(delivered.indexOf('b2')).toBeLessThan(delivered.indexOf('a1'));
    expect(delivered.filter((d) => d.startsWith('a'))).toEqual(['a1', 'a3']);
    expect(givenUp).toEqual(['a2']);
    // The failure stays inspectable (GET /admin/api/jobs/failed lists it), with its reason.
    expect(await kit!.temp.store.outbox.listFailed()).toEqual([expect.objectContaining({ messageId: 'a2', lastError: 'channel_not_found', attempts: 1 })]);
  });

  it('a file download that fails for now is tried again before the message is posted, a few times at most', async () => {
    const calls: Array<{ id: string; finalAttempt: boolean }> = [];
    const delivered: string[] = [];
    const p = await setup(async (id) => void delivered.push(id), {
      // m1's host answers 503 once, then the file comes; m2's host never recovers.
      fetchPendingMedia: async (id, opts) => {
        calls.push({ id, finalAttempt: opts.finalAttempt });
        const stored = id === 'm1' ? calls.filter((c) => c.id === 'm1').length > 1 : opts.finalAttempt;
        return [{ status: stored ? 'stored' : 'pending' }];
      },
    });
    await p.start();
    await kit!.add(p, 'conv-m', 'm1');
    await kit!.add(p, 'conv-n', 'm2');
    await until(() => delivered.length === 2, 'both posted');
    expect(calls.filter((c) => c.id === 'm1').map((c) => c.finalAttempt)).toEqual([false, false]);
    expect(calls.filter((c) => c.id === 'm2').map((c) => c.finalAttempt)).toEqual([false, false, true]);
    expect(delivered.sort()).toEqual(['m1', 'm2']); // each posted once, after its files were settled
  });

  it('stop() lets the delivery in progress finish', async () => {
    let release: (() => void) | null = null;
    const done: string[] = [];
    const p = await setup(async (id) => {
      await new Promise<void>((r) => (release = r));
      done.push(id);
    });
    await p.start();
    await kit!.add(p, 'c1', 'm1');
    await until(() => release !== null, 'delivery started');
    const stopped = p.stop();
    setTimeout(() => release?.(), 100);
    await stopped;
    expect(done).toEqual(['m1']);
    expect(await kit!.temp.store.outbox.pendingConversations('deliver')).toEqual([]);
  });
});
