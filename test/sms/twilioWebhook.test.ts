// Twilio-specific webhook behaviour beyond the shared contract.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTwilioProvider } from '../../adapters/sms/twilio/index.js';
import { signTwilioWebhook, twilioInboundParams } from '../fakes/twilioFake.js';
import { serveRouters, type TestApp } from '../contract/support/app.js';
import { commonParts, type CommonParts } from '../contract/support/parts.js';

const PUBLIC_URL = 'https://bridge.example.com';
const TOKEN = 'twilio-auth-token';
const OUR = '+14156901234';
const CONTACT = '+14158675309';

describe('Twilio webhooks', () => {
  let parts: CommonParts;
  let app: TestApp;
  beforeEach(async () => {
    parts = await commonParts();
    const adapter = createTwilioProvider(
      { accountSid: 'AC1', authToken: TOKEN, apiUrl: 'http://127.0.0.1:9', publicUrl: PUBLIC_URL },
      { store: parts.store, clock: parts.clock, queue: parts.queue, notifier: parts.notifier },
    );
    app = await serveRouters(adapter.router);
  });
  afterEach(async () => {
    await app.close();
    await parts.close();
  });

  const post = (path: string, params: Record<string, string>, signedUrl = PUBLIC_URL + path) => {
    const s = signTwilioWebhook(TOKEN, signedUrl, params);
    return fetch(app.url + path, { method: 'POST', headers: s.headers, body: s.body });
  };

  it('answers an inbound message with empty TwiML as text/xml', async () => {
    const res = await post('/webhooks/twilio/sms', twilioInboundParams({ sid: 'SM1', from: CONTACT, to: OUR, body: 'hi' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/xml/);
    expect(await res.text()).toMatch(/<Response\/>$/);
  });

  it('checks the signature against PUBLIC_URL, not the address the request reached', async () => {
    const res = await post('/webhooks/twilio/sms', twilioInboundParams({ sid: 'SM2', from: CONTACT, to: OUR, body: 'hi' }), app.url + '/webhooks/twilio/sms');
    expect(res.status).toBe(403);
    expect(await parts.store.messages.getByProviderId('twilio', 'SM2')).toBeNull();
  });

  it('includes the query string in the signed URL', async () => {
    const params = twilioInboundParams({ sid: 'SM3', from: CONTACT, to: OUR, body: 'hi' });
    expect((await post('/webhooks/twilio/sms?tenant=a', params, `${PUBLIC_URL}/webhooks/twilio/sms`)).status).toBe(403);
    expect((await post('/webhooks/twilio/sms?tenant=a', params)).status).toBe(200);
  });

  it('refuses a signed webhook that repeats a field the bridge reads with 400 naming it, storing nothing', async () => {
    // Correctly signed (the signature covers both copies): which Body is the real one is unknowable.
    const params: Array<[string, string]> = [...Object.entries(twilioInboundParams({ sid: 'SM4', from: CONTACT, to: OUR, body: 'pay 10' })), ['Body', 'pay 1000']];
    const s = signTwilioWebhook(TOKEN, `${PUBLIC_URL}/webhooks/twilio/sms`, params);
    const res = await fetch(`${app.url}/webhooks/twilio/sms`, { method: 'POST', headers: s.headers, body: s.body });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_input', message: 'Twilio webhook has Body more than once', field: 'Body' } });
    expect(await parts.store.messages.getByProviderId('twilio', 'SM4')).toBeNull();
  });

  it('marks the contact opted out when a status callback reports 21610', async () => {
    const { conversation } = await parts.store.conversations.getOrCreate(OUR, CONTACT);
    const m = (await parts.store.messages.insert({
      conversationId: conversation.id, direction: 'outbound', body: 'x', status: 'sent', provider: 'twilio', providerMessageId: 'SM10', encoding: 'GSM-7', segments: 1,
    })).message;
    const res = await post('/webhooks/twilio/status', { MessageSid: 'SM10', MessageStatus: 'failed', ErrorCode: '21610' });
    expect(res.status).toBe(204);
    expect(await parts.store.messages.get(m.id)).toMatchObject({ status: 'failed', errorCode: '21610' });
    expect(await parts.store.optOuts.isOptedOut(OUR, CONTACT)).toBe(true);
  });

  it('a receipt that beats the send\'s answer (a fast "undelivered") finds its message by the send key in the callback URL', async () => {
    const { conversation } = await parts.store.conversations.getOrCreate(OUR, CONTACT);
    const m = (await parts.store.messages.insert({ conversationId: conversation.id, direction: 'outbound', body: 'x', status: 'sending', provider: 'twilio', encoding: 'GSM-7', segments: 1 })).message;
    const path = `/webhooks/twilio/status?send=${m.id}`;
    const res = await post(path, { MessageSid: 'SM20', MessageStatus: 'undelivered', ErrorCode: '30003' });
    expect(res.status).toBe(204);
    expect(await parts.store.messages.get(m.id)).toMatchObject({ status: 'undelivered', errorCode: '30003', providerMessageId: 'SM20' });
    // The key is part of the signed URL: changing it breaks the signature.
    const forged = await post(`/webhooks/twilio/status?send=${m.id}-r1`, { MessageSid: 'SM21', MessageStatus: 'delivered' }, PUBLIC_URL + path);
    expect(forged.status).toBe(403);
    // A receipt of an earlier send (before an admin resend) does not move the resent message.
    await parts.store.messages.requeue(m.id, { actor: 'test' });
    const late = await post(`/webhooks/twilio/status?send=${m.id}`, { MessageSid: 'SM22', MessageStatus: 'delivered' });
    expect(late.status).toBe(204);
    expect(await parts.store.messages.get(m.id)).toMatchObject({ status: 'queued', providerMessageId: null });
  });

  it('acknowledges status callbacks it does not track (inbound "received") without effect', async () => {
    const res = await post('/webhooks/twilio/status', { MessageSid: 'SM11', MessageStatus: 'received' });
    expect(res.status).toBe(204);
    expect(parts.notifier.changes).toHaveLength(0);
  });

  it('still acknowledges a status change when the chat side cannot be told', async () => {
    const { conversation } = await parts.store.conversations.getOrCreate(OUR, CONTACT);
    await parts.store.messages.insert({
      conversationId: conversation.id, direction: 'outbound', body: 'x', status: 'queued', provider: 'twilio', providerMessageId: 'SM12', encoding: 'GSM-7', segments: 1,
    });
    parts.notifier.statusChanged = async () => {
      throw new Error('slack down');
    };
    const res = await post('/webhooks/twilio/status', { MessageSid: 'SM12', MessageStatus: 'delivered' });
    expect(res.status).toBe(204);
    expect((await parts.store.messages.getByProviderId('twilio', 'SM12'))!.status).toBe('delivered');
  });
});
