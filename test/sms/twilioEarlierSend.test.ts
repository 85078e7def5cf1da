// A send to Twilio whose outcome is unknown (the ledger says the call started, no answer was
// recorded: the worker was killed mid-call) is not left for an admin any more: the next worker
// asks Twilio's message list whether that call created the message. Found: recorded with its sid,
// nothing sent. Not there: sent now, once. The list failing: retried, nothing sent meanwhile.
// Real parts: Redis, the store (TEST_STORE picks the engine), the Twilio adapter over HTTP to the
// strict fake Twilio.
import { afterEach, describe, expect, it } from 'vitest';
import { createTwilioProvider } from '../../adapters/sms/twilio/index.js';
import type { Store } from '../../src/core/ports.js';
import { startFakeTwilio, type FakeTwilio } from '../fakes/twilioFake.js';
import { createHarness, PROVIDER_ID, type Harness } from '../jobs/support/harness.js';

const OUR = '+14152345678';
const CONTACT = '+12123456781';

let h: Harness | null = null;
let tw: FakeTwilio | null = null;
afterEach(async () => {
  await h?.close();
  await tw?.close();
  h = null;
  tw = null;
});

/** A harness whose provider is the real Twilio adapter (under the harness's provider id). */
async function setUp(): Promise<{ x: Harness; twilio: FakeTwilio }> {
  const twilio = await startFakeTwilio();
  tw = twilio;
  const x = await createHarness({
    worker: false,
    provider: () => {
      const adapter = createTwilioProvider(
        { accountSid: twilio.accountSid, authToken: twilio.authToken, apiUrl: twilio.url, publicUrl: 'https://bridge.example.com', timeoutMs: 2_000 },
        // Only the send side is used here: no webhooks reach this adapter.
        { store: null as unknown as Store, clock: { now: () => new Date() }, queue: { wake: async () => undefined } },
      );
      return { ...adapter.provider, id: PROVIDER_ID, close: async () => undefined };
    },
  });
  h = x;
  await x.addNumber(OUR);
  return { x, twilio };
}

/** Accepts a reply and leaves it as a killed worker does: ledger 'calling', status 'sending'. */
async function replyLeftMidCall(x: Harness, body: string): Promise<string> {
  const r = await x.send(OUR, CONTACT, body);
  if (!r.ok) throw new Error('refused');
  const id = r.message.id;
  await x.temp.store.transaction(async () => {
    await x.temp.store.messages.advanceStatus(id, 'sending');
    await x.temp.store.sendLedger.start(id, PROVIDER_ID);
  });
  return id;
}

async function settled(x: Harness, id: string) {
  await x.waitFor(async () => ['sent', 'failed'].includes((await x.message(id)).status), 'reply settled', 20_000);
  return x.message(id);
}

describe('Twilio send with an unknown outcome: ask Twilio before sending again', () => {
  it('the earlier call did create the message: nothing is sent again and the reply is recorded with its sid', async () => {
    const { x, twilio } = await setUp();
    const id = await replyLeftMidCall(x, 'out 2.1');
    const there = twilio.seedMessage({ to: CONTACT, from: OUR, body: 'out 2.1' });
    await x.startWorker();
    const m = await settled(x, id);
    expect(m).toMatchObject({ status: 'sent', providerMessageId: there.sid });
    expect(twilio.calls).toHaveLength(0);
    expect(await x.temp.store.sendLedger.get(id)).toMatchObject({ state: 'done', providerMessageId: there.sid });
    // Asked with the documented filters: our number, the contact, sent on or after the day.
    const q = new Map(twilio.listCalls[0]!.query);
    expect(q.get('To')).toBe(CONTACT);
    expect(q.get('From')).toBe(OUR);
    expect(q.get('DateSent>')).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  }, 30_000);

  it('the earlier call never reached Twilio: the reply is sent now, exactly once', async () => {
    const { x, twilio } = await setUp();
    const id = await replyLeftMidCall(x, 'out 2.1');
    await x.startWorker();
    const m = await settled(x, id);
    expect(twilio.calls.map((c) => c.Body)).toEqual(['out 2.1']);
    expect(m).toMatchObject({ status: 'sent', providerMessageId: twilio.calls[0]!.sid });
    expect(twilio.listCalls.length).toBeGreaterThan(0);
  }, 30_000);

  it('the list answers 503: retried, and nothing is sent until Twilio answers', async () => {
    const { x, twilio } = await setUp();
    const id = await replyLeftMidCall(x, 'out 2.1');
    twilio.failNextList({ status: 503 });
    twilio.failNextList({ status: 503 });
    twilio.failNextList({ status: 429 });
    await x.startWorker();
    const m = await settled(x, id);
    expect(m.status).toBe('sent');
    expect(twilio.listCalls.slice(0, 3).map((c) => c.status)).toEqual([503, 503, 429]);
    const answered = twilio.listCalls.filter((c) => c.status === 200);
    expect(answered.length).toBeGreaterThan(0);
    expect(twilio.calls).toHaveLength(1);
    // The send came only after a lookup was answered.
    expect(twilio.calls[0]!.at).toBeGreaterThanOrEqual(answered[0]!.at);
  }, 30_000);

  it('an earlier same-text message to the same contact is not taken for this one', async () => {
    const { x, twilio } = await setUp();
    // Sent minutes before this reply's call (e.g. from the console), same text.
    const long = new Date(Date.now() - 5 * 60_000);
    const old = twilio.seedMessage({ to: CONTACT, from: OUR, body: 'ok', dateCreated: long, dateSent: long });
    // And the bridge's own previous reply with the same text, recorded with its sid.
    const first = await x.send(OUR, CONTACT, 'ok');
    if (!first.ok) throw new Error('refused');
    const theirs = twilio.seedMessage({ to: CONTACT, from: OUR, body: 'ok' });
    await x.temp.store.messages.setProviderMessageId(first.message.id, PROVIDER_ID, theirs.sid);
    await x.temp.store.messages.advanceStatus(first.message.id, 'sent');
    const id = await replyLeftMidCall(x, 'ok');
    await x.startWorker();
    const m = await settled(x, id);
    expect(twilio.calls.map((c) => c.Body)).toEqual(['ok']);
    expect(m).toMatchObject({ status: 'sent', providerMessageId: twilio.calls[0]!.sid });
    expect([old.sid, theirs.sid]).not.toContain(m.providerMessageId);
    expect((await x.message(first.message.id)).providerMessageId).toBe(theirs.sid);
  }, 30_000);

  it('an unrecorded message since the call that differs from the reply is not guessed at: outcome unknown, nothing sent', async () => {
    const { x, twilio } = await setUp();
    const id = await replyLeftMidCall(x, 'it\u2019s here');
    // What Twilio's Smart Encoding would have made of it: maybe ours, maybe not.
    twilio.seedMessage({ to: CONTACT, from: OUR, body: "it's here" });
    await x.startWorker();
    const m = await settled(x, id);
    expect(m).toMatchObject({ status: 'failed', errorCode: 'outcome_unknown' });
    expect(twilio.calls).toHaveLength(0);
  }, 30_000);
});
