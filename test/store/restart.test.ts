import { afterEach, describe, expect, it } from 'vitest';
import { createTempStore, type TempStore } from '../support/tempStore.js';
import { steppingClock } from './clock.js';

let temp: TempStore | undefined;
afterEach(() => temp?.cleanup());

describe('restart', () => {
  it('closing and reopening the database keeps numbers, mappings, conversations, threads, messages, media, posts, opt-outs, policy, users and audit', () => {
    temp = createTempStore({ clock: steppingClock() });
    const s = temp.store;
    const number = s.numbers.create({ e164: '+12025550100', provider: 'twilio', type: 'local', status: 'active', country: 'US' });
    s.numbers.create({ e164: '+18005550100', provider: 'twilio', type: 'toll-free', status: 'active', country: 'US' });
    s.numbers.remove('+18005550100');
    const mapping = s.mappings.create({ number: number.e164, platform: 'slack', channel: 'C1' });
    const { conversation } = s.conversations.getOrCreate(number.e164, '+14155550123');
    const thread = s.threads.save({ conversationId: conversation.id, platform: 'slack', channel: 'C1', threadId: '1.1' });
    const { message } = s.messages.insert({
      conversationId: conversation.id, direction: 'inbound', body: 'persist me', status: 'received',
      encoding: 'GSM-7', segments: 1, provider: 'twilio', providerMessageId: 'SM1',
    });
    s.media.create({ messageId: message.id, contentType: 'image/png', size: 3, path: 'media/x.png', sourceUrl: null, status: 'stored', reason: null });
    const post = s.posts.save({ messageId: message.id, platform: 'slack', channel: 'C1', platformMessageId: '1.2' });
    s.optOuts.set(number.e164, '+14155550123', true, 'STOP');
    const policy = s.policy.update({ smsEnabled: false, maxSegments: 4 });
    const user = s.users.upsert('slack', 'U1', { admin: true });
    const entry = s.audit.record({ actor: 'admin', action: 'number.create', target: number.e164, before: null, after: number });
    const channel = s.chatChannels.upsert({ platform: 'teams', channel: '19:x', reference: { a: 1 } });
    const fullMessage = s.messages.get(message.id);

    const r = temp.reopen();
    expect(r.numbers.list()).toEqual([number]);
    expect(r.mappings.list()).toEqual([mapping]);
    expect(r.conversations.list()).toEqual([conversation]);
    expect(r.threads.listForConversation(conversation.id)).toEqual([thread]);
    expect(r.messages.get(message.id)).toEqual(fullMessage);
    expect(r.messages.insert({
      conversationId: conversation.id, direction: 'inbound', body: 'again', status: 'received',
      encoding: 'GSM-7', segments: 1, provider: 'twilio', providerMessageId: 'SM1',
    }).duplicate).toBe(true);
    expect(r.posts.listForMessage(message.id)).toEqual([post]);
    expect(r.optOuts.isOptedOut(number.e164, '+14155550123')).toBe(true);
    expect(r.policy.get()).toEqual(policy);
    expect(r.users.list()).toEqual([user]);
    expect(r.audit.list()).toEqual([entry]);
    expect(r.chatChannels.list()).toEqual([channel]);
  });
});
