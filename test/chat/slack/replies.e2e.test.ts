// Signed Slack events -> handleChatReply -> send queue -> fake Twilio, through the real server.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { shownText } from '../../fakes/fakeSlack.js';
import { CHANNEL, CONTACT, OUR, createSlackHarness, openConversationThread, type SlackHarness } from './harness.js';

let h: SlackHarness;
let rootTs: string;
let tsSeq = 0;
const nextTs = () => `${Math.floor(Date.now() / 1000)}.${String(900000 + ++tsSeq)}`;

beforeEach(async () => {
  h = await createSlackHarness();
  rootTs = await openConversationThread(h);
});
afterEach(async () => {
  await h.close();
});

const reply = (text: string, extra: Record<string, unknown> = {}, opts: { eventId?: string; retryNum?: number } = {}) => {
  const ts = (extra.ts as string | undefined) ?? nextTs();
  return { ts, res: h.slackEvent({ user: 'UAGENT', text, ts, thread_ts: rootTs, ...extra }, opts) };
};
const reactionsOn = (ts: string) => h.slack.reactions.filter((r) => r.timestamp === ts).map((r) => r.name);
const threadTexts = () => h.slack.thread(CHANNEL, rootTs).map(shownText);
const settle = () => new Promise((r) => setTimeout(r, 400));

