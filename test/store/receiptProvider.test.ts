// Which provider carried a message, as the SQLite store tells the receipt rule: the send ledger's
// provider (the latest send call) over the provider the message was queued with.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyDeliveryUpdate } from '../../src/app/applyDeliveryUpdate.js';
import type { Message } from '../../src/core/types.js';
import { createTempStore, type TempStore } from '../support/tempStore.js';

const OUR = '+14155550100';
const CONTACT = '+14155552671';

let temp: TempStore;
let msg: Message;
const deps = () => ({ store: temp.store, clock: { now: () => new Date() } });

beforeEach(async () => {
  temp = await createTempStore();
  const { conversation } = await temp.store.conversations.getOrCreate(OUR, CONTACT);
  // Queued while the number was at Twilio.
  msg = (await temp.store.messages.insert({ conversationId: conversation.id, direction: 'outbound', body: 'hi', status: 'sending', provider: 'twilio', encoding: 'GSM-7', segments: 1 })).message;
});
afterEach(() => temp.cleanup());

describe('the provider that carried a message, for delivery receipts', () => {
  it('before any send call: the provider the message was queued with; another provider\'s receipt is ignored', async () => {
    expect(await temp.store.messages.sentThrough(msg.id)).toBeNull();
    const r = await applyDeliveryUpdate(deps(), { provider: '8x8', providerMessageId: 'umid-1', messageId: msg.id, status: 'failed', reason: 'opted out' });
    expect(r.otherProvider).toEqual({ messageId: msg.id, carriedBy: 'twilio' });
    expect(await temp.store.messages.get(msg.id)).toMatchObject({ status: 'sending', providerMessageId: null });
  });

  it('the number moved to 8x8 before the send: 8x8 carried it (ledger), so its early receipt counts and Twilio\'s does not', async () => {
    await temp.store.sendLedger.start(msg.id, '8x8');
    expect(await temp.store.messages.sentThrough(msg.id)).toBe('8x8');

    const twilio = await applyDeliveryUpdate(deps(), { provider: 'twilio', providerMessageId: 'SM1', messageId: msg.id, status: 'failed' });
    expect(twilio).toMatchObject({ changed: false, otherProvider: { carriedBy: '8x8' } });

    const eight = await applyDeliveryUpdate(deps(), { provider: '8x8', providerMessageId: 'umid-2', messageId: msg.id, status: 'delivered' });
    expect(eight).toMatchObject({ changed: true, message: { status: 'delivered', provider: '8x8', providerMessageId: 'umid-2' } });
  });
});
