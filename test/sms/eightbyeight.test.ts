// 8x8-specific parsing, send and webhook behaviour beyond the shared contract.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eightByEightSend, type EightByEightClientConfig } from '../../adapters/sms/eightbyeight/client.js';
import { createEightByEightProvider } from '../../adapters/sms/eightbyeight/index.js';
import { parseEightByEightEvent } from '../../adapters/sms/eightbyeight/parse.js';
import { InvalidInputError, ProviderError } from '../../src/core/errors.js';
import { sendKey } from '../../src/core/sendKey.js';
import { eightByEightInbound, eightByEightStatus, startFakeEightByEight, type FakeEightByEight } from '../fakes/eightbyeightFake.js';
import { serveRouters, type TestApp } from '../contract/support/app.js';
import { commonParts, type CommonParts } from '../contract/support/parts.js';

const OUR = '+14156901234';
const CONTACT = '+14158675309';
const sms = { messageId: '5d1c3c4e-0f7e-4c55-9b7a-0d1c9e0c1a22', from: OUR, to: CONTACT, body: 'hi', mediaUrls: [] };

describe('8x8 webhook parsing', () => {
  it('reads an inbound MMS with its pre-signed media links', () => {
    const ev = parseEightByEightEvent(eightByEightInbound({ umid: 'u1', from: CONTACT, to: OUR, body: 'see', mediaUrls: ['https://x/1', 'https://x/2'] }));
    expect(ev).toMatchObject({
      kind: 'inbound',
      sms: { provider: '8x8', providerMessageId: 'u1', from: CONTACT, to: OUR, body: 'see', smsCount: 1, media: [{ url: 'https://x/1', contentType: null }, { url: 'https://x/2', contentType: null }] },
    });
  });

  it('reads an international sender sent without its leading +', () => {
    const ev = parseEightByEightEvent(eightByEightInbound({ umid: 'u1', from: '447700900123', to: OUR, body: 'x' }));
    expect(ev.kind === 'inbound' && ev.sms.from).toBe('+447700900123');
  });

  it.each([
    ['queued', 'queued'],
    ['sent', 'sent'],
    ['delivered', 'delivered'],
    ['undelivered', 'undelivered'],
    ['rejected', 'failed'],
    ['failed', 'failed'],
  ])('maps delivery state %s to %s, echoing our message id', (state, status) => {
    const ev = parseEightByEightEvent(eightByEightStatus({ umid: 'u2', clientMessageId: 'our-id', state }));
    expect(ev).toMatchObject({ kind: 'status', update: { providerMessageId: 'u2', messageId: 'our-id', status } });
  });

  it('a receipt echoing a resend key (<id>-rN) names our plain message id and the resend it is about', () => {
    const ev = parseEightByEightEvent(eightByEightStatus({ umid: 'u4', clientMessageId: sendKey(sms.messageId, 3), state: 'delivered' }));
    expect(ev).toMatchObject({ kind: 'status', update: { providerMessageId: 'u4', messageId: sms.messageId, resend: 3, status: 'delivered' } });
  });

  it('keeps the error of an undelivered receipt as its reason', () => {
    const ev = parseEightByEightEvent(eightByEightStatus({ umid: 'u3', state: 'undelivered', errorCode: 5, errorMessage: 'Absent subscriber' }));
    expect(ev).toMatchObject({ kind: 'status', update: { errorCode: '5', reason: 'Absent subscriber' } });
  });

  it('ignores other event types and unknown states instead of failing', () => {
    expect(parseEightByEightEvent({ eventType: 'chatapps_whatever', payload: {} }).kind).toBe('ignored');
    expect(parseEightByEightEvent(eightByEightStatus({ umid: 'u', state: 'scheduled' })).kind).toBe('ignored');
  });

  it.each([
    [[], 'body'],
    [{ eventType: 'inbound_message_received' }, 'payload'],
    [{ eventType: 'inbound_message_received', payload: { umid: 'u', destination: OUR } }, 'payload.source'],
    [{ eventType: 'inbound_message_received', payload: { umid: 'u', source: CONTACT, destination: OUR, mediaUrls: 'x' } }, 'payload.mediaUrls'],
    [{ eventType: 'outbound_message_status_changed', payload: { umid: 'u' } }, 'payload.status'],
  ])('names the field of a malformed event (%j -> %s)', (body, field) => {
    let err: unknown = null;
    try {
      parseEightByEightEvent(body);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).field).toBe(field);
  });
});

describe('8x8 send', () => {
  let fake: FakeEightByEight;
  let cfg: EightByEightClientConfig;
  beforeEach(async () => {
    fake = await startFakeEightByEight();
    cfg = { apiKey: fake.apiKey, subaccountId: fake.subaccountId, apiUrl: fake.url, dlrCallbackUrl: null, timeoutMs: 500 };
  });
  afterEach(() => fake.close());
  const fail = async (c = cfg): Promise<ProviderError> => {
    const e = await eightByEightSend(c, sms).then(() => null, (x: unknown) => x);
    expect(e).toBeInstanceOf(ProviderError);
    return e as ProviderError;
  };

  it('returns the umid and leaves dlrCallbackUrl out when no PUBLIC_URL is known', async () => {
    const r = await eightByEightSend(cfg, sms);
    expect(r.providerMessageId).toBe(fake.calls[0]!.umid);
    expect(fake.calls[0]!.body).not.toHaveProperty('dlrCallbackUrl');
    expect(fake.calls[0]!.body.clientMessageId).toBe(sms.messageId);
  });

  it('keeps a REJECTED description as the human reason', async () => {
    fake.failNext({ rejected: 'Destination is not a mobile number' });
    const e = await fail();
    expect(e).toMatchObject({ retryable: false, optedOut: false, providerCode: 'REJECTED' });
    expect(e.message).toContain('Destination is not a mobile number');
  });

  it('keeps the code, message and errorId of an error body', async () => {
    const e = await fail({ ...cfg, apiKey: 'wrong' });
    expect(e).toMatchObject({ retryable: false, httpStatus: 401, providerCode: '1001' });
    expect(e.message).toMatch(/Unauthorized, errorId [0-9a-f-]{36}/);
  });
});

