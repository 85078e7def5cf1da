// Rule 11, caller ID: outbound SMS always shows the provisioned number of the conversation; a
// user can never pick another sending number. Whole bridge (real express app, Bolt receiver,
// BullMQ send and delivery queues on Redis, SQLite file), fake Slack and fake Twilio over HTTP.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHANNEL, CONTACT, OUR, createSlackHarness, responsesTo, type SlackHarness } from '../chat/slack/harness.js';

const B = '+16175550142'; // our second provisioned number
const B_CHANNEL = 'C0OTHER';

let h: SlackHarness;
beforeEach(async () => {
  h = await createSlackHarness();
  h.slack.addChannel(B_CHANNEL, 'other-desk');
  await h.setupNumber(); // OUR -> CHANNEL
  await h.setupNumber({ number: B, channel: B_CHANNEL });
});
afterEach(async () => {
  await h.close();
});

async function command(text: string, channel = CHANNEL): Promise<string> {
  const { res, responseUrl } = await h.slashCommand(text, { channel });
  expect(res.status).toBe(200);
  await h.waitFor(() => responsesTo(h.slack, responseUrl).length > 0, `answer to /sms ${text}`);
  return responsesTo(h.slack, responseUrl).join('\n');
}

const fromNumbers = () => h.twilio.calls.map((c) => c.From);

describe('rule 11: caller ID', () => {
  it('/sms goes out from the number of the channel it was typed in, whatever channel', async () => {
    await command('+1 212 555 3456 from the first desk');
    await command('+1 212 555 3456 from the other desk', B_CHANNEL);
    await h.waitFor(() => h.twilio.calls.length === 2, 'both SMS');
    const byBody = Object.fromEntries(h.twilio.calls.map((c) => [c.Body, c.From]));
    expect(byBody).toEqual({ 'from the first desk': OUR, 'from the other desk': B });
  });

  it('naming our other number in /sms does not send from it: it is a recipient, and the channel number stays the sender', async () => {
    // "/sms <B> text" in OUR's channel: B is read as the recipient (a co-worker), never as the
    // sender. ("/sms <B> <contact> text" names two recipients and is refused: rule 3.)
    expect(await command(`${B} ${CONTACT} hi from B?`)).toMatch(/one number at a time/);
    await command(`${B} is this B?`);
    await h.waitFor(async () => (await h.messages()).some((m) => m.direction === 'internal'), 'the co-worker message');
    await new Promise((r) => setTimeout(r, 200));
    expect(fromNumbers()).not.toContain(B);
    expect(h.twilio.calls.filter((c) => c.To === CONTACT)).toEqual([]);
    const sender = await h.temp.store.conversations.find(OUR, B);
    expect(sender).not.toBeNull();
    expect((await h.temp.store.messages.listForConversation(sender!.id)).map((m) => [m.direction, m.author?.userId])).toEqual([['internal', 'UAGENT']]);
  });

  it('a reply in a thread goes from the conversation number, even in a channel that also shows another number', async () => {
    // The same contact texts both numbers; CHANNEL is then also mapped to B, so it shows two
    // threads with the same contact. Each reply goes from its own thread's number.
    await h.setupNumber({ number: B, channel: CHANNEL });
    await h.inboundSms({ sid: 'SMa', body: 'to the first number', to: OUR });
    await h.inboundSms({ sid: 'SMb', body: 'to the second number', to: B });
    await h.waitFor(() => h.slack.roots(CHANNEL).length === 2, 'two threads in the channel');
    const rootFor = async (number: string) => {
      const c = (await h.temp.store.conversations.find(number, CONTACT))!;
      return (await h.temp.store.threads.get(c.id, 'slack', CHANNEL))!.threadId;
    };
    for (const [i, [number, text]] of ([[OUR, 'reply via first'], [B, 'reply via second']] as const).entries()) {
      const ts = `${Math.floor(Date.now() / 1000)}.90000${i}`; // clear of the fake Slack's ts sequence
      expect((await h.slackEvent({ user: 'UAGENT', text, ts, thread_ts: await rootFor(number) })).status).toBe(200);
    }
    await h.waitFor(() => h.twilio.calls.length === 2, 'both replies');
    const byBody = Object.fromEntries(h.twilio.calls.map((c) => [c.Body, [c.From, c.To]]));
    expect(byBody).toEqual({ 'reply via first': [OUR, CONTACT], 'reply via second': [B, CONTACT] });
  });

  it('a reply in a thread of a number that moved away from the channel is not sent from any number', async () => {
    await h.inboundSms({ sid: 'SMc', body: 'hello', to: B, from: CONTACT });
    await h.waitFor(() => h.slack.roots(B_CHANNEL).length === 1, 'the thread');
    const root = h.slack.roots(B_CHANNEL)[0]!;
    // B leaves its channel; the channel is now mapped to OUR instead.
    for (const m of await h.temp.store.mappings.list({ number: B })) await h.temp.store.mappings.remove(m.id);
    await h.setupNumber({ number: OUR, channel: B_CHANNEL });
    const ts = `${Math.floor(Date.now() / 1000)}.900777`;
    expect((await h.slackEvent({ channel: B_CHANNEL, user: 'UAGENT', text: 'still there?', ts, thread_ts: root.ts })).status).toBe(200);
    await h.waitFor(() => h.slack.thread(B_CHANNEL, root.ts).length >= 2, 'the notice in the thread');
    await new Promise((r) => setTimeout(r, 200));
    expect(h.twilio.calls).toEqual([]);
    expect((await h.messages()).filter((m) => m.direction !== 'inbound')).toEqual([]);
  });
});
