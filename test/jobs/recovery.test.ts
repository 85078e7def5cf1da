// The store is the record; Redis only says "this conversation has work". When Redis lost its data
// (no persistence, failover, FLUSHALL), the workers wake every conversation with pending work from
// the outbox when they start (and when Redis answers again): every message still goes out once, in
// order per conversation; every inbound message still reaches its chat threads, in order.
import { afterEach, describe, expect, it } from 'vitest';
import { recordInbound } from '../../src/app/recordInbound.js';
import { OUTCOME_UNKNOWN_CODE } from '../../src/app/sendMessage.js';
import type { Turns } from '../../src/infra/queue/turns.js';
import { createDeliveryPipeline } from '../../src/pipelines.js';
import { deletePrefix } from '../support/redis.js';
import { createHarness, PROVIDER_ID, type Harness } from './support/harness.js';

const LOCAL = '+14152345678';
const A = '+12123456789';
const B = '+13126714455';

let h: Harness | null = null;
let delivery: Turns | null = null;
afterEach(async () => {
  await delivery?.stop();
  delivery = null;
  await h?.close();
  h = null;
});

/** Redis loses everything of this bridge: wake-ups, leases, heartbeats, rate-limiter state. */
async function wipeRedis(x: Harness): Promise<void> {
  await new Promise((r) => setTimeout(r, 50)); // wake-ups still on their way land first
  await deletePrefix(x.redis, x.prefix);
}

async function accepted(x: Harness, to: string, body: string): Promise<string> {
  const r = await x.send(LOCAL, to, body);
  if (!r.ok) throw new Error(`refused: ${r.refusals.map((f) => f.code).join(', ')}`);
  return r.message.id;
}

describe('send recovery at worker start-up', () => {
  it('after Redis lost every job, each queued message is sent once and in order per conversation', async () => {
    h = await createHarness({ worker: false });
    await h.addNumber(LOCAL);
    const toA: string[] = [];
    const toB: string[] = [];
    for (let i = 1; i <= 5; i++) toA.push(await accepted(h, A, `a${i}`));
    for (let i = 1; i <= 3; i++) toB.push(await accepted(h, B, `b${i}`));
    toA.push(await accepted(h, A, 'a6'));
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
    await h.waitFor(async () => (await Promise.all([...toA, ...toB].map((id) => h!.message(id)))).every((m) => m.status === 'sent'), 'all sent');

    expect(h.fake.sent.filter((r) => r.to === A).map((r) => r.body)).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'a6']);
    expect(h.fake.sent.filter((r) => r.to === B).map((r) => r.body)).toEqual(['b1', 'b2', 'b3']);
    expect(h.fake.sent).toHaveLength(9);
    expect(h.fake.requests).toHaveLength(11); // 9 sends + the two 503s
  });

  it('treats messages left "sending" by the ledger rule: recorded if the provider answered, never resent if it may have', async () => {
    h = await createHarness({ worker: false });
    await h.addNumber(LOCAL);
    const answered = await accepted(h, A, 'provider answered, not recorded');
    const unknown = await accepted(h, B, 'crashed mid-call');
    const s = h.temp.store;
    // A crash after the provider's answer reached the ledger but before the status did.
    await s.messages.advanceStatus(answered, 'sending');
    await s.sendLedger.begin(answered, PROVIDER_ID);
    await s.sendLedger.finish(answered, 'FAKE-EARLIER');
    // A crash while the request was out (Twilio-like provider: no idempotency).
    await s.messages.advanceStatus(unknown, 'sending');
    await s.sendLedger.begin(unknown, PROVIDER_ID);
    await wipeRedis(h);

    await h.startWorker();
    await h.waitFor(async () => (await h!.message(answered)).status === 'sent' && (await h!.message(unknown)).status === 'failed', 'settled');
    expect((await h.message(answered)).providerMessageId).toBe('FAKE-EARLIER');
    expect((await h.message(unknown)).errorCode).toBe(OUTCOME_UNKNOWN_CODE);
    expect(h.fake.requests).toHaveLength(0);
  });

  it('changes nothing when Redis kept its wake-ups: recovering twice still sends each message once', async () => {
    h = await createHarness({ worker: false });
    await h.addNumber(LOCAL);
    const ids = [await accepted(h, A, 'x1'), await accepted(h, A, 'x2'), await accepted(h, B, 'y1')];
    // One wake-up per conversation with pending work (x1's and y1's).
    expect(await h.pipeline.recover('test')).toBe(2);
    await h.pipeline.recover('test');
    await h.startWorker(); // recovers a third time
    await h.waitFor(async () => (await Promise.all(ids.map((id) => h!.message(id)))).every((m) => m.status === 'sent'), 'sent');
    await new Promise((r) => setTimeout(r, 300));
    expect(h.fake.sent.map((r) => r.body)).toEqual(expect.arrayContaining(['x1', 'x2', 'y1']));
    expect(h.fake.requests).toHaveLength(3);
    expect(h.fake.sent.filter((r) => r.to === A).map((r) => r.body)).toEqual(['x1', 'x2']);
  });
});

describe('delivery recovery at worker start-up', () => {
  it('posts the inbound messages Redis lost the wake-ups of, in the order they arrived, once each', async () => {
    h = await createHarness({ worker: false });
    const s = h.temp.store;
    await h.addNumber(LOCAL);
    await s.mappings.create({ number: LOCAL, platform: 'slack', channel: 'C1' });
    let n = 0;
    const inbound = async (body: string) =>
      (await recordInbound({ store: s, clock: h!.deps.clock }, { provider: PROVIDER_ID, providerMessageId: `IN${++n}`, from: A, to: LOCAL, body, media: [] })).message;
    const m1 = await inbound('first');
    const m2 = await inbound('second');
    const m3 = await inbound('third');
    await wipeRedis(h);

    const delivered: string[] = [];
    const deliver = async (id: string): Promise<void> => {
      // Like deliverMessage: idempotent per channel through message_posts.
      if ((await s.posts.listForMessage(id)).length > 0) return;
      await new Promise((r) => setTimeout(r, id === m1.id ? 150 : 5)); // the first is slow: order must hold
      delivered.push(id);
      await s.posts.save({ messageId: id, platform: 'slack', channel: 'C1', platformMessageId: `p-${id}` });
    };
    delivery = createDeliveryPipeline({
      store: s,
      redis: h.redis,
      own: h.own,
      prefix: h.prefix,
      liveness: h.liveness,
      deliver,
      options: { concurrency: 8, backoff: { baseMs: 20, maxMs: 200 } },
    });
    await delivery.start();
    await h.waitFor(() => delivered.length >= 3, 'delivered');
    await new Promise((r) => setTimeout(r, 300));
    expect(delivered).toEqual([m1.id, m2.id, m3.id]);
    // Nothing is left to do: a second pass wakes nobody.
    expect(await delivery.recover('test')).toBe(0);
  });
});
