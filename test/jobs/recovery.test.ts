// The store is the source of truth; Redis only schedules. When Redis lost its data (no
// persistence, failover, FLUSHALL) or the enqueue after the store commit never happened, the
// workers rebuild their queues from the store when they start: every message still goes out
// once, in order per conversation; every recent inbound message still reaches its chat threads.
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../src/core/types.js';
import { createDeliveryPipeline, type DeliveryPipeline } from '../../jobs/pipeline.js';
import { OUTCOME_UNKNOWN_CODE } from '../../jobs/sendMessage.js';
import { deletePrefix } from '../support/redis.js';
import { createHarness, PROVIDER_ID, type Harness } from './support/harness.js';

const LOCAL = '+14152345678';
const OTHER = '+14156714455';
const A = '+12123456789';
const B = '+13126714455';

let h: Harness | null = null;
let delivery: DeliveryPipeline | null = null;
afterEach(async () => {
  await delivery?.stop();
  delivery = null;
  await h?.close();
  h = null;
});

/** Redis loses everything of this bridge: queues, lanes, rate-limiter state. */
async function wipeRedis(x: Harness): Promise<void> {
  await x.pipeline.queue.ordered.queue.obliterate({ force: true });
  await x.deliveries.ordered.queue.obliterate({ force: true });
  await deletePrefix(x.redis, x.prefix);
  expect(await x.redis.keys(`${x.prefix}:*`)).toEqual([]);
}

async function accepted(x: Harness, to: string, body: string): Promise<string> {
  const r = await x.send(LOCAL, to, body);
  if (!r.ok) throw new Error(`refused: ${r.refusals.map((f) => f.code).join(', ')}`);
  return r.message.id;
}

describe('send recovery at worker start-up', () => {
  it('after Redis lost every job, each queued message is sent once and in order per conversation', async () => {
    h = await createHarness({ worker: false });
    h.addNumber(LOCAL);
    const toA: string[] = [];
    const toB: string[] = [];
    for (let i = 1; i <= 5; i++) toA.push(await accepted(h, A, `a${i}`));
    for (let i = 1; i <= 3; i++) toB.push(await accepted(h, B, `b${i}`));
    // One more whose enqueue never happened after the store commit (a crash between the two).
    const conversation = h.temp.store.conversations.find(LOCAL, A)!;
    const orphan = h.temp.store.messages.insert({
      conversationId: conversation.id, direction: 'outbound', body: 'a6', status: 'queued', encoding: 'GSM-7', segments: 1,
      author: { platform: 'slack', userId: 'U1', name: 'Agent' }, platformMessageId: `slack:${h.prefix}:orphan`,
    }).message.id;
    toA.push(orphan);
    await wipeRedis(h);

    // The first message of each conversation fails once: later ones must still wait for it.
    const failedOnce = new Set<string>();
    h.fake.setScript((req) => {
      if ((req.body === 'a1' || req.body === 'b1') && !failedOnce.has(req.body)) {
        failedOnce.add(req.body);
        return { status: 503 };
      }
      return 'ok';
    });
    await h.startWorker();
    await h.waitFor(() => [...toA, ...toB].every((id) => h!.message(id).status === 'sent'), 'all sent');

    expect(h.fake.sent.filter((r) => r.to === A).map((r) => r.body)).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'a6']);
    expect(h.fake.sent.filter((r) => r.to === B).map((r) => r.body)).toEqual(['b1', 'b2', 'b3']);
    expect(h.fake.sent).toHaveLength(9);
    expect(h.fake.requests).toHaveLength(11); // 9 sends + the two 503s
  });

  it('treats messages left "sending" by the ledger rule: recorded if the provider answered, never resent if it may have', async () => {
    h = await createHarness({ worker: false });
    h.addNumber(LOCAL);
    const answered = await accepted(h, A, 'provider answered, not recorded');
    const unknown = await accepted(h, B, 'crashed mid-call');
    const s = h.temp.store;
    // A crash after the provider's answer reached the ledger but before the status did.
    s.messages.advanceStatus(answered, 'sending');
    s.sendLedger.begin(answered, PROVIDER_ID);
    s.sendLedger.finish(answered, 'FAKE-EARLIER');
    // A crash while the request was out (Twilio-like provider: no idempotency).
    s.messages.advanceStatus(unknown, 'sending');
    s.sendLedger.begin(unknown, PROVIDER_ID);
    await wipeRedis(h);

    await h.startWorker();
    await h.waitFor(() => h!.message(answered).status === 'sent' && h!.message(unknown).status === 'failed', 'settled');
    expect(h.message(answered).providerMessageId).toBe('FAKE-EARLIER');
    expect(h.message(unknown).errorCode).toBe(OUTCOME_UNKNOWN_CODE);
    expect(h.fake.requests).toHaveLength(0);
  });

  it('changes nothing when Redis kept its jobs: recovering twice still sends each message once', async () => {
    h = await createHarness({ worker: false });
    h.addNumber(LOCAL);
    const ids = [await accepted(h, A, 'x1'), await accepted(h, A, 'x2'), await accepted(h, B, 'y1')];
    expect(await h.pipeline.recover()).toEqual({ enqueued: 3, errors: 0 });
    await h.pipeline.recover();
    // One job per conversation head (x1 and y1); x2 waits in its lane, once.
    const counts = await h.pipeline.queue.ordered.queue.getJobCounts('waiting', 'delayed', 'active');
    expect((counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.active ?? 0)).toBe(2);
    expect(await h.redis.lrange(h.pipeline.queue.ordered.lanes.key(h.message(ids[0] as string).conversationId), 0, -1)).toEqual([ids[0], ids[1]]);
    await h.startWorker(); // recovers a third time
    await h.waitFor(() => ids.every((id) => h!.message(id).status === 'sent'), 'sent');
    await new Promise((r) => setTimeout(r, 300));
    expect(h.fake.sent.map((r) => r.body)).toEqual(expect.arrayContaining(['x1', 'x2', 'y1']));
    expect(h.fake.requests).toHaveLength(3);
    expect(h.fake.sent.filter((r) => r.to === A).map((r) => r.body)).toEqual(['x1', 'x2']);
  });
});

