// Replies written in a conversation's Teams thread -> the outbound pipeline (real store, real
// core requestOutbound; the send queue is a recording queue here, test/e2e runs the real one).

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordInbound } from '../../../src/app/recordInbound.js';
import { deliverMessage } from '../../../src/delivery/deliverMessage.js';
import { teamsHtmlToPlain } from '../../../adapters/chat/teams/format.js';
import { BOT_ID, CHANNEL, CONTACT, OUR, channelReply, installAndMap, startHarness, type Harness } from './harness.js';
import { MemoryLocks } from '../../../src/infra/coordination/memoryLocks.js';

let h: Harness;
let rootId: string;
const clock = { now: () => new Date() };

const threadTexts = (): string[] => h.connector.thread(rootId).map((a) => teamsHtmlToPlain(a.activity.text ?? ''));
const reply = (text: string, extra: Partial<Parameters<typeof channelReply>[0]> = {}) =>
  channelReply({ serviceUrl: h.connector.serviceUrl, rootId, text, ...extra });

beforeEach(async () => {
  h = await startHarness();
  await installAndMap(h);
  // A contact texted in: the conversation's thread exists in the channel.
  const { message } = await recordInbound(
    { store: h.temp.store, clock },
    { provider: 'twilio', providerMessageId: 'SM1', from: CONTACT, to: OUR, body: 'hi', media: [] },
  );
  await deliverMessage({ store: h.temp.store, registry: h.registry, locks: new MemoryLocks() }, message.id);
  rootId = h.connector.roots(CHANNEL)[0]!.id;
});
afterEach(async () => {
  await h.close();
});