describe('8x8 webhook', () => {
  let parts: CommonParts;
  let app: TestApp;
  const AUTH = 'Bearer webhook-secret';
  beforeEach(async () => {
    parts = await commonParts();
    const adapter = createEightByEightProvider(
      { apiKey: 'k', subaccountId: 's', apiUrl: 'http://127.0.0.1:9', webhookAuth: AUTH, publicUrl: null },
      { store: parts.store, clock: parts.clock, queue: parts.queue, notifier: parts.notifier },
    );
    app = await serveRouters(adapter.router);
  });
  afterEach(async () => {
    await app.close();
    await parts.close();
  });
  const post = (body: unknown, auth = AUTH) =>
    fetch(app.url + '/webhooks/8x8', { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body: JSON.stringify(body) });

  it('applies a receipt that arrives before the send recorded the umid, by our clientMessageId', async () => {
    const { conversation } = await parts.store.conversations.getOrCreate(OUR, CONTACT);
    const m = (await parts.store.messages.insert({ conversationId: conversation.id, direction: 'outbound', body: 'x', status: 'sending', provider: '8x8', encoding: 'GSM-7', segments: 1 })).message;
    const res = await post(eightByEightStatus({ umid: 'umid-1', clientMessageId: m.id, state: 'delivered' }));
    expect(res.status).toBe(200);
    expect(await parts.store.messages.get(m.id)).toMatchObject({ status: 'delivered', providerMessageId: 'umid-1' });
  });

  it('applies the receipt of a resend, whose clientMessageId is the resend key the send gave 8x8', async () => {
    const { conversation } = await parts.store.conversations.getOrCreate(OUR, CONTACT);
    const m = (await parts.store.messages.insert({ conversationId: conversation.id, direction: 'outbound', body: 'x', status: 'sending', provider: '8x8', encoding: 'GSM-7', segments: 1 })).message;
    // The first resend goes out with the key the send pipeline uses; 8x8 echoes what it was given.
    const fake = await startFakeEightByEight();
    try {
      const cfg: EightByEightClientConfig = { apiKey: fake.apiKey, subaccountId: fake.subaccountId, apiUrl: fake.url, dlrCallbackUrl: null, timeoutMs: 500 };
      const sent = await eightByEightSend(cfg, { ...sms, messageId: sendKey(m.id, 1) });
      const echoed = fake.calls[0]!.body.clientMessageId as string;
      expect(echoed).toBe(`${m.id}-r1`);
      const res = await post(eightByEightStatus({ umid: sent.providerMessageId, clientMessageId: echoed, state: 'delivered' }));
      expect(res.status).toBe(200);
      expect(await parts.store.messages.get(m.id)).toMatchObject({ status: 'delivered', providerMessageId: sent.providerMessageId });
    } finally {
      await fake.close();
    }
  });

  it('a late receipt of the send made before an admin resend moves nothing: neither while the resend is on its way nor after', async () => {
    const { conversation } = await parts.store.conversations.getOrCreate(OUR, CONTACT);
    const m = (await parts.store.messages.insert({ conversationId: conversation.id, direction: 'outbound', body: 'x', status: 'sending', provider: '8x8', encoding: 'GSM-7', segments: 1 })).message;
    // First send: accepted as umid-old, then reported undelivered; the admin resends it.
    await parts.store.messages.setProviderMessageId(m.id, '8x8', 'umid-old');
    await parts.store.messages.advanceStatus(m.id, 'undelivered');
    expect(await parts.store.messages.requeue(m.id, { actor: 'test' })).toMatchObject({ ok: true });

    // While the resend is queued: the old send's late 'delivered' must not claim the message.
    expect((await post(eightByEightStatus({ umid: 'umid-old', clientMessageId: m.id, state: 'delivered' }))).status).toBe(200);
    expect(await parts.store.messages.get(m.id)).toMatchObject({ status: 'queued', providerMessageId: null });

    // The resend goes out (key <id>-r1) and is recorded; the old send's receipts still move nothing.
    await parts.store.messages.advanceStatus(m.id, 'sending');
    expect((await post(eightByEightStatus({ umid: 'umid-new', clientMessageId: sendKey(m.id, 1), state: 'sent' }))).status).toBe(200);
    expect(await parts.store.messages.get(m.id)).toMatchObject({ status: 'sent', providerMessageId: 'umid-new' });
    await post(eightByEightStatus({ umid: 'umid-old', clientMessageId: m.id, state: 'undelivered' }));
    expect(await parts.store.messages.get(m.id)).toMatchObject({ status: 'sent', providerMessageId: 'umid-new' });

    // The resend's own receipt applies.
    await post(eightByEightStatus({ umid: 'umid-new', clientMessageId: sendKey(m.id, 1), state: 'delivered' }));
    expect(await parts.store.messages.get(m.id)).toMatchObject({ status: 'delivered', providerMessageId: 'umid-new' });
  });

  it('refuses an Authorization header that differs only in case', async () => {
    expect((await post(eightByEightInbound({ umid: 'u', from: CONTACT, to: OUR, body: 'x' }), 'bearer webhook-secret')).status).toBe(401);
    expect(await parts.store.messages.getByProviderId('8x8', 'u')).toBeNull();
  });
});
