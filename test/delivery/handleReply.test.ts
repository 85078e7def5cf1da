import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handleChatReply } from '../../src/chat/handleReply.js';
import { sendFromChannel } from '../../src/chat/sendFromChannel.js';
import type { ChatServiceDeps } from '../../src/chat/types.js';
import { createTempStore, type TempStore } from '../support/tempStore.js';
import { RecordingQueues, fixedClock } from './fakes.js';

const OUR = '+14155552671';
const CONTACT = '+12125553456';
const caps = () => ({ mms: true, maxMediaFiles: 10, maxMediaBytes: 5 * 1024 * 1024, idempotentSend: false });

describe('chat replies and channel sends (real SQLite store, recording queues)', () => {
  let temp: TempStore;
  let queues: RecordingQueues;
  let deps: ChatServiceDeps;
  let conversationId: string;

  beforeEach(async () => {
    temp = await createTempStore();
    queues = new RecordingQueues(temp.store.outbox);
    deps = { store: temp.store, clock: fixedClock, queue: queues, owner: 'test~1', providerCaps: caps };
    await temp.store.numbers.create({ e164: OUR, provider: 'twilio', type: 'local', status: 'active', country: 'US' });
    await temp.store.mappings.create({ number: OUR, platform: 'slack', channel: 'C1' });
    conversationId = (await temp.store.conversations.getOrCreate(OUR, CONTACT)).conversation.id;
    await temp.store.threads.save({ conversationId, platform: 'slack', channel: 'C1', threadId: '100.1' });
  });
  afterEach(async () => temp.cleanup());

  const prepared = (text: string) => async () => ({ text, userName: 'Ana', files: [], problems: [], sendWithoutThem: false });
  const reply = (text: string, id = 'slack:T:C1:200.1', threadId = '100.1') =>
    handleChatReply(deps, { platform: 'slack', channel: 'C1', threadId, userId: 'U1', rawText: text, declaredFiles: [], platformMessageId: id }, prepared(text));

  it('a reply in a conversation thread is queued from the conversation number to its contact, and recorded as its post', async () => {
    const r = await reply('on my way');
    expect(r.kind).toBe('queued');
    if (r.kind !== 'queued') return;
    expect(r.message.conversationId).toBe(conversationId);
    expect(r.message.author).toMatchObject({ platform: 'slack', userId: 'U1', name: 'Ana' });
    expect(queues.sends).toEqual([r.message.id]);
    expect(queues.deliveries).toEqual([r.message.id]);
    expect(await temp.store.posts.listForMessage(r.message.id)).toEqual([expect.objectContaining({ platform: 'slack', channel: 'C1', platformMessageId: 'slack:T:C1:200.1' })]);
  });

  it('the same chat message handled twice (platform retry) queues one SMS', async () => {
    await reply('once');
    const again = await reply('once');
    expect(again).toMatchObject({ kind: 'queued', duplicate: true });
    expect(queues.deliveries).toHaveLength(1);
    expect(await temp.store.messages.listForConversation(conversationId)).toHaveLength(1);
  });

  it('an internal note (//) stays in chat', async () => {
    expect(await reply('// call them tomorrow')).toEqual({ kind: 'note' });
    expect(queues.sends).toEqual([]);
  });

  it('a reply in a thread that is not a conversation is ignored', async () => {
    expect(await reply('hi', 'slack:T:C1:300.1', '999.9')).toEqual({ kind: 'not-a-conversation' });
  });

  it('a reply in a thread whose channel is no longer mapped to the number is not sent, and says which number', async () => {
    const mapping = (await temp.store.mappings.list({ number: OUR, platform: 'slack', channel: 'C1' }))[0]!;
    await temp.store.mappings.remove(mapping.id);
    await temp.store.mappings.create({ number: OUR, platform: 'slack', channel: 'C2' }); // moved elsewhere
    expect(await reply('still there?')).toEqual({ kind: 'channel-not-mapped', number: OUR });
    expect(queues.sends).toEqual([]);
    expect(queues.deliveries).toEqual([]);
    expect(await temp.store.messages.listForConversation(conversationId)).toEqual([]);
  });

  it('the mapping check is per platform: a Slack mapping does not let a Teams thread send', async () => {
    await temp.store.threads.save({ conversationId, platform: 'teams', channel: '19:x@thread.tacv2', threadId: '1700' });
    const r = await handleChatReply(
      deps,
      { platform: 'teams', channel: '19:x@thread.tacv2', threadId: '1700', userId: 'aad-1', rawText: 'hi', declaredFiles: [], platformMessageId: 'teams:x:1701' },
      prepared('hi'),
    );
    expect(r).toEqual({ kind: 'channel-not-mapped', number: OUR });
    expect(queues.sends).toEqual([]);
  });

  it('an internal note in an unmapped channel is still just a note', async () => {
    await temp.store.mappings.remove((await temp.store.mappings.list({ number: OUR }))[0]!.id);
    expect(await reply('// for us only')).toEqual({ kind: 'note' });
  });

  it('refusals come back with every reason and nothing is queued', async () => {
    await temp.store.policy.update({ smsEnabled: false });
    await temp.store.optOuts.set(OUR, CONTACT, true, 'STOP');
    const r = await reply('x'.repeat(2000));
    expect(r.kind).toBe('refused');
    if (r.kind !== 'refused') return;
    expect(r.refusals.map((x) => x.code).sort()).toEqual(['opted_out', 'sms_disabled_company', 'too_many_segments']);
    expect(queues.sends).toEqual([]);
  });

  it('a channel send uses the channel\'s mapped number and is handed to delivery for the contact thread', async () => {
    const r = await sendFromChannel(deps, { platform: 'slack', channel: 'C1', userId: 'U1', userName: 'Ana', to: ['(212) 555-3456'], text: 'hello', platformMessageId: 'slack:T:C1:cmd:1' });
    expect(r.kind).toBe('queued');
    if (r.kind !== 'queued') return;
    expect(r.message.conversationId).toBe(conversationId);
    expect(queues.deliveries).toEqual([r.message.id]);
    expect(await temp.store.posts.listForMessage(r.message.id)).toEqual([]);
  });

  it('a channel send names the number it used; with several numbers mapped it is always the oldest mapping', async () => {
    const SECOND = '+16175550142';
    const one = await sendFromChannel(deps, { platform: 'slack', channel: 'C1', userId: 'U1', userName: null, to: [CONTACT], text: 'a', platformMessageId: 'slack:T:C1:cmd:a' });
    expect(one).toMatchObject({ kind: 'queued', from: OUR, mappedNumbers: 1 });
    await temp.store.numbers.create({ e164: SECOND, provider: 'twilio', type: 'local', status: 'active', country: 'US' });
    await temp.store.mappings.create({ number: SECOND, platform: 'slack', channel: 'C1' });
    for (const id of ['b', 'c']) {
      const r = await sendFromChannel(deps, { platform: 'slack', channel: 'C1', userId: 'U1', userName: null, to: [CONTACT], text: id, platformMessageId: `slack:T:C1:cmd:${id}` });
      expect(r).toMatchObject({ kind: 'queued', from: OUR, mappedNumbers: 2 });
      if (r.kind === 'queued') expect((await temp.store.conversations.get(r.message.conversationId))?.number).toBe(OUR);
    }
    // A refusal says which number it tried, too.
    await temp.store.optOuts.set(OUR, CONTACT, true, 'STOP');
    expect(await sendFromChannel(deps, { platform: 'slack', channel: 'C1', userId: 'U1', userName: null, to: [CONTACT], text: 'd', platformMessageId: 'slack:T:C1:cmd:d' }))
      .toMatchObject({ kind: 'refused', from: OUR, mappedNumbers: 2 });
  });

  it('a channel send from an unmapped channel has no number to send from', async () => {
    expect(await sendFromChannel(deps, { platform: 'slack', channel: 'C9', userId: 'U1', userName: null, to: [CONTACT], text: 'x', platformMessageId: 'p' })).toEqual({ kind: 'no-mapping' });
  });

  it('a channel send to several recipients is refused (rule 3)', async () => {
    const r = await sendFromChannel(deps, { platform: 'slack', channel: 'C1', userId: 'U1', userName: null, to: [CONTACT, '+13105552222'], text: 'x', platformMessageId: 'p2' });
    expect(r).toMatchObject({ kind: 'refused', refusals: [expect.objectContaining({ code: 'too_many_recipients' })] });
  });
});