describe('a reply in a Teams conversation thread', () => {
  it('goes out as SMS from the conversation number to the contact, attributed to the Teams user', async () => {
    const activity = reply('<at>SMS Bridge</at> We open at <b>9</b> &amp; close at 5', {
      entities: [{ type: 'mention', text: '<at>SMS Bridge</at>', mentioned: { id: BOT_ID, name: 'SMS Bridge' } }],
    });
    const res = await h.send(activity);
    expect(res.status).toBe(200);

    expect(h.queues.sends).toHaveLength(1);
    const message = (await h.temp.store.messages.get(h.queues.sends[0]!.messageId))!;
    expect(message).toMatchObject({
      direction: 'outbound',
      body: 'We open at 9 & close at 5',
      status: 'queued',
      author: { platform: 'teams', userId: 'aad-alice', name: 'Alice Agent' },
      platformMessageId: `teams:${CHANNEL};messageid=${rootId}:${activity.id as string}`,
    });
    const conversation = (await h.temp.store.conversations.get(message.conversationId))!;
    expect(conversation).toMatchObject({ number: OUR, contact: CONTACT });
    // Mirrored to the conversation's other channels through the delivery queue.
    expect(h.queues.deliveries.map((d) => d.messageId)).toEqual([message.id]);
    // The status shows in the thread.
    expect(threadTexts().at(-1)).toBe('⏳ SMS queued');
  });

  it('its status notice is updated in place as the SMS moves on', async () => {
    await h.send(reply('hello'));
    const messageId = h.queues.sends[0]!.messageId;
    const notice = h.connector.thread(rootId).at(-1)!;
    const sent = (await h.temp.store.messages.advanceStatus(messageId, 'sent'))!;
    const post = (await h.temp.store.posts.listForMessage(messageId))[0]!;
    const thread = (await h.temp.store.threads.findByThread('teams', CHANNEL, rootId))!;
    await h.teams.platform.showStatus(post, thread, sent);
    const delivered = (await h.temp.store.messages.advanceStatus(messageId, 'delivered'))!;
    await h.teams.platform.showStatus(post, thread, delivered);

    const puts = h.connector.calls.filter((c) => c.method === 'PUT');
    expect(puts.map((p) => p.activityId)).toEqual([notice.id, notice.id]);
    expect(notice.updates.map((u) => teamsHtmlToPlain(u.text ?? ''))).toEqual(['✓ SMS sent', '✓✓ SMS delivered']);
    // No second notice was posted.
    expect(threadTexts().filter((t) => t.includes('SMS'))).toHaveLength(1);
  });

  it('the same activity delivered twice is sent once', async () => {
    const activity = reply('only once please');
    await h.send(activity);
    await h.send(activity);
    await Promise.all([h.send(activity), h.send(activity)]);
    // One message; a retry hands it to the queue again, which is idempotent by message id (the
    // real queue: test/jobs), so the SMS goes once.
    expect(new Set(h.queues.sends.map((s) => s.messageId)).size).toBe(1);
    const conversation = (await h.temp.store.conversations.find(OUR, CONTACT))!;
    expect((await h.temp.store.messages.listForConversation(conversation.id)).filter((m) => m.direction === 'outbound')).toHaveLength(1);
    expect(threadTexts().filter((t) => t === '⏳ SMS queued')).toHaveLength(1);
  });

  it('a reply taken while the queue was away is stored with its send and mirror; a Teams retry wakes them again', async () => {
    const wake = h.queues.queue.wake;
    h.queues.queue.wake = async () => undefined; // Redis away: wake-ups are lost
    const activity = reply('hand me on');
    expect((await h.send(activity)).status).toBe(200); // stored with its work: nothing is lost
    h.queues.queue.wake = wake;
    expect(h.queues.sends).toEqual([]);
    const conversation = (await h.temp.store.conversations.find(OUR, CONTACT))!;
    const stored = (await h.temp.store.messages.listForConversation(conversation.id)).find((m) => m.direction === 'outbound')!;
    expect(await h.temp.store.outbox.findByMessage('send', stored.id)).toMatchObject({ state: 'ready' });
    expect((await h.send(activity)).status).toBe(200);
    expect(h.queues.sends.map((x) => x.messageId)).toEqual([stored.id]);
    expect(h.queues.deliveries.map((d) => d.messageId)).toEqual([stored.id]); // the mirror
  });

  it('a reply starting with // is an internal note: not sent, nothing posted', async () => {
    const before = h.connector.calls.length;
    await h.send(reply('// customer sounds upset, call back'));
    expect(h.queues.sends).toHaveLength(0);
    expect(h.connector.calls.length).toBe(before);
  });

  it('a refused reply shows every reason in the thread and is not sent', async () => {
    await h.temp.store.optOuts.set(OUR, CONTACT, true, 'STOP');
    await h.temp.store.policy.update({ smsEnabled: false });
    await h.send(reply('are you there?'));
    expect(h.queues.sends).toHaveLength(0);
    const notice = threadTexts().at(-1)!;
    expect(notice).toMatch(/Not sent as SMS/);
    expect(notice).toMatch(/opted out/i);
    expect(notice).toMatch(/turned off|disabled/i);
  });

  it('a refusal notice Teams turns away for now (429, then 503) is tried again until it shows', async () => {
    await h.temp.store.policy.update({ smsEnabled: false });
    h.connector.failNext({ status: 429, retryAfter: 1 });
    h.connector.failNext({ status: 503 });
    expect((await h.send(reply('hello?'))).status).toBe(200);
    expect(threadTexts().some((t) => /Not sent as SMS/.test(t))).toBe(false); // not yet
    const until = Date.now() + 5_000;
    while (!threadTexts().some((t) => /Not sent as SMS/.test(t)) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(threadTexts().filter((t) => /Not sent as SMS/.test(t))).toHaveLength(1);
    expect(h.queues.sends).toHaveLength(0);
  });

  it('a reply in a thread whose channel is no longer mapped to the number is not sent; a notice names the number', async () => {
    for (const m of await h.temp.store.mappings.list({ number: OUR, platform: 'teams' })) await h.temp.store.mappings.remove(m.id);
    const res = await h.send(reply('still there?'));
    expect(res.status).toBe(200);
    expect(h.queues.sends).toHaveLength(0);
    expect(h.queues.deliveries).toHaveLength(0);
    expect(threadTexts().at(-1)).toBe('⛔ Not sent: this channel is no longer mapped to (415) 555-0100; replies are not sent.');
    const conversation = (await h.temp.store.conversations.find(OUR, CONTACT))!;
    expect((await h.temp.store.messages.listForConversation(conversation.id)).filter((m) => m.direction !== 'inbound')).toHaveLength(0);
  });

  it('ordinary channel talk (a new post, another thread, a bot) is ignored', async () => {
    const before = h.connector.calls.length;
    const top = channelReply({ serviceUrl: h.connector.serviceUrl, rootId: '999', id: '999', text: 'new topic' });
    await h.send(top);
    await h.send(channelReply({ serviceUrl: h.connector.serviceUrl, rootId: '12345', text: 'other thread' }));
    await h.send(reply('bot talk', { from: { id: '28:other-bot', name: 'Other bot' } }));
    await h.send(reply('echo', { from: { id: BOT_ID, name: 'SMS Bridge' } }));
    expect(h.queues.sends).toHaveLength(0);
    expect(h.connector.calls.length).toBe(before);
  });

  it('a picture attached in Teams goes as MMS (downloaded from the connector)', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const url = h.connector.addAttachment(png, 'image/png');
    await h.send(reply('here is the photo', { attachments: [{ contentType: 'image/*', contentUrl: url, name: 'photo.png' }, { contentType: 'text/html', content: '<p>here is the photo</p>' }] }));
    expect(h.queues.sends).toHaveLength(1);
    const message = (await h.temp.store.messages.get(h.queues.sends[0]!.messageId))!;
    expect(message.media).toHaveLength(1);
    expect(message.media[0]).toMatchObject({ contentType: 'image/png', size: png.length, status: 'stored' });
  });

  it('a file that cannot go as MMS is not dropped silently: a notice explains', async () => {
    await h.send(reply('see attached', {
      attachments: [
        { contentType: 'image/png', contentUrl: 'https://files.evil.example/x.png', name: 'x.png' },
        { contentType: 'application/vnd.microsoft.card.adaptive', content: {}, name: 'card' },
      ],
    }));
    expect(h.queues.sends).toHaveLength(1);
    const notice = threadTexts().find((t) => t.startsWith('Not attached'))!;
    expect(notice).toMatch(/x\.png: the link does not point to Teams/);
    expect(notice).toMatch(/card: .* cannot be sent by SMS\/MMS/);
  });

  it('Teams redelivering a reply while its files are still downloading: one SMS, one download, one "not attached" notice', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const url = h.connector.addAttachment(png, 'image/png');
    const activity = reply('photo and a card', {
      attachments: [
        { contentType: 'image/*', contentUrl: url, name: 'photo.png' },
        { contentType: 'application/vnd.microsoft.card.adaptive', content: {}, name: 'card' },
      ],
    });
    h.connector.setDelay(400); // the download outlasts Teams' patience: it sends the activity again
    const first = h.send(activity);
    await new Promise((r) => setTimeout(r, 100));
    const again = h.send(activity);
    const [a, b] = await Promise.all([first, again]);
    h.connector.setDelay(0);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(h.queues.sends).toHaveLength(1);
    expect(h.connector.calls.filter((c) => c.path.startsWith('/attachments/'))).toHaveLength(1);
    expect(threadTexts().filter((t) => t.startsWith('Not attached'))).toHaveLength(1);
  });

  it('editing a reply that was sent says SMS cannot be changed', async () => {
    const activity = reply('original');
    await h.send(activity);
    await h.send({ ...activity, type: 'messageUpdate', text: 'edited', channelData: { ...(activity.channelData as object), eventType: 'editMessage' } });
    expect(h.queues.sends).toHaveLength(1);
    expect(threadTexts().at(-1)).toMatch(/Edits are not sent/);
  });

  it('any channel message teaches the bridge that channel (teams that installed the app earlier)', async () => {
    const other = '19:older-channel@thread.tacv2';
    expect(await h.teams.channels.get(other)).toBeNull();
    await h.send(channelReply({ serviceUrl: h.connector.serviceUrl, rootId: '42', id: '42', text: 'hello team', channel: other }));
    expect(await h.teams.channels.get(other)).toMatchObject({ channelId: other, serviceUrl: h.connector.serviceUrl, removedAt: null });
    expect(h.queues.sends).toHaveLength(0);
  });
});
