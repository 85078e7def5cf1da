// The one-statement store writes of the send worker (markSending, markSent, sendLedger.start)
// keep the rules of the general ones they replace: status only moves forward, a provider id
// never lands on two messages, a 'done' ledger entry is never reopened.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/core/errors.js';
import type { NewMessage } from '../../src/core/ports.js';
import { createTempStore, type TempStore } from '../support/tempStore.js';

let temp: TempStore;
let conversationId: string;
beforeEach(() => {
  temp = createTempStore();
  conversationId = temp.store.conversations.getOrCreate('+12025550100', '+14155550123').conversation.id;
});
afterEach(() => temp.cleanup());

function outbound(over: Partial<NewMessage> = {}): NewMessage {
  return {
    conversationId, direction: 'outbound', body: 'reply', status: 'queued', encoding: 'GSM-7', segments: 1,
    author: { platform: 'slack', userId: 'U1', name: 'Ana' }, platformMessageId: `slack:C1:${Math.random()}`, ...over,
  };
}

describe('send path store writes', () => {
  it('markSending moves a queued message to sending once, and never moves a sent one back', () => {
    const { message } = temp.store.messages.insert(outbound());
    expect(temp.store.messages.markSending(message.id)).toBe(true);
    expect(temp.store.messages.get(message.id)?.status).toBe('sending');
    expect(temp.store.messages.markSending(message.id)).toBe(false);
    temp.store.messages.advanceStatus(message.id, 'sent');
    expect(temp.store.messages.markSending(message.id)).toBe(false);
    expect(temp.store.messages.get(message.id)?.status).toBe('sent');
  });

  it('markSent records the provider id with the status, and only the id when a delivery report came first', () => {
    const { message } = temp.store.messages.insert(outbound());
    temp.store.messages.markSending(message.id);
    const sent = temp.store.messages.markSent(message.id, { provider: 'twilio', providerMessageId: 'SM1' });
    expect(sent).toMatchObject({ status: 'sent', provider: 'twilio', providerMessageId: 'SM1' });
    expect(temp.store.messages.get(message.id)).toMatchObject({ status: 'sent', providerMessageId: 'SM1' });

    const other = temp.store.messages.insert(outbound()).message;
    temp.store.messages.advanceStatus(other.id, 'delivered');
    expect(temp.store.messages.markSent(other.id, { provider: 'twilio', providerMessageId: 'SM2' })).toBeNull();
    expect(temp.store.messages.get(other.id)).toMatchObject({ status: 'delivered', providerMessageId: 'SM2' });
  });

  it("markSent refuses a provider id that belongs to another message and changes nothing", () => {
    const first = temp.store.messages.insert(outbound()).message;
    temp.store.messages.markSent(first.id, { provider: 'twilio', providerMessageId: 'SM9' });
    const second = temp.store.messages.insert(outbound()).message;
    temp.store.messages.markSending(second.id);
    expect(() => temp.store.messages.markSent(second.id, { provider: 'twilio', providerMessageId: 'SM9' })).toThrow(ConflictError);
    expect(temp.store.messages.get(second.id)).toMatchObject({ status: 'sending', providerMessageId: null });
    expect(temp.store.messages.markSent(second.id)?.status).toBe('sent');
  });

  it('sendLedger.start opens a call, counts attempts, and never reopens a done entry', () => {
    const { message } = temp.store.messages.insert(outbound());
    expect(temp.store.sendLedger.start(message.id, 'twilio')).toMatchObject({ state: 'calling', attempts: 1 });
    expect(temp.store.sendLedger.fail(message.id)).toMatchObject({ state: 'failed' });
    expect(temp.store.sendLedger.start(message.id, 'twilio')).toMatchObject({ state: 'calling', attempts: 2 });
    expect(temp.store.sendLedger.finish(message.id, 'SM5')).toMatchObject({ state: 'done', providerMessageId: 'SM5' });
    expect(temp.store.sendLedger.start(message.id, 'twilio')).toMatchObject({ state: 'done', attempts: 2, providerMessageId: 'SM5' });
    expect(temp.store.sendLedger.fail(message.id)).toMatchObject({ state: 'done' });
  });

  it('getForSend reads the message, its conversation and its ledger row in one go, exactly as the three separate reads', () => {
    const { message } = temp.store.messages.insert(outbound());
    const separate = () => ({
      message: temp.store.messages.get(message.id),
      conversation: temp.store.conversations.get(conversationId),
      ledger: temp.store.sendLedger.get(message.id),
    });
    expect(temp.store.messages.getForSend(message.id)).toEqual(separate());
    expect(temp.store.messages.getForSend(message.id)?.ledger).toBeNull();
    temp.store.sendLedger.start(message.id, 'twilio');
    temp.store.sendLedger.finish(message.id, 'SM7');
    expect(temp.store.messages.getForSend(message.id)).toEqual(separate());
    expect(temp.store.messages.getForSend(message.id)?.ledger).toMatchObject({ state: 'done', providerMessageId: 'SM7', attempts: 1 });
    expect(temp.store.messages.getForSend('no-such-message')).toBeNull();
  });
});