describe('replies in a Slack conversation thread', () => {
  it('a human reply goes out as SMS from the conversation number to the contact, with status reactions', async () => {
    h.twilio.failNext({ delayMs: 600 }); // a slow provider: the queued mark shows first
    const { ts, res } = reply('Yes, ready at 5pm &amp; see <https://shop.example/o/1|your order>');
    expect((await res).status).toBe(200);
    await h.waitFor(() => reactionsOn(ts).includes('hourglass_flowing_sand'), 'queued reaction');
    expect(reactionsOn(ts)).not.toContain('outbox_tray');
    await h.waitFor(() => h.twilio.calls.length === 1, 'provider send');
    expect(h.twilio.calls[0]).toMatchObject({ From: OUR, To: CONTACT, Body: 'Yes, ready at 5pm & see your order (https://shop.example/o/1)' });
    // One current mark: each new status takes the previous mark off.
    await h.waitFor(() => reactionsOn(ts).join() === 'outbox_tray', 'sent reaction replacing the hourglass');
    expect((await h.statusCallback(h.twilio.calls[0]!.sid!, 'delivered')).ok).toBe(true);
    await h.waitFor(() => reactionsOn(ts).join() === 'white_check_mark', 'delivered reaction replacing the sent one');
    const msg = await h.temp.store.messages.getByPlatformMessageId(`slack:${h.slack.teamId}:${CHANNEL}:${ts}`);
    expect(msg).toMatchObject({ direction: 'outbound', status: 'delivered', author: { platform: 'slack', userId: 'UAGENT', name: 'agent' } });
  });

  it('Slack retries and duplicate event ids never cause a second SMS', async () => {
    const ts = nextTs();
    const ev = { user: 'UAGENT', text: 'only once', ts, thread_ts: rootTs };
    await h.slackEvent(ev, { eventId: 'EvSAME' });
    await h.slackEvent(ev, { eventId: 'EvSAME', retryNum: 1 });
    await h.slackEvent(ev, { eventId: 'EvOTHER', retryNum: 2 }); // same message, another envelope
    await h.waitFor(() => h.twilio.calls.length === 1, 'send');
    await settle();
    expect(h.twilio.calls).toHaveLength(1);
  });

  it('bot messages, our own posts and system subtypes are never bridged (no echo loops)', async () => {
    await h.slackEvent({ bot_id: 'BOTHER', text: 'from a bot', ts: nextTs(), thread_ts: rootTs });
    await h.slackEvent({ user: h.slack.botUserId, bot_id: h.slack.botId, text: 'our echo', ts: nextTs(), thread_ts: rootTs });
    await h.slackEvent({ user: 'UAGENT', subtype: 'bot_message', text: 'bot_message', ts: nextTs(), thread_ts: rootTs });
    await h.slackEvent({ user: 'UAGENT', text: 'tagged', metadata: { event_type: 'sms_bridge_message' }, ts: nextTs(), thread_ts: rootTs });
    await h.slackEvent({ user: 'UAGENT', subtype: 'channel_join', text: 'joined', ts: nextTs(), thread_ts: rootTs });
    await settle();
    expect(h.twilio.calls).toHaveLength(0);
    expect((await h.messages()).filter((m) => m.direction !== 'inbound')).toHaveLength(0);
  });

  it('Twilio accepting a reply without a sid: the reply ends "outcome unknown" and is not resent without force', async () => {
    h.twilio.failNext({ acceptedWithoutId: true });
    const { ts } = reply('Your table is ready');
    await h.waitFor(() => threadTexts().some((t) => /may have been sent/.test(t)), 'the notice');
    expect(h.twilio.calls).toHaveLength(1);
    const msg = (await h.temp.store.messages.getByPlatformMessageId(`slack:${h.slack.teamId}:${CHANNEL}:${ts}`))!;
    expect(msg).toMatchObject({ status: 'failed', errorCode: 'outcome_unknown' });
    expect(await h.temp.store.messages.requeue(msg.id, { actor: 'test' })).toMatchObject({ ok: false, code: 'outcome_unknown' });
    await settle();
    expect(h.twilio.calls).toHaveLength(1);
  });

  it('an internal note starting with // stays in Slack', async () => {
    await reply('// customer sounds upset').res;
    await settle();
    expect(h.twilio.calls).toHaveLength(0);
  });

  it('with internal notes turned off (empty prefix) every reply goes out, // included', async () => {
    await h.temp.store.policy.update({ internalNotePrefix: '' });
    await reply('// this one is sent').res;
    await h.waitFor(() => h.twilio.calls.length === 1, 'the SMS');
    expect(h.twilio.calls[0]?.Body).toBe('// this one is sent');
  });

  it('top-level channel messages and replies in ordinary threads are not sent', async () => {
    await h.slackEvent({ user: 'UAGENT', text: 'lunch?', ts: nextTs() });
    await h.slackEvent({ user: 'UAGENT', text: 'other thread', ts: nextTs(), thread_ts: '1.000001' });
    await settle();
    expect(h.twilio.calls).toHaveLength(0);
  });

  it('every refusal reason is shown in the thread and nothing is sent', async () => {
    await h.temp.store.policy.update({ smsEnabled: false });
    await h.temp.store.optOuts.set(OUR, CONTACT, true, 'STOP');
    const { ts, res } = reply('x'.repeat(1700));
    await res;
    await h.waitFor(() => threadTexts().some((t) => t.includes('Not sent')), 'refusal notice');
    const notice = threadTexts().find((t) => t.includes('Not sent'))!;
    const lines = notice.split('\n').filter((l) => l.startsWith('•'));
    expect(lines).toHaveLength(3); // company off, opted out, too many segments
    expect(reactionsOn(ts)).toContain('no_entry_sign');
    expect(h.twilio.calls).toHaveLength(0);
  });

  it('an opt-out that arrives while a reply waits in the queue wins: the reply is refused with a notice', async () => {
    h.twilio.failNext({ delayMs: 1500 }); // the first reply holds the conversation's lane
    await reply('first').res;
    await h.waitFor(() => h.twilio.calls.length === 1, 'first send under way');
    const { ts, res } = reply('second, queued behind the first');
    await res;
    await h.waitFor(() => reactionsOn(ts).includes('hourglass_flowing_sand'), 'queued');
    await h.inboundSms({ sid: 'SMstop', body: 'STOP' });
    await h.waitFor(() => h.temp.store.optOuts.isOptedOut(OUR, CONTACT), 'opted out');
    await h.waitFor(() => threadTexts().some((t) => t.startsWith(':no_entry_sign: This SMS was not sent')), 'refused notice');
    expect(reactionsOn(ts)).toContain('no_entry_sign');
    expect(h.twilio.calls.map((c) => c.Body)).toEqual(['first']);
  });

  it('a send that fails at the provider shows a threaded notice with the reason', async () => {
    h.twilio.failNext({ twilioCode: 21211, status: 400 });
    const { ts, res } = reply('are you there');
    await res;
    await h.waitFor(() => threadTexts().some((t) => t.includes('This SMS was not sent')), 'failure notice');
    expect(reactionsOn(ts)).toContain('x');
  });

  it('editing or deleting a reply that was sent is not re-sent; a notice says SMS cannot be edited', async () => {
    const { ts, res } = reply('see you at 5');
    await res;
    await h.waitFor(() => h.twilio.calls.length === 1, 'send');
    await h.slackEvent({
      subtype: 'message_changed',
      ts: nextTs(),
      message: { user: 'UAGENT', text: 'see you at 6', ts, thread_ts: rootTs, edited: { user: 'UAGENT', ts: nextTs() } },
      previous_message: { user: 'UAGENT', text: 'see you at 5', ts, thread_ts: rootTs },
    });
    await h.waitFor(() => threadTexts().some((t) => t.includes('SMS cannot be edited')), 'edit notice');
    await h.slackEvent({ subtype: 'message_deleted', ts: nextTs(), deleted_ts: ts, previous_message: { user: 'UAGENT', text: 'see you at 5', ts, thread_ts: rootTs } });
    await h.waitFor(() => threadTexts().some((t) => t.includes('does not unsend')), 'delete notice');
    await settle();
    expect(h.twilio.calls).toHaveLength(1);
  });

  it('a reply with a picture is fetched with the bot token and goes out as MMS with a signed media link', async () => {
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(500, 3)]);
    const file = h.slack.hostFile(jpeg, { name: 'photo.jpg', mimetype: 'image/jpeg' });
    await reply('here it is', { subtype: 'file_share', files: [file] }).res;
    await h.waitFor(() => h.twilio.calls.length === 1, 'MMS send');
    const call = h.twilio.calls[0]!;
    expect(call.Body).toBe('here it is');
    expect(call.MediaUrl).toHaveLength(1);
    const link = new URL(call.MediaUrl[0]!);
    expect(link.origin).toBe('http://bridge.test');
    const served = await fetch(`${h.url}${link.pathname}${link.search}`);
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).equals(jpeg)).toBe(true);
  });

  it('a reply file Slack will not hand over is named in a notice and nothing is sent', async () => {
    const file = h.slack.hostFile(Buffer.alloc(10), { name: 'gone.png', mimetype: 'image/png' });
    h.slack.failNext('download', { kind: 'http', status: 404 });
    await reply('pic', { subtype: 'file_share', files: [file] }).res;
    await h.waitFor(() => threadTexts().some((t) => t.includes('gone.png')), 'file notice');
    expect(h.twilio.calls).toHaveLength(0);
  });

  it('a reply in a channel no longer mapped to the number is refused with a notice', async () => {
    const mapping = (await h.temp.store.mappings.list({ number: OUR }))[0]!;
    await h.temp.store.mappings.remove(mapping.id);
    const { ts, res } = reply('still there?');
    await res;
    await h.waitFor(() => threadTexts().some((t) => t.includes('no longer mapped')), 'notice');
    expect(threadTexts().find((t) => t.includes('no longer mapped'))).toBe(
      ':no_entry_sign: Not sent: this channel is no longer mapped to (415) 555-2671; replies are not sent.',
    );
    expect(reactionsOn(ts)).toContain('no_entry_sign');
    await settle();
    expect(h.twilio.calls).toHaveLength(0);
    expect((await h.messages()).filter((m) => m.direction !== 'inbound')).toHaveLength(0);
  });

  it('a request with a bad signature, or stamped more than 5 minutes from now either way, gets 401 and nothing happens', async () => {
    const bad = await h.slackEvent({ user: 'UAGENT', text: 'forged', ts: nextTs(), thread_ts: rootTs }, { secret: 'wrong-secret' });
    expect(bad.status).toBe(401);
    const stale = await h.slackEvent({ user: 'UAGENT', text: 'old', ts: nextTs(), thread_ts: rootTs }, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(stale.status).toBe(401);
    // Signed correctly but stamped ahead of our clock: replayable until then, so refused the same way.
    const ahead = await h.slackEvent({ user: 'UAGENT', text: 'from the future', ts: nextTs(), thread_ts: rootTs }, { timestamp: Math.floor(Date.now() / 1000) + 6 * 60 });
    expect(ahead.status).toBe(401);
    const unsigned = await fetch(`${h.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(unsigned.status).toBe(401);
    await settle();
    expect(h.twilio.calls).toHaveLength(0);
    expect((await h.messages()).filter((m) => m.direction !== 'inbound')).toHaveLength(0);
    // The same request correctly signed is accepted: the 401s above were the signature's doing.
    const good = await h.slackEvent({ user: 'UAGENT', text: 'genuine', ts: nextTs(), thread_ts: rootTs });
    expect(good.status).toBe(200);
    await h.waitFor(() => h.twilio.calls.length === 1, 'genuine send');
  });
});
