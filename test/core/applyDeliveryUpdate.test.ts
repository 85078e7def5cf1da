import { beforeEach, describe, expect, it } from 'vitest';

import type { Message } from '../../src/core/types.js';
import { applyDeliveryUpdate } from '../../src/app/applyDeliveryUpdate.js';
import { recordInbound } from '../../src/app/recordInbound.js';
import { CONTACT, OUR } from './fixtures.js';
import { createMemoryStore, fixedClock } from './memoryStore.js';

let store: ReturnType<typeof createMemoryStore>;
let deps: { store: typeof store; clock: ReturnType<typeof fixedClock> };
let msg: Message;

beforeEach(async () => {
  const clock = fixedClock();
  store = createMemoryStore(clock);
  deps = { store, clock };
  const { conversation } = await store.conversations.getOrCreate(OUR, CONTACT);
  msg = (await store.messages.insert({ conversationId: conversation.id, direction: 'outbound', body: 'hi', status: 'queued', provider: 'twilio', encoding: 'GSM-7', segments: 1 })).message;
  await store.messages.setProviderMessageId(msg.id, 'twilio', 'SM1');
});

describe('delivery updates move the status forward only', () => {
  it('moves sent -> delivered', async () => {
    expect(await applyDeliveryUpdate(deps, { provider: 'twilio', providerMessageId: 'SM1', status: 'sent' })).toMatchObject({ changed: true, message: { status: 'sent' } });
    expect(await applyDeliveryUpdate(deps, { provider: 'twilio', providerMessageId: 'SM1', status: 'delivered' })).toMatchObject({ changed: true, message: { status: 'delivered' } });
  });

  it('a late sent never overwrites delivered (callbacks out of order)', async () => {
    await applyDeliveryUpdate(deps, { provider: 'twilio', providerMessageId: 'SM1', status: 'delivered' });
    const r = await applyDeliveryUpdate(deps, { provider: 'twilio', providerMessageId: 'SM1', status: 'sent' });
    expect(r).toMatchObject({ changed: false, message: { status: 'delivered' } });
    expect((await store.messages.get(msg.id))?.status).toBe('delivered');
  });

  it('a repeated callback changes nothing the second time', async () => {
    expect((await applyDeliveryUpdate(deps, { provider: 'twilio', providerMessageId: 'SM1', status: 'sent' })).changed).toBe(true);
    expect((await applyDeliveryUpdate(deps, { provider: 'twilio', providerMessageId: 'SM1', status: 'sent' })).changed).toBe(false);
  });

  it('keeps the first final status: delivered after undelivered is ignored', async () => {
    await applyDeliveryUpdate(deps, { provider: 'twilio', providerMessageId: 'SM1', status: 'undelivered', errorCode: '30003', reason: 'Unreachable handset' });
    expect((await applyDeliveryUpdate(deps, { provider: 'twilio', providerMessageId: 'SM1', status: 'delivered' })).changed).toBe(false);
    expect(await store.messages.get(msg.id)).toMatchObject({ status: 'undelivered', errorCode: '30003', statusReason: 'Unreachable handset' });
  });

  it('finds the message by our id when the provider echoes it, recording the provider id (8x8 clientMessageId)', async () => {
    const { conversation } = await store.conversations.getOrCreate(OUR, CONTACT);
    const m = (await store.messages.insert({ conversationId: conversation.id, direction: 'outbound', body: 'x', status: 'sending', provider: '8x8', encoding: 'GSM-7', segments: 1 })).message;
    const r = await applyDeliveryUpdate(deps, { provider: '8x8', providerMessageId: 'umid-9', messageId: m.id, status: 'delivered' });
    expect(r).toMatchObject({ changed: true, message: { id: m.id, status: 'delivered', providerMessageId: 'umid-9' } });
    expect((await store.messages.getByProviderId('8x8', 'umid-9'))?.id).toBe(m.id);
  });

  it('an update for an unknown message changes nothing', async () => {
    expect(await applyDeliveryUpdate(deps, { provider: 'twilio', providerMessageId: 'SMunknown', status: 'delivered' })).toEqual({ message: null, changed: false });
  });

  it('never moves an inbound message', async () => {
    const r = await recordInbound(deps, { provider: 'twilio', providerMessageId: 'SMin', from: CONTACT, to: OUR, body: 'hi', media: [] });
    expect((await applyDeliveryUpdate(deps, { provider: 'twilio', providerMessageId: 'SMin', status: 'delivered' })).changed).toBe(false);
    expect((await store.messages.get(r.message.id))?.status).toBe('received');
  });
});

describe('a receipt moves only a message its own provider carried', () => {
  it('an 8x8 receipt naming a Twilio message by our id changes nothing: no status, no provider id, no opt-out', async () => {
    await applyDeliveryUpdate(deps, { provider: 'twilio', providerMessageId: 'SM1', status: 'sent' });
    const r = await applyDeliveryUpdate(deps, {
      provider: '8x8',
      providerMessageId: 'umid-evil',
      messageId: msg.id,
      status: 'failed',
      errorCode: '1007',
      reason: 'opted out',
    });
    expect(r).toEqual({ message: null, changed: false, otherProvider: { messageId: msg.id, carriedBy: 'twilio' } });
    expect(await store.messages.get(msg.id)).toMatchObject({ status: 'sent', provider: 'twilio', providerMessageId: 'SM1', statusReason: null });
    expect(await store.messages.getByProviderId('8x8', 'umid-evil')).toBeNull();
  });

  it('nor can it give a provider id to a message whose send has not answered yet', async () => {
    const { conversation } = await store.conversations.getOrCreate(OUR, CONTACT);
    const m = (await store.messages.insert({ conversationId: conversation.id, direction: 'outbound', body: 'x', status: 'sending', provider: 'twilio', encoding: 'GSM-7', segments: 1 })).message;
    expect((await applyDeliveryUpdate(deps, { provider: '8x8', providerMessageId: 'umid-1', messageId: m.id, status: 'delivered' })).changed).toBe(false);
    expect(await store.messages.get(m.id)).toMatchObject({ status: 'sending', providerMessageId: null });
  });
});
