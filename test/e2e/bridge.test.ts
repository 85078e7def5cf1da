// The production wiring (src/wiring.ts through startBridge and defaultModules), proven from the
// outside: one real bridge per describe, configured only through its environment, numbers and
// mappings set up only through the admin API, and every effect observed over HTTP (signed
// provider webhooks, signed Slack events, Teams activities, the fakes' records, the admin API).
// Each test uses its own number and channels, so tests sharing a bridge do not see each other.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { teamsHtmlToPlain } from '../../adapters/chat/teams/format.js';
import { eightByEightInbound, eightByEightStatus } from '../fakes/eightbyeightFake.js';
import { quotedText, shownText } from '../fakes/fakeSlack.js';
import { countKeys, startBridgeHarness, type BridgeHarness } from './bridgeHarness.js';

const CONTACT = '+12125553456';

// One number and one channel per platform for each story.
const BOTH = { number: '+14155552671', slack: 'CBOTH', teams: '19:both@thread.tacv2' };
const SLACK_REPLY = { number: '+14155552672', slack: 'CSREPLY', teams: '19:sreply@thread.tacv2' };
const TEAMS_REPLY = { number: '+14155552673', slack: 'CTREPLY', teams: '19:treply@thread.tacv2' };
const MMS = { number: '+14155552674', slack: 'CMMS', teams: '19:mms@thread.tacv2' };
const EIGHT = { number: '+14155552675', slack: 'C8X8' };
const LOCAL = { number: '+14155552676', slack: 'CLOCAL' };
const STOPPED = { number: '+14155552677', slack: 'CSTOP' };
const UNMAPPED = { number: '+14155552678', slack: 'CUNMAP', teams: '19:unmap@thread.tacv2' };
const MMS_OUT = { number: '+14155552680', slack: 'CMMSOUT' };
const DESK_A = { number: '+14155552681', slack: 'CDESKA' };
const DESK_B = { number: '+14155552682', slack: 'CDESKB' };
const FOREIGN_RECEIPT = { number: '+14155552683', slack: 'CFOREIGN' };

const TEAMS_CHANNELS = [BOTH.teams, SLACK_REPLY.teams, TEAMS_REPLY.teams, MMS.teams, UNMAPPED.teams];

let h: BridgeHarness;

const slackRoot = (channel: string) => h.slack.roots(channel)[0];
/** What each post of the channel's first thread shows. */
const slackThread = (channel: string): string[] => {
  const root = slackRoot(channel);
  return root ? h.slack.thread(channel, root.ts).map(shownText) : [];
};
/** The words each post quotes (a contact's or co-worker's message), null for the bridge's notices. */
const slackSaid = (channel: string): Array<string | null> => {
  const root = slackRoot(channel);
  return root ? h.slack.thread(channel, root.ts).map(quotedText) : [];
};
const teamsRoot = (channel: string) => h.connector.roots(channel)[0];
const teamsThread = (channel: string): string[] => {
  const root = teamsRoot(channel);
  return root ? h.connector.thread(root.id).map((a) => teamsHtmlToPlain(a.activity.text ?? '')) : [];
};
const sentFrom = (number: string) => h.twilio.calls.filter((c) => c.From === number);
const reactionsOn = (channel: string, ts: string) => h.slack.reactions.filter((r) => r.channel === channel && r.timestamp === ts).map((r) => r.name);
const settle = () => new Promise((r) => setTimeout(r, 400));

/** A contact texts the number (signed Twilio webhook) and the message shows in every mapped thread. */
async function openConversation(story: { number: string; slack: string; teams?: string }, sid: string, body: string): Promise<void> {
  const res = await h.twilioInbound({ sid, from: CONTACT, to: story.number, body });
  expect(res.status).toBe(200);
  await h.waitFor(
    // A keyword message (STOP) comes with a notice after its text.
    () =>
      slackSaid(story.slack).includes(body) &&
      (!story.teams || teamsThread(story.teams).some((t) => t.endsWith(body) || t.includes(`${body}\n`))),
    `"${body}" in every mapped thread`,
  );
}

