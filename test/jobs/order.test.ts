// Issue 4, behaviour 4: messages of one conversation go out in the order they were accepted, also
// across retries; conversations do not wait on each other. Real Redis, SQLite, HTTP fake.
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from './support/harness.js';

const LOCAL = '+14152345678';
const CONTACT = '+12123456789';
const OTHER = '+12123450000';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('order per conversation', () => {
  it('50 messages of one conversation reach the provider in accepted order, each once, although ~30% of calls fail with 503', async () => {
    h = await createHarness({ concurrency: 8, attempts: 30 });
    await h.addNumber(LOCAL);
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    h.fake.setScript(() => (random() < 0.3 ? { status: 503, body: { code: 'unavailable' } } : 'ok'));
    const bodies = Array.from({ length: 50 }, (_, i) => `message ${i}`);
    const ids = await h.acceptAll(LOCAL, CONTACT, bodies);

    await h.waitFor(() => h!.fake.sent.length === 50, '50 sends', 60_000);
    await h.waitFor(async () => (await Promise.all(ids.map((id) => h!.message(id)))).every((m) => m.status === 'sent'), 'all sent');
    expect(h.fake.sent.map((r) => r.body)).toEqual(bodies);
    // Some calls really failed and were retried (the test exercises retries, not luck).
    expect(h.fake.requests.length).toBeGreaterThan(50);
    // Every attempt of message k happened before any attempt of message k+1.
    const firstAttempt = new Map<string, number>();
    for (const r of h.fake.requests) if (!firstAttempt.has(r.body)) firstAttempt.set(r.body, r.n);
    const lastAttempt = new Map<string, number>();
    for (const r of h.fake.requests) lastAttempt.set(r.body, r.n);
    for (let i = 1; i < bodies.length; i++) {
      expect(firstAttempt.get(bodies[i]!)!).toBeGreaterThan(lastAttempt.get(bodies[i - 1]!)!);
    }
  }, 60_000);

  it('a message in retry holds back the next one of its conversation but not other conversations', async () => {
    h = await createHarness({ concurrency: 4, attempts: 20 });
    await h.addNumber(LOCAL);
    let failuresLeft = 6;
    h.fake.setScript((r) => (r.body === 'A1' && failuresLeft-- > 0 ? { status: 503 } : 'ok'));
    await h.acceptAll(LOCAL, CONTACT, ['A1', 'A2']);
    await h.acceptAll(LOCAL, OTHER, ['B1', 'B2', 'B3']);

    await h.waitFor(() => h!.fake.sent.length === 5, 'all five sent');
    const order = h.fake.sent.map((r) => r.body);
    // The other conversation went on while A1 was retried...
    expect(order.indexOf('B3')).toBeLessThan(order.indexOf('A1'));
    // ...and A2 waited for A1.
    expect(order.indexOf('A2')).toBe(order.indexOf('A1') + 1);
    const a2First = h.fake.requests.find((r) => r.body === 'A2')!;
    const a1Last = [...h.fake.requests].reverse().find((r) => r.body === 'A1')!;
    expect(a2First.n).toBeGreaterThan(a1Last.n);
    expect(h.fake.requests.filter((r) => r.body === 'A1')).toHaveLength(7);
  });

  it('a permanently failed message does not block the rest of its conversation', async () => {
    h = await createHarness();
    await h.addNumber(LOCAL);
    h.fake.setScript((r) => (r.body === 'bad' ? { status: 400, body: { code: '21211', message: 'invalid To number' } } : 'ok'));
    const ids = await h.acceptAll(LOCAL, CONTACT, ['first', 'bad', 'after']);
    await h.waitFor(async () => (await h!.message(ids[2]!)).status === 'sent', 'third sent');
    expect((await h.message(ids[1]!)).status).toBe('failed');
    expect(h.fake.sent.map((r) => r.body)).toEqual(['first', 'after']);
  });
});

describe('duplicates', () => {
  it('waking one message many times sends it once', async () => {
    h = await createHarness({ worker: false });
    await h.addNumber(LOCAL);
    const [id] = await h.acceptAll(LOCAL, CONTACT, ['only once']);
    const conv = (await h.message(id!)).conversationId;
    const item = (await h.temp.store.outbox.findByMessage('send', id!))!;
    await Promise.all(Array.from({ length: 5 }, () => h!.pipeline.wake(conv, `m${item.seq}`)));
    // A retried chat event (same platform message id) is no second message and no second item.
    const again = await h.send(LOCAL, CONTACT, 'only once', { platformMessageId: `slack:${h.prefix}:1` });
    expect(again.ok && again.duplicate).toBe(true);
    expect(await h.temp.store.outbox.pendingConversations('send')).toEqual([{ conversationId: conv, seq: item.seq }]);
    const counts = await h.pipeline.queue.getJobCounts('waiting', 'delayed', 'active');
    expect((counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.active ?? 0)).toBe(1);

    await h.startWorker();
    await h.waitFor(async () => (await h!.message(id!)).status === 'sent', 'sent');
    await new Promise((r) => setTimeout(r, 200));
    expect(h.fake.requests).toHaveLength(1);
    expect(await h.temp.store.outbox.pendingConversations('send')).toEqual([]);
  });

  it('a late wake-up of a message already sent leaves nothing behind that could block its conversation', async () => {
    h = await createHarness();
    await h.addNumber(LOCAL);
    const [id] = await h.acceptAll(LOCAL, CONTACT, ['first']);
    await h.waitFor(async () => (await h!.message(id!)).status === 'sent', 'sent');
    const conv = (await h.message(id!)).conversationId;
    await h.pipeline.wake(conv, 'late');
    const [next] = await h.acceptAll(LOCAL, CONTACT, ['second']);
    await h.waitFor(async () => (await h!.message(next!)).status === 'sent', 'second sent', 2_000);
    expect(h.fake.requests.map((r) => r.body)).toEqual(['first', 'second']);
  });

  it('a wake-up job id names the conversation and the item, and holds no colon', async () => {
    h = await createHarness({ worker: false });
    await h.addNumber(LOCAL);
    const [id] = await h.acceptAll(LOCAL, CONTACT, ['x']);
    const item = (await h.temp.store.outbox.findByMessage('send', id!))!;
    const job = await h.pipeline.queue.getJob(`${item.conversationId}.m${item.seq}`);
    expect(job?.data).toEqual({ c: item.conversationId });
    expect(job?.id).not.toContain(':');
  });
});
