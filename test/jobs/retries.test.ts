// Issue 4, behaviour 6: 429 honours Retry-After; 5xx retries with backoff up to a limit; permanent
// errors fail at once with the provider's code and a human reason; failed jobs stay inspectable.
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from './support/harness.js';

const LOCAL = '+14152345678';
const CONTACT = '+12123456789';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

async function sendOne(x: Harness, body = 'hello'): Promise<string> {
  const r = await x.send(LOCAL, CONTACT, body);
  if (!r.ok) throw new Error('refused');
  return r.message.id;
}

describe('retries', () => {
  it('a 429 with Retry-After is honoured: the next attempt comes no sooner, and it does not use up an attempt', async () => {
    h = await createHarness({ attempts: 1 });
    await h.addNumber(LOCAL);
    let first = true;
    h.fake.setScript(() => {
      if (!first) return 'ok';
      first = false;
      return { status: 429, headers: { 'retry-after': '1' }, body: { code: '20429' } };
    });
    const id = await sendOne(h);
    await h.waitFor(async () => (await h!.message(id)).status === 'sent', 'sent');
    expect(h.fake.requests).toHaveLength(2);
    const gap = h.fake.requests[1]!.at - h.fake.requests[0]!.at;
    expect(gap).toBeGreaterThanOrEqual(950);
    expect(h.fake.sent).toHaveLength(1);
  });

  it('5xx answers are retried until the provider accepts, and the SMS goes out once', async () => {
    h = await createHarness();
    await h.addNumber(LOCAL);
    let fails = 3;
    h.fake.setScript(() => (fails-- > 0 ? { status: 503 } : 'ok'));
    const id = await sendOne(h);
    await h.waitFor(async () => (await h!.message(id)).status === 'sent', 'sent');
    expect(h.fake.requests).toHaveLength(4);
    expect(h.fake.sent).toHaveLength(1);
    const m = await h.message(id);
    expect(m.providerMessageId).toBe('FAKE1');
    expect(await h.temp.store.sendLedger.get(id)).toMatchObject({ state: 'done', attempts: 4, providerMessageId: 'FAKE1' });
  });

  it('a transient failure that never ends gives up after the configured attempts, with the reason', async () => {
    h = await createHarness({ attempts: 3 });
    await h.addNumber(LOCAL);
    h.fake.setScript(() => ({ status: 502 }));
    const id = await sendOne(h);
    await h.waitFor(async () => (await h!.message(id)).status === 'failed', 'failed');
    expect(h.fake.requests).toHaveLength(3);
    const m = await h.message(id);
    expect(m.statusReason).toMatch(/gave up after 3 attempts/);
    expect(m.errorCode).toBe('http_502');
    // Its work is kept failed in the outbox (inspectable, resendable) right after it is recorded.
    await h.waitFor(async () => (await h!.temp.store.outbox.findByMessage('send', id))?.state === 'failed', 'kept failed');
    expect((await h.temp.store.outbox.listFailed()).map((i) => i.messageId)).toEqual([id]);
  });

  it('a permanent error fails at once with the provider code and a human reason, and the job stays inspectable', async () => {
    h = await createHarness();
    await h.addNumber(LOCAL);
    h.fake.setScript(() => ({ status: 400, body: { code: '21211', message: "The 'To' number is not a valid phone number." } }));
    const id = await sendOne(h);
    await h.waitFor(async () => (await h!.message(id)).status === 'failed', 'failed');
    expect(h.fake.requests).toHaveLength(1);
    const m = await h.message(id);
    expect(m.errorCode).toBe('21211');
    expect(m.statusReason).toBe("The 'To' number is not a valid phone number.");
    expect(h.notified.some((n) => n.id === id && n.status === 'failed')).toBe(true);
    await h.waitFor(async () => (await h!.temp.store.outbox.findByMessage('send', id))?.state === 'failed', 'kept failed');
    expect(await h.temp.store.outbox.findByMessage('send', id)).toMatchObject({ state: 'failed', attempts: 1 });
    expect((await h.temp.store.sendLedger.get(id))?.state).toBe('failed');
  });

  it('a provider opt-out fails the message and records the opt-out, so later sends are refused before queueing', async () => {
    h = await createHarness();
    await h.addNumber(LOCAL);
    h.fake.setScript(() => ({ status: 400, body: { code: '21610', message: 'Attempt to send to unsubscribed recipient', optedOut: true } }));
    const id = await sendOne(h);
    await h.waitFor(async () => (await h!.message(id)).status === 'failed', 'failed');
    expect((await h.message(id)).errorCode).toBe('21610');
    expect(await h.temp.store.optOuts.isOptedOut(LOCAL, CONTACT)).toBe(true);
    const next = await h.send(LOCAL, CONTACT, 'again?');
    expect(next.ok).toBe(false);
    if (!next.ok) expect(next.refusals.map((r) => r.code)).toContain('opted_out');
  });

  it('a 504 from a gateway in front of the provider is no answer: not resent without idempotency, retried with it', async () => {
    h = await createHarness();
    await h.addNumber(LOCAL);
    h.fake.setScript(() => ({ status: 504 }));
    const id = await sendOne(h);
    await h.waitFor(async () => (await h!.message(id)).status === 'failed', 'failed');
    expect((await h.message(id)).errorCode).toBe('outcome_unknown');
    expect(h.fake.requests).toHaveLength(1);
    await h.close();

    h = await createHarness({ idempotent: true });
    await h.addNumber(LOCAL);
    let fails = 1;
    h.fake.setScript(() => (fails-- > 0 ? { status: 504 } : 'ok'));
    const again = await sendOne(h);
    await h.waitFor(async () => (await h!.message(again)).status === 'sent', 'sent after the retry');
    expect(h.fake.requests).toHaveLength(2);
  });

  it('no answer from a provider without idempotency is not resent: the message fails as outcome unknown', async () => {
    h = await createHarness();
    await h.addNumber(LOCAL);
    // The provider takes the request and drops the connection without answering.
    h.fake.setScript(() => 'hold');
    const id = await sendOne(h);
    await h.fake.waitForRequests(1);
    await h.fake.close(); // closes the held socket: the client sees a network error
    await h.waitFor(async () => (await h!.message(id)).status === 'failed', 'failed');
    expect((await h.message(id)).errorCode).toBe('outcome_unknown');
    expect((await h.message(id)).statusReason).toMatch(/not resent to avoid a duplicate/);
    expect(h.fake.requests).toHaveLength(1);
  });
});