describe('the real bridge (startBridge, default modules): Twilio, 8x8 and local numbers, Slack and Teams', () => {
  beforeAll(async () => {
    h = await startBridgeHarness({ teamsChannels: TEAMS_CHANNELS });
    for (const s of [BOTH, SLACK_REPLY, TEAMS_REPLY, MMS, UNMAPPED]) await h.provision(s.number, 'twilio', { slack: s.slack, teams: s.teams });
    await h.provision(EIGHT.number, '8x8', { slack: EIGHT.slack });
    await h.provision(LOCAL.number, 'local', { slack: LOCAL.slack });
    for (const s of [STOPPED, MMS_OUT, DESK_A, DESK_B, FOREIGN_RECEIPT]) await h.provision(s.number, 'twilio', { slack: s.slack });
  }, 30_000);
  afterAll(async () => {
    await h?.close();
  });

  it('the operator set-up went through the admin API: numbers SMS-capable, every mapping listed; the bridge is ready', async () => {
    // Ready once SQLite and Redis answer (the workers connect to Redis in the background).
    await h.waitFor(async () => (await fetch(`${h.url}/readyz`)).status === 200, '/readyz to answer 200');
    const numbers = await h.admin<{ number: string; smsCapable: boolean }[]>('GET', '/admin/api/numbers');
    expect(numbers.status).toBe(200);
    expect(numbers.body).toHaveLength(12);
    expect(numbers.body.every((n) => n.smsCapable)).toBe(true);
    const mappings = await h.admin<unknown[]>('GET', `/admin/api/mappings?number=${encodeURIComponent(BOTH.number)}`);
    expect(mappings.body).toEqual([
      expect.objectContaining({ number: BOTH.number, platform: 'slack', channel: BOTH.slack }),
      expect.objectContaining({ number: BOTH.number, platform: 'teams', channel: BOTH.teams }),
    ]);
  });

  it('a signed Twilio SMS is stored and opens a new thread in Slack and in Teams; the next SMS lands in the same threads', async () => {
    const first = await h.twilioInbound({ sid: 'SMboth1', from: CONTACT, to: BOTH.number, body: 'Hi, do you deliver?' });
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('<Response');
    await h.waitFor(() => slackThread(BOTH.slack).length === 1 && teamsThread(BOTH.teams).length === 1, 'the first SMS on both platforms');
    expect((await h.twilioInbound({ sid: 'SMboth2', from: CONTACT, to: BOTH.number, body: 'To Brooklyn?' })).status).toBe(200);
    await h.waitFor(() => slackThread(BOTH.slack).length === 2 && teamsThread(BOTH.teams).length === 2, 'the second SMS on both platforms');

    expect(h.slack.roots(BOTH.slack)).toHaveLength(1);
    expect(h.connector.roots(BOTH.teams)).toHaveLength(1);
    expect(slackThread(BOTH.slack)).toEqual(['(212) 555-3456 texted:\n> Hi, do you deliver?', '(212) 555-3456 texted:\n> To Brooklyn?']);
    expect(teamsThread(BOTH.teams)).toEqual(['(212) 555-3456: Hi, do you deliver?', '(212) 555-3456: To Brooklyn?']);

    const conversation = await h.conversation(BOTH.number, CONTACT);
    expect(conversation?.messages.map((m) => [m.direction, m.body, m.status])).toEqual([
      ['inbound', 'Hi, do you deliver?', 'received'],
      ['inbound', 'To Brooklyn?', 'received'],
    ]);
    expect(conversation?.threads.map((t) => [t.platform, t.channel, t.threadId]).sort()).toEqual(
      [
        ['slack', BOTH.slack, slackRoot(BOTH.slack)!.ts],
        ['teams', BOTH.teams, teamsRoot(BOTH.teams)!.id],
      ].sort(),
    );
  });

  it('a webhook with a forged Twilio signature gets 403 or 401 and stores nothing', async () => {
    const res = await fetch(`${h.url}/webhooks/twilio/sms`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'AAAA' },
      body: new URLSearchParams({ MessageSid: 'SMforged', From: '+13105550123', To: BOTH.number, Body: 'forged', AccountSid: h.twilio.accountSid }).toString(),
    });
    expect([401, 403]).toContain(res.status);
    expect(await h.conversation(BOTH.number, '+13105550123')).toBeNull();
  });

  it('a Slack thread reply goes out through Twilio from the conversation number, is mirrored to Teams, and shows delivered', async () => {
    await openConversation(SLACK_REPLY, 'SMsr1', 'Price for 2?');
    const rootTs = slackRoot(SLACK_REPLY.slack)!.ts;

    const { ts, res } = await h.slackReply(SLACK_REPLY.slack, rootTs, '$20 for two');
    expect(res.status).toBe(200);
    await h.waitFor(() => sentFrom(SLACK_REPLY.number).length === 1, 'the SMS at Twilio');
    const call = sentFrom(SLACK_REPLY.number)[0]!;
    expect(call).toMatchObject({ From: SLACK_REPLY.number, To: CONTACT, Body: '$20 for two' });
    // Status callbacks come back to the bridge's own public URL, with our send key.
    expect(call.StatusCallback).toMatch(new RegExp(`^${h.url}/webhooks/twilio/status\\?send=[0-9a-f-]{36}$`));

    await h.waitFor(() => teamsThread(SLACK_REPLY.teams).length === 2, 'the Slack reply mirrored into Teams');
    expect(teamsThread(SLACK_REPLY.teams)[1]).toMatch(/via Slack → SMS: \$20 for two/);

    expect((await h.twilioStatus({ sid: call.sid!, status: 'delivered', from: SLACK_REPLY.number, to: CONTACT })).ok).toBe(true);
    await h.waitFor(() => reactionsOn(SLACK_REPLY.slack, ts).includes('white_check_mark'), 'the delivered mark on the Slack reply');
    const conversation = await h.conversation(SLACK_REPLY.number, CONTACT);
    expect(conversation?.messages.find((m) => m.direction === 'outbound')).toMatchObject({
      body: '$20 for two',
      status: 'delivered',
      author: expect.objectContaining({ platform: 'slack', userId: 'UAGENT' }),
    });
  });

  it('a Teams thread reply goes out through Twilio and is mirrored into the Slack thread', async () => {
    await openConversation(TEAMS_REPLY, 'SMtr1', 'Are you open today?');
    const res = await h.teamsReply(TEAMS_REPLY.teams, teamsRoot(TEAMS_REPLY.teams)!.id, 'Yes, until 6 pm');
    expect(res.status).toBe(200);
    await h.waitFor(() => sentFrom(TEAMS_REPLY.number).length === 1, 'the SMS at Twilio');
    expect(sentFrom(TEAMS_REPLY.number)[0]).toMatchObject({ To: CONTACT, Body: 'Yes, until 6 pm' });
    await h.waitFor(() => slackThread(TEAMS_REPLY.slack).length === 2, 'the Teams reply mirrored into Slack');
    expect(slackThread(TEAMS_REPLY.slack)[1]).toContain('Yes, until 6 pm');
    expect(slackThread(TEAMS_REPLY.slack)[1]).toContain('(Teams)');
  });

  it('an 8x8 number: inbound with the right Authorization lands in Slack; the reply goes to 8x8 with our message id as clientMessageId', async () => {
    const inbound = eightByEightInbound({ umid: 'umid-in-1', from: CONTACT, to: EIGHT.number, body: 'Hello from 8x8', subAccountId: h.eightx8.subaccountId });
    expect((await h.eightx8Webhook(inbound, 'Basic wrong')).status).toBe(401);
    expect(await h.conversation(EIGHT.number, CONTACT)).toBeNull();

    expect((await h.eightx8Webhook(inbound)).status).toBe(200);
    await h.waitFor(() => slackSaid(EIGHT.slack).includes('Hello from 8x8'), 'the 8x8 message in Slack');

    const { ts } = await h.slackReply(EIGHT.slack, slackRoot(EIGHT.slack)!.ts, 'Hello back');
    await h.waitFor(() => h.eightx8.calls.length === 1, 'the send at 8x8');
    const sent = (await h.conversation(EIGHT.number, CONTACT))!.messages.find((m) => m.direction === 'outbound')!;
    expect(h.eightx8.calls[0]!.body).toMatchObject({
      source: EIGHT.number,
      destination: CONTACT,
      text: 'Hello back',
      clientMessageId: sent.id,
      dlrCallbackUrl: `${h.url}/webhooks/8x8`,
    });
    expect(h.twilio.calls.filter((c) => c.From === EIGHT.number)).toHaveLength(0);

    // 8x8's delivery receipt comes back to the same webhook and shows on the Slack reply.
    const receipt = eightByEightStatus({ umid: h.eightx8.calls[0]!.umid!, clientMessageId: sent.id, state: 'delivered' });
    expect((await h.eightx8Webhook(receipt)).status).toBe(200);
    await h.waitFor(() => reactionsOn(EIGHT.slack, ts).includes('white_check_mark'), 'the delivered mark');
  });

  it('an 8x8 receipt naming a message Twilio sent is ignored: the status stays, nothing shows in Slack, it is counted', async () => {
    await openConversation(FOREIGN_RECEIPT, 'SMfr1', 'Is my order ready?');
    const { ts } = await h.slackReply(FOREIGN_RECEIPT.slack, slackRoot(FOREIGN_RECEIPT.slack)!.ts, 'Yes, come by');
    await h.waitFor(() => sentFrom(FOREIGN_RECEIPT.number).length === 1, 'the SMS at Twilio');
    const outbound = async () => (await h.conversation(FOREIGN_RECEIPT.number, CONTACT))!.messages.find((m) => m.direction === 'outbound')!;
    await h.waitFor(async () => (await outbound()).status === 'sent', 'the reply marked sent');
    await settle();
    const slackBefore = { thread: slackThread(FOREIGN_RECEIPT.slack), reactions: reactionsOn(FOREIGN_RECEIPT.slack, ts), calls: h.slack.calls.length };

    // Someone able to post 8x8 webhooks names the Twilio message by our id (8x8's clientMessageId).
    const sent = await outbound();
    const receipt = eightByEightStatus({ umid: 'umid-foreign-1', clientMessageId: sent.id, state: 'failed', errorCode: 1007, errorMessage: 'opted out' });
    expect((await h.eightx8Webhook(receipt)).status).toBe(200);
    await settle();

    expect(await outbound()).toMatchObject({ id: sent.id, status: 'sent' });
    expect(slackThread(FOREIGN_RECEIPT.slack)).toEqual(slackBefore.thread);
    expect(reactionsOn(FOREIGN_RECEIPT.slack, ts)).toEqual(slackBefore.reactions);
    expect(h.slack.calls.length).toBe(slackBefore.calls);
    // No opt-out was recorded: the next reply goes out.
    await h.slackReply(FOREIGN_RECEIPT.slack, slackRoot(FOREIGN_RECEIPT.slack)!.ts, 'See you soon');
    await h.waitFor(() => sentFrom(FOREIGN_RECEIPT.number).length === 2, 'the next SMS at Twilio');
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/^smsb_webhooks_total\{source="8x8",outcome="other_provider"\} 1$/m);
  });

  it('a picture attached to a Slack reply goes out as MMS, through a signed link under PUBLIC_URL that serves its bytes', async () => {
    await openConversation(MMS_OUT, 'SMmo1', 'send me the map?');
    const jpeg = Buffer.concat([Buffer.from('ffd8ffe0', 'hex'), Buffer.alloc(64, 7)]);
    const file = h.slack.hostFile(jpeg, { name: 'map.jpg', mimetype: 'image/jpeg' });
    await h.slackReply(MMS_OUT.slack, slackRoot(MMS_OUT.slack)!.ts, 'here you go', { subtype: 'file_share', files: [file] });
    await h.waitFor(() => sentFrom(MMS_OUT.number).length === 1, 'the MMS at Twilio');
    const call = sentFrom(MMS_OUT.number)[0]!;
    expect(call).toMatchObject({ To: CONTACT, Body: 'here you go' });
    expect(call.MediaUrl).toHaveLength(1);
    const link = new URL(call.MediaUrl[0]!);
    expect(link.origin).toBe(h.url);
    const served = await fetch(link);
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).equals(jpeg)).toBe(true);
  });

  it('a co-worker message (/sms to another bridge number) lands in that number\'s thread and never reaches the provider', async () => {
    const { res } = await h.slashCommand(DESK_A.slack, `${DESK_B.number} meeting moved to 3pm`);
    expect(res.status).toBe(200);
    await h.waitFor(() => slackThread(DESK_B.slack).some((t) => t.includes('meeting moved to 3pm')), 'the message in the other desk\'s thread');
    await h.waitFor(() => slackThread(DESK_A.slack).some((t) => t.includes('meeting moved to 3pm')), 'the message in the sender\'s thread');
    await settle();
    expect(sentFrom(DESK_A.number)).toHaveLength(0);
    const theirs = await h.conversation(DESK_B.number, DESK_A.number);
    expect(theirs?.messages.map((m) => [m.direction, m.body])).toEqual([['internal', 'meeting moved to 3pm']]);
  });

  it('an inbound MMS: the picture is uploaded into the Slack thread, and Teams gets a signed /media link the bridge serves', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    const mediaUrl = h.twilio.addMedia({ contentType: 'image/png', body: png });
    const res = await h.twilioInbound({ sid: 'SMmms1', from: CONTACT, to: MMS.number, body: 'my receipt', media: [{ url: mediaUrl, contentType: 'image/png' }] });
    expect(res.status).toBe(200);

    await h.waitFor(() => [...h.slack.files.values()].some((f) => f.channel === MMS.slack && f.shared), 'the picture in Slack');
    const file = [...h.slack.files.values()].find((f) => f.channel === MMS.slack)!;
    expect(file.bytes?.equals(png)).toBe(true);
    expect(file.thread_ts).toBe(slackRoot(MMS.slack)!.ts);

    await h.waitFor(() => teamsThread(MMS.teams).length === 1, 'the MMS in Teams');
    const image = h.connector.thread(teamsRoot(MMS.teams)!.id)[0]!.activity.attachments?.[0];
    expect(image).toMatchObject({ contentType: 'image/png' });
    const link = new URL(image!.contentUrl!);
    expect(link.origin).toBe(h.url); // PUBLIC_URL
    expect(link.pathname).toMatch(/^\/media\/[^/]+$/);
    const served = await fetch(link);
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).equals(png)).toBe(true);
    link.searchParams.set('sig', 'AAAA');
    expect((await fetch(link)).status).toBe(403);
  });

  it('the local dev provider inject route works only with the admin token, and the message reaches the mapped thread', async () => {
    const payload = { from: CONTACT, to: LOCAL.number, body: 'typed on the dev phone' };
    const without = await h.admin('POST', '/admin/api/dev/inbound', payload, { token: null });
    expect(without.status).toBe(401);
    const wrong = await h.admin('POST', '/admin/api/dev/inbound', payload, { token: 'not-the-token' });
    expect(wrong.status).toBe(401);
    expect(await h.conversation(LOCAL.number, CONTACT)).toBeNull();

    const ok = await h.admin<{ routed: boolean; duplicate: boolean }>('POST', '/admin/api/dev/inbound', payload);
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ routed: true, duplicate: false });
    await h.waitFor(() => slackSaid(LOCAL.slack).includes('typed on the dev phone'), 'the dev message in Slack');
  });

  it('failed jobs and the Teams channels the bot knows are listed behind the admin token (401 without)', async () => {
    for (const path of ['/admin/api/jobs/failed', '/admin/api/teams/channels']) {
      expect((await h.admin('GET', path, undefined, { token: null })).status).toBe(401);
      expect((await h.admin('GET', path, undefined, { token: 'nope' })).status).toBe(401);
    }
    const jobs = await h.admin<{ jobs: unknown[] }>('GET', '/admin/api/jobs/failed');
    expect(jobs.status).toBe(200);
    expect(jobs.body).toEqual({ jobs: expect.any(Array) });
    const channels = await h.admin<{ channel: string }[]>('GET', '/admin/api/teams/channels');
    expect(channels.status).toBe(200);
    expect(channels.body.map((c) => c.channel)).toEqual(expect.arrayContaining(TEAMS_CHANNELS));
  });

  it('a contact who texted STOP is not texted: a Slack reply gets a threaded refusal notice and nothing is sent', async () => {
    await openConversation(STOPPED, 'SMst1', 'hello');
    await openConversation(STOPPED, 'SMst2', 'STOP');
    const { ts, res } = await h.slackReply(STOPPED.slack, slackRoot(STOPPED.slack)!.ts, 'Sorry to see you go');
    expect(res.status).toBe(200);
    // The STOP message itself carries a notice that replies are refused from now on.
    expect(slackThread(STOPPED.slack).find((t) => t.includes('\n> STOP\n'))).toMatch(/opted out of texts from this number/);
    const refusal = (t: string) => t.startsWith(':no_entry_sign: Not sent');
    await h.waitFor(() => slackThread(STOPPED.slack).some(refusal), 'the refusal notice');
    expect(slackThread(STOPPED.slack).find(refusal)).toMatch(/opted out/);
    expect(reactionsOn(STOPPED.slack, ts)).toContain('no_entry_sign');
    await settle();
    expect(sentFrom(STOPPED.number)).toHaveLength(0);
    expect((await h.conversation(STOPPED.number, CONTACT))!.messages.filter((m) => m.direction === 'outbound')).toHaveLength(0);
  });

  it('after the operator removes a mapping, a reply in the old Teams thread is not sent and a notice says why', async () => {
    await openConversation(UNMAPPED, 'SMum1', 'anyone there?');
    const mappings = await h.admin<{ id: string; platform: string }[]>('GET', `/admin/api/mappings?number=${encodeURIComponent(UNMAPPED.number)}`);
    const teams = mappings.body.find((m) => m.platform === 'teams')!;
    expect((await h.admin('DELETE', `/admin/api/mappings/${teams.id}`)).status).toBe(204);

    expect((await h.teamsReply(UNMAPPED.teams, teamsRoot(UNMAPPED.teams)!.id, 'yes, here')).status).toBe(200);
    await h.waitFor(() => teamsThread(UNMAPPED.teams).some((t) => t.includes('no longer mapped')), 'the notice');
    expect(teamsThread(UNMAPPED.teams).at(-1)).toBe('⛔ Not sent: this channel is no longer mapped to (415) 555-2678; replies are not sent.');
    // The Slack mapping still stands: a reply there goes out.
    await h.slackReply(UNMAPPED.slack, slackRoot(UNMAPPED.slack)!.ts, 'from Slack');
    await h.waitFor(() => sentFrom(UNMAPPED.number).length === 1, 'the Slack reply at Twilio');
    await settle();
    expect(sentFrom(UNMAPPED.number).map((c) => c.Body)).toEqual(['from Slack']);
  });

  it('/metrics shows what the stories above did: sends timed, outbound statuses counted, deliveries timed, queue sizes', async () => {
    const text = await (await fetch(`${h.url}/metrics`)).text();
    const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
    expect(value(/^smsb_send_latency_seconds_count\{provider="twilio"\} (\d+)$/m)).toBeGreaterThan(0);
    expect(value(/^smsb_messages_total\{direction="outbound",status="sent"\} (\d+)$/m)).toBeGreaterThan(0);
    expect(value(/^smsb_messages_total\{direction="outbound",status="delivered"\} (\d+)$/m)).toBeGreaterThan(0);
    expect(value(/^smsb_delivery_latency_seconds_count\{direction="outbound"\} (\d+)$/m)).toBeGreaterThan(0);
    expect(value(/^smsb_delivery_latency_seconds_count\{direction="inbound"\} (\d+)$/m)).toBeGreaterThan(0);
    // Pending work, from the outbox: the stories above left nothing waiting.
    expect(text).toMatch(/^smsb_outbox_oldest_ready_seconds\{lane="send"\} 0$/m);
    expect(text).toMatch(/^smsb_outbox_oldest_ready_seconds\{lane="deliver"\} 0$/m);
  });
});

