import { afterEach, describe, expect, it } from 'vitest';
import { createTempStore, type TempStore } from '../support/tempStore.js';
import { steppingClock } from './clock.js';

let temp: TempStore | undefined;
afterEach(() => temp?.cleanup());

describe('restart', () => {
  it('closing and reopening the database keeps numbers, mappings, conversations, threads, messages, media, posts, opt-outs, policy, users and audit', async () => {
    temp = await createTempStore({ clock: steppingClock() });
    const s = temp.store;
    const number = await s.numbers.create({ e164: '+12025550100', provider: 'twilio', type: 'local', status: 'active', country: 'US' });
    await s.numbers.create({ e164: '+18005550100', provider: 'twilio', type: 'toll-free', status: 'active', country: 'US' });
    await s.numbers.remove('+18005550100');
    const mapping = await s.mappings.create({ number: number.e164, platform: 'slack', channel: 'C1' });
    const { conversation } = await s.conversations.getOrCreate(number.e164, '+14155550123');
    const thread = await s.threads.save({ conversationId: conversation.id, platform: 'slack', channel: 'C1', threadId: '1.1' });
    const { message } = await s.messages.insert({
      conversationId: conversation.id, direction: 'inbound', body: 'persist me', status: 'received',
      encoding: 'GSM-7', segments: 1, provider: 'twilio', providerMessageId: 'SM1',
    });
    await s.media.create({ messageId: message.id, contentType: 'image/png', size: 3, path: 'media/x.png', sourceUrl: null, status: 'stored', reason: null });
    const post = await s.posts.save({ messageId: message.id, platform: 'slack', channel: 'C1', platformMessageId: '1.2' });
    await s.optOuts.set(number.e164, '+14155550123', true, 'STOP');
    const policy = await s.policy.update({ smsEnabled: false, maxSegments: 4 });
    const user = await s.users.upsert('slack', 'U1', { admin: true });
    const entry = await s.audit.record({ actor: 'admin', action: 'number.create', target: number.e164, before: null, after: number });
    const channel = await s.chatChannels.upsert({ platform: 'teams', channel: '19:x', reference: { a: 1 } });
    const fullMessage = await s.messages.get(message.id);

    const r = await temp.reopen();
    expect(await r.numbers.list()).toEqual([number]);
    expect(await r.mappings.list()).toEqual([mapping]);
    expect(await r.conversations.list()).toEqual([conversation]);
    expect(await r.threads.listForConversation(conversation.id)).toEqual([thread]);
    expect(await r.messages.get(message.id)).toEqual(fullMessage);
    expect((await r.messages.insert({
      conversationId: conversation.id, direction: 'inbound', body: 'again', status: 'received',
      encoding: 'GSM-7', segments: 1, provider: 'twilio', providerMessageId: 'SM1',
    })).duplicate).toBe(true);
    expect(await r.posts.listForMessage(message.id)).toEqual([post]);
    expect(await r.optOuts.isOptedOut(number.e164, '+14155550123')).toBe(true);
    expect(await r.policy.get()).toEqual(policy);
    expect(await r.users.list()).toEqual([user]);
    expect(await r.audit.list()).toEqual([entry]);
    expect(await r.chatChannels.list()).toEqual([channel]);
  });
});
