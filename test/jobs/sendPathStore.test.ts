// The one-statement store writes of the send worker (markSending, markSent, sendLedger.start)
// keep the rules of the general ones they replace: status only moves forward, a provider id
// never lands on two messages, a 'done' ledger entry is never reopened.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/core/errors.js';
import type { NewMessage } from '../../src/core/ports.js';
import { createTempStore, type TempStore } from '../support/tempStore.js';

let temp: TempStore;
let conversationId: string;
beforeEach(async () => {
  temp = await createTempStore();
  conversationId = (await temp.store.conversations.getOrCreate('+12025550100', '+14155550123')).conversation.id;
});
afterEach(async () => temp.cleanup());

function outbound(over: Partial<NewMessage> = {}): NewMessage {
  return {
    conversationId, direction: 'outbound', body: 'reply', status: 'queued', encoding: 'GSM-7', segments: 1,
    author: { platform: 'slack', userId: 'U1', name: 'Ana' }, platformMessageId: `slack:C1:${Math.random()}`, ...over,
  };
}

describe('send path store writes', () => {
  it('markSending moves a queued message to sending once, and never moves a sent one back', async () => {
    const { message } = await temp.store.messages.insert(outbound());
    expect(await temp.store.messages.markSending(message.id)).toBe(true);
    expect((await temp.store.messages.get(message.id))?.status).toBe('sending');
    expect(await temp.store.messages.markSending(message.id)).toBe(false);
    await temp.store.messages.advanceStatus(message.id, 'sent');
    expect(await temp.store.messages.markSending(message.id)).toBe(false);
    expect((await temp.store.messages.get(message.id))?.status).toBe('sent');
  });

  it('markSent records the provider id with the status, and only the id when a delivery report came first', async () => {
    const { message } = await temp.store.messages.insert(outbound());
    await temp.store.messages.markSending(message.id);
    const sent = await temp.store.messages.markSent(message.id, { provider: 'twilio', providerMessageId: 'SM1' });
    expect(sent).toMatchObject({ status: 'sent', provider: 'twilio', providerMessageId: 'SM1' });
    expect(await temp.store.messages.get(message.id)).toMatchObject({ status: 'sent', providerMessageId: 'SM1' });

    const other = (await temp.store.messages.insert(outbound())).message;
    await temp.store.messages.advanceStatus(other.id, 'delivered');
    expect(await temp.store.messages.markSent(other.id, { provider: 'twilio', providerMessageId: 'SM2' })).toBeNull();
    expect(await temp.store.messages.get(other.id)).toMatchObject({ status: 'delivered', providerMessageId: 'SM2' });
  });

  it("markSent refuses a provider id that belongs to another message and changes nothing", async () => {
    const first = (await temp.store.messages.insert(outbound())).message;
    await temp.store.messages.markSent(first.id, { provider: 'twilio', providerMessageId: 'SM9' });
    const second = (await temp.store.messages.insert(outbound())).message;
    await temp.store.messages.markSending(second.id);
    await expect(temp.store.messages.markSent(second.id, { provider: 'twilio', providerMessageId: 'SM9' })).rejects.toThrow(ConflictError);
    expect(await temp.store.messages.get(second.id)).toMatchObject({ status: 'sending', providerMessageId: null });
    expect((await temp.store.messages.markSent(second.id))?.status).toBe('sent');
  });

  it('sendLedger.start opens a call, counts attempts, and never reopens a done entry', async () => {
    const { message } = await temp.store.messages.insert(outbound());
    expect(await temp.store.sendLedger.start(message.id, 'twilio')).toMatchObject({ state: 'calling', attempts: 1 });
    expect(await temp.store.sendLedger.fail(message.id)).toMatchObject({ state: 'failed' });
    expect(await temp.store.sendLedger.start(message.id, 'twilio')).toMatchObject({ state: 'calling', attempts: 2 });
    expect(await temp.store.sendLedger.finish(message.id, 'SM5')).toMatchObject({ state: 'done', providerMessageId: 'SM5' });
    expect(await temp.store.sendLedger.start(message.id, 'twilio')).toMatchObject({ state: 'done', attempts: 2, providerMessageId: 'SM5' });
    expect(await temp.store.sendLedger.fail(message.id)).toMatchObject({ state: 'done' });
  });

  it('getForSend reads the message, its conversation, ledger row, number, author and opt-out in one go, exactly as the separate reads', async () => {
    const { message } = await temp.store.messages.insert(outbound());
    const separate = async () => ({
      message: await temp.store.messages.get(message.id),
      conversation: await temp.store.conversations.get(conversationId),
      ledger: await temp.store.sendLedger.get(message.id),
      number: await temp.store.numbers.get('+12025550100'),
      author: await temp.store.users.get('slack', 'U1'),
      optedOut: await temp.store.optOuts.isOptedOut('+12025550100', '+14155550123'),
    });
    // Nothing but the message and its conversation yet.
    expect(await temp.store.messages.getForSend(message.id)).toEqual(await separate());
    expect(await temp.store.messages.getForSend(message.id)).toMatchObject({ ledger: null, number: null, author: null, optedOut: false });
    await temp.store.sendLedger.start(message.id, 'twilio');
    await temp.store.sendLedger.finish(message.id, 'SM7');
    await temp.store.numbers.create({ e164: '+12025550100', provider: 'twilio', type: 'local', status: 'active', country: 'US' });
    await temp.store.users.upsert('slack', 'U1', { smsEnabled: false });
    await temp.store.optOuts.set('+12025550100', '+14155550123', true, 'STOP');
    expect(await temp.store.messages.getForSend(message.id)).toEqual(await separate());
    expect(await temp.store.messages.getForSend(message.id)).toMatchObject({
      ledger: { state: 'done', providerMessageId: 'SM7', attempts: 1 },
      number: { e164: '+12025550100', provider: 'twilio' },
      author: { platform: 'slack', userId: 'U1', smsEnabled: false },
      optedOut: true,
    });
    // A number out of service and a START are seen as the separate reads see them.
    await temp.store.numbers.remove('+12025550100');
    await temp.store.optOuts.set('+12025550100', '+14155550123', false, 'START');
    expect(await temp.store.messages.getForSend(message.id)).toEqual(await separate());
    expect(await temp.store.messages.getForSend(message.id)).toMatchObject({ number: null, optedOut: false });
    expect(await temp.store.messages.getForSend('no-such-message')).toBeNull();
  });
});