describe('starting and stopping the real bridge', () => {
  it('Slack not answering at start-up does not keep the bridge down: SMS is taken and reaches Slack once it answers', async () => {
    const s = await startBridgeHarness({ beforeStart: ({ slack }) => slack.failNext('auth.test', { kind: 'http', status: 503 }, 2) });
    try {
      expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
      await s.provision('+14155552683', 'twilio', { slack: 'CBOOT' });
      expect((await s.twilioInbound({ sid: 'SMboot', from: CONTACT, to: '+14155552683', body: 'anyone awake?' })).status).toBe(200);
      await s.waitFor(() => s.slack.roots('CBOOT').length === 1 && s.slack.thread('CBOOT', s.slack.roots('CBOOT')[0]!.ts).length === 1, 'the SMS in Slack');
      // Slack events are taken too, now that Slack answers: a reply goes out.
      await s.slackReply('CBOOT', s.slack.roots('CBOOT')[0]!.ts, 'we are');
      await s.waitFor(() => s.twilio.calls.some((c) => c.From === '+14155552683' && c.Body === 'we are'), 'the reply at Twilio');
      // Posted once: a Slack hiccup after the post must not make the delivery post it again.
      const root = s.slack.roots('CBOOT')[0]!;
      expect(s.slack.thread('CBOOT', root.ts).filter((m) => quotedText(m) === 'anyone awake?')).toHaveLength(1);
    } finally {
      await s.close();
    }
  });


  it('after a restart on the same DATA_DIR: the next SMS continues the same threads, old picture links still work, replies still go out', async () => {
    const teams = '19:restart@thread.tacv2';
    const number = '+14155552684';
    const s = await startBridgeHarness({ teamsChannels: [teams] });
    try {
      await s.provision(number, 'twilio', { slack: 'CRESTART', teams });
      const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
      const media = [{ url: s.twilio.addMedia({ contentType: 'image/png', body: png }), contentType: 'image/png' }];
      await s.twilioInbound({ sid: 'SMre1', from: CONTACT, to: number, body: 'before', media });
      await s.waitFor(() => s.connector.activities.some((a) => a.activity.attachments?.length), 'the picture in Teams');
      const link = s.connector.activities.find((a) => a.activity.attachments?.length)!.activity.attachments![0]!.contentUrl!;

      await s.restart();

      const served = await fetch(link);
      expect(served.status).toBe(200);
      expect(Buffer.from(await served.arrayBuffer()).equals(png)).toBe(true);
      await s.twilioInbound({ sid: 'SMre2', from: CONTACT, to: number, body: 'after' });
      const root = s.slack.roots('CRESTART')[0]!;
      await s.waitFor(() => s.slack.thread('CRESTART', root.ts).some((m) => quotedText(m) === 'after'), 'the second SMS in the Slack thread');
      expect(s.slack.roots('CRESTART')).toHaveLength(1);
      await s.waitFor(() => s.connector.roots(teams).length === 1 && s.connector.thread(s.connector.roots(teams)[0]!.id).length === 2, 'the second SMS in the Teams thread');
      expect(s.connector.roots(teams)).toHaveLength(1);
      await s.slackReply('CRESTART', root.ts, 'still here');
      await s.waitFor(() => s.twilio.calls.some((c) => c.From === number && c.Body === 'still here'), 'the reply at Twilio');
    } finally {
      await s.close();
    }
  });

  it('stop() lets an in-flight delivery finish, resolves cleanly (twice), and closes the port', async () => {
    const rejections: unknown[] = [];
    const onRejection = (err: unknown) => void rejections.push(err);
    process.on('unhandledRejection', onRejection);
    const s = await startBridgeHarness();
    try {
      await s.provision('+14155552679', 'twilio', { slack: 'CSTOPPING' });
      // Slack answers slowly, so the delivery job is still posting when stop() is called.
      s.slack.failNext('chat.postMessage', { kind: 'slow', delayMs: 700 });
      expect((await s.twilioInbound({ sid: 'SMbye', from: CONTACT, to: '+14155552679', body: 'last words' })).status).toBe(200);
      await s.waitFor(() => s.slack.callsTo('chat.postMessage').length > 0, 'the delivery to start posting');

      await expect(s.bridge.stop()).resolves.toBeUndefined();
      await expect(s.bridge.stop()).resolves.toBeUndefined();
      // The job that was running finished its work before stop() resolved: nothing half-done.
      const root = s.slack.roots('CSTOPPING')[0];
      expect(root).toBeDefined();
      expect(s.slack.thread('CSTOPPING', root!.ts).map(quotedText)).toEqual(['last words']);
      await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
      await new Promise((r) => setTimeout(r, 100));
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
      await s.close();
    }
    expect(await countKeys(s.prefix)).toBe(0);
  });
});
