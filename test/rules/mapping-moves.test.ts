// Mapping model: when a mapping moves to another channel, the next message starts a new thread
// there, and the old thread no longer sends. Whole bridge (real express app, Bolt receiver,
// BullMQ queues on Redis, SQLite file), fake Slack and fake Twilio over HTTP; the move is done
// the way an admin does it in Slack (`/sms unmap` in the old channel, `/sms map` in the new one).

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHANNEL, CONTACT, OUR, createSlackHarness, responsesTo, type SlackHarness } from '../chat/slack/harness.js';
import { quotedText } from '../fakes/fakeSlack.js';

const NEW_CHANNEL = 'C0NEWDESK';

let h: SlackHarness;
beforeEach(async () => {
  h = await createSlackHarness();
  h.slack.addChannel(NEW_CHANNEL, 'new-desk');
  await h.setupNumber();
});
afterEach(async () => {
  await h.close();
});

async function adminCommand(text: string, channel: string): Promise<string> {
  const { res, responseUrl } = await h.slashCommand(text, { channel, user: 'UADMIN' });
  expect(res.status).toBe(200);
  await h.waitFor(() => responsesTo(h.slack, responseUrl).length > 0, `answer to /sms ${text}`);
  return responsesTo(h.slack, responseUrl).join('\n');
}

describe('mapping model: a mapping that moves', () => {
  it('the next message starts a new thread in the new channel, naming the contact and the bridge number', async () => {
    await h.inboundSms({ sid: 'SM1', body: 'before the move' });
    await h.waitFor(() => h.slack.roots(CHANNEL).length === 1 && h.slack.messages.length === 2, 'the first thread');
    const oldRoot = h.slack.roots(CHANNEL)[0]!;

    await adminCommand(`unmap ${OUR}`, CHANNEL);
    await adminCommand(`map ${OUR}`, NEW_CHANNEL);
    expect((await h.temp.store.mappings.list({ number: OUR })).map((m) => m.channel)).toEqual([NEW_CHANNEL]);

    await h.inboundSms({ sid: 'SM2', body: 'after the move' });
    await h.waitFor(() => h.slack.roots(NEW_CHANNEL).length === 1, 'a thread in the new channel');
    const newRoot = h.slack.roots(NEW_CHANNEL)[0]!;
    await h.waitFor(() => h.slack.thread(NEW_CHANNEL, newRoot.ts).length === 1, 'the message in the new thread');
    expect(newRoot.text).toContain('(212) 555-3456');
    expect(newRoot.text).toContain('(415) 555-2671');
    expect(h.slack.thread(NEW_CHANNEL, newRoot.ts).map(quotedText)).toEqual(['after the move']);
    // Nothing more in the old channel: same single root, its thread still holds only the first message.
    expect(h.slack.roots(CHANNEL)).toHaveLength(1);
    expect(h.slack.thread(CHANNEL, oldRoot.ts).map(quotedText)).toEqual(['before the move']);
    // Still one conversation for (number, contact), now with a thread in each channel it was shown in.
    const conversations = await h.temp.store.conversations.list({ number: OUR, contact: CONTACT });
    expect(conversations).toHaveLength(1);
    expect((await h.temp.store.threads.listForConversation(conversations[0]!.id)).map((t) => t.channel).sort()).toEqual([CHANNEL, NEW_CHANNEL].sort());
  });

  it('a reply in the new thread is sent from the number; one in the old thread is not sent', async () => {
    await h.inboundSms({ sid: 'SM1', body: 'hi' });
    await h.waitFor(() => h.slack.roots(CHANNEL).length === 1, 'the first thread');
    const oldRoot = h.slack.roots(CHANNEL)[0]!;
    await adminCommand(`unmap ${OUR}`, CHANNEL);
    await adminCommand(`map ${OUR}`, NEW_CHANNEL);
    await h.inboundSms({ sid: 'SM2', body: 'hello again' });
    await h.waitFor(() => h.slack.roots(NEW_CHANNEL).length === 1, 'the new thread');
    const newRoot = h.slack.roots(NEW_CHANNEL)[0]!;

    // Event ts values of our own, clear of the fake Slack's ts sequence.
    const now = Math.floor(Date.now() / 1000);
    await h.slackEvent({ channel: CHANNEL, user: 'UAGENT', text: 'from the old thread', ts: `${now}.900001`, thread_ts: oldRoot.ts });
    await h.slackEvent({ channel: NEW_CHANNEL, user: 'UAGENT', text: 'from the new thread', ts: `${now}.900002`, thread_ts: newRoot.ts });
    await h.waitFor(() => h.twilio.calls.length === 1, 'the reply from the new thread');
    await h.waitFor(() => h.slack.thread(CHANNEL, oldRoot.ts).length >= 2, 'a notice in the old thread');
    await new Promise((r) => setTimeout(r, 200));
    expect(h.twilio.calls.map((c) => [c.From, c.To, c.Body])).toEqual([[OUR, CONTACT, 'from the new thread']]);
  });
});