describe('delivery recovery at worker start-up', () => {
  it('re-enqueues recent inbound messages with no chat post on a mapped number, in order, once each', async () => {
    h = await createHarness({ worker: false });
    const s = h.temp.store;
    h.addNumber(LOCAL);
    h.addNumber(OTHER);
    s.mappings.create({ number: LOCAL, platform: 'slack', channel: 'C1' });
    const conv = s.conversations.getOrCreate(LOCAL, A).conversation.id;
    const unmapped = s.conversations.getOrCreate(OTHER, A).conversation.id;
    let n = 0;
    const inbound = (conversationId: string, body: string, createdAt?: string): Message =>
      s.messages.insert({
        conversationId, direction: 'inbound', body, status: 'received', encoding: 'GSM-7', segments: 1,
        provider: PROVIDER_ID, providerMessageId: `IN${++n}`, createdAt,
      }).message;
    const tooOld = inbound(conv, 'two days ago', new Date(Date.now() - 48 * 3600 * 1000).toISOString());
    const posted = inbound(conv, 'already in the thread');
    s.posts.save({ messageId: posted.id, platform: 'slack', channel: 'C1', platformMessageId: '1.1' });
    const m1 = inbound(conv, 'first');
    const m2 = inbound(conv, 'second');
    const m3 = inbound(conv, 'third');
    inbound(unmapped, 'nowhere to go'); // unrouted: listed, not delivered
    await wipeRedis(h);

    const delivered: string[] = [];
    const deliver = async (id: string): Promise<void> => {
      // Like deliverMessage: idempotent per channel through message_posts.
      if (s.posts.listForMessage(id).length > 0) return;
      await new Promise((r) => setTimeout(r, id === m1.id ? 150 : 5)); // the first is slow: order must hold
      delivered.push(id);
      s.posts.save({ messageId: id, platform: 'slack', channel: 'C1', platformMessageId: `p-${id}` });
    };
    delivery = createDeliveryPipeline({
      store: s,
      clock: h.deps.clock,
      redis: h.redis,
      prefix: h.prefix,
      deliver,
      options: { concurrency: 8, backoff: { baseMs: 20, maxMs: 200 }, parkMs: 200, maxParkMs: 1_000 },
    });
    await delivery.start();
    await h.waitFor(() => delivered.length >= 3, 'delivered');
    await new Promise((r) => setTimeout(r, 300));
    expect(delivered).toEqual([m1.id, m2.id, m3.id]);
    expect(delivered).not.toContain(tooOld.id);

    // A second start finds nothing left to deliver.
    expect(await delivery.recover()).toEqual({ enqueued: 0, errors: 0 });
  });

  it('looks back as far as configured', async () => {
    h = await createHarness({ worker: false });
    const s = h.temp.store;
    h.addNumber(LOCAL);
    s.mappings.create({ number: LOCAL, platform: 'slack', channel: 'C1' });
    const conv = s.conversations.getOrCreate(LOCAL, A).conversation.id;
    const old = s.messages.insert({
      conversationId: conv, direction: 'inbound', body: 'two days ago', status: 'received', encoding: 'GSM-7', segments: 1,
      provider: PROVIDER_ID, providerMessageId: 'IN-old', createdAt: new Date(Date.now() - 48 * 3600 * 1000).toISOString(),
    }).message;
    const seen: string[] = [];
    delivery = createDeliveryPipeline({
      store: s,
      clock: h.deps.clock,
      redis: h.redis,
      prefix: h.prefix,
      deliver: (id) => {
        seen.push(id);
        return Promise.resolve();
      },
      options: { runWorker: false, recoverWindowMs: 72 * 3600 * 1000 },
    });
    expect(await delivery.recover()).toEqual({ enqueued: 1, errors: 0 });
    expect(await h.deliveries.ordered.queue.getJob(`deliver-${old.id}`)).toBeTruthy();
  });
});
