// Signed `/sms` slash commands through the real server: ack, ephemeral answers on response_url,
// sends through the queue to the fake provider, the contact's thread in the channel.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { shownText } from '../../fakes/fakeSlack.js';
import { CHANNEL, CONTACT, OUR, createSlackHarness, firstThreadTexts, responsesTo, type SlackHarness } from './harness.js';

let h: SlackHarness;
beforeEach(async () => {
  h = await createSlackHarness();
});
afterEach(async () => {
  await h.close();
});

async function command(text: string, opts: { user?: string; channel?: string } = {}): Promise<string> {
  const { res, responseUrl } = await h.slashCommand(text, opts);
  expect(res.status).toBe(200);
  await h.waitFor(() => responsesTo(h.slack, responseUrl).length > 0, `answer to /sms ${text}`);
  const answers = responsesTo(h.slack, responseUrl);
  expect(h.slack.responses.find((r) => r.id === responseUrl.split('/').pop())?.body.response_type).toBe('ephemeral');
  return answers.join('\n');
}

describe('/sms slash command', () => {
  it('sends from the channel\'s number, acks at once, and shows the text in the contact\'s thread attributed to the user', async () => {
    await h.setupNumber();
    // Slack answers users.info slowly: the command must be acked before that work is done.
    h.slack.failNext('users.info', { kind: 'slow', delayMs: 800 });
    const { res, responseUrl } = await h.slashCommand('+1 212 555 3456 Your order is ready');
    expect(res.status).toBe(200);
    expect(responsesTo(h.slack, responseUrl)).toEqual([]); // acked first, answered later
    expect(h.twilio.calls).toEqual([]);
    await h.waitFor(() => responsesTo(h.slack, responseUrl).length === 1, 'answer');
    await h.waitFor(() => h.twilio.calls.length === 1, 'send');
    expect(h.twilio.calls[0]).toMatchObject({ From: OUR, To: CONTACT, Body: 'Your order is ready' });
    await h.waitFor(() => h.slack.messages.length === 2, 'thread root + message');
    const root = h.slack.roots(CHANNEL)[0]!;
    expect(root.text).toContain('(212) 555-3456');
    const post = h.slack.thread(CHANNEL, root.ts)[0]!;
    expect(shownText(post)).toBe('agent (Slack) sent SMS:\n> Your order is ready'); // Slack display name

    // The contact answers: same thread.
    await h.inboundSms({ sid: 'SMr', body: 'thanks!' });
    await h.waitFor(() => h.slack.messages.length === 3, 'reply in thread');
    expect(h.slack.roots(CHANNEL)).toHaveLength(1);
    expect(h.slack.thread(CHANNEL, root.ts).map(shownText)).toEqual([shownText(post), '(212) 555-3456 texted:\n> thanks!']);
  });

  it('the number may be written in any common format', async () => {
    await h.setupNumber();
    expect(await command('(212) 555-3456 hello')).toMatch(/queued/);
    await h.waitFor(() => h.twilio.calls.length === 1, 'send');
    expect(h.twilio.calls[0]?.To).toBe(CONTACT);
  });

  it('refusals come back ephemeral with every reason, and nothing is sent', async () => {
    await h.setupNumber();
    await h.temp.store.optOuts.set(OUR, CONTACT, true, 'STOP');
    await h.temp.store.users.upsert('slack', 'UAGENT', { smsEnabled: false });
    const answer = await command(`${CONTACT} ${'€'.repeat(900)}`);
    expect(answer).toMatch(/Not sent/);
    expect(answer.split('\n').filter((l) => l.startsWith('•'))).toHaveLength(3); // user off, opted out, segments
    expect(await command('+1 800 555 2671 hi')).toMatch(/toll-free/i);
    expect(await command('+14155552222,+12125553456 hi')).toMatch(/one number at a time/);
    // However the numbers are separated: the first contact must not get the second's number.
    expect(await command('+14155552222, +12125553456 hi')).toMatch(/one number at a time/);
    expect(await command('(415) 555-2222 (212) 555-3456 hi')).toMatch(/one number at a time/);
    expect(await command('+44 20 7946 0958 hi')).toMatch(/US|Canad/);
    expect(await command('hello there')).toMatch(/not a phone number/);
    expect(h.twilio.calls).toHaveLength(0);
  });

  it('the confirmation names the number the SMS was sent from', async () => {
    await h.setupNumber();
    expect(await command(`${CONTACT} hello`)).toMatch(/queued.*Sent from \(415\) 555-2671\.$/);
  });

  it('in a channel mapped to several numbers, /sms uses the first mapped number and says so', async () => {
    await h.setupNumber(); // (415) 555-2671, mapped first
    await h.setupNumber({ number: '+16175550142' });
    const answer = await command(`${CONTACT} hello`);
    expect(answer).toContain('Sent from (415) 555-2671, the first of 2 numbers mapped here.');
    await h.waitFor(() => h.twilio.calls.length === 1, 'send');
    expect(h.twilio.calls[0]).toMatchObject({ From: OUR, To: CONTACT });
    await h.temp.store.optOuts.set(OUR, CONTACT, true, 'STOP');
    const refused = await command(`${CONTACT} again`);
    expect(refused).toMatch(/Not sent/);
    expect(refused).toContain('Tried from (415) 555-2671, the first of 2 numbers mapped here.');
  });

  it('a channel with no mapped number has nothing to send from', async () => {
    expect(await command(`${CONTACT} hi`)).toMatch(/not mapped to a bridge number/);
  });

  it('help and new thread roots name the internal-note prefix the admin set, not the default', async () => {
    await h.setupNumber();
    await h.temp.store.policy.update({ internalNotePrefix: '#note' });
    expect(await command('help')).toContain('start with `#note` for an internal note');
    await h.inboundSms({ sid: 'SM1', body: 'hello' });
    await h.waitFor(() => h.slack.messages.length === 2, 'delivered');
    expect(h.slack.roots(CHANNEL)[0]?.text).toContain('start a reply with `#note` for an internal note');
    expect(h.slack.roots(CHANNEL)[0]?.text).not.toContain('`//`');
  });

  it('help and history answer ephemeral', async () => {
    await h.setupNumber();
    expect(await command('help')).toMatch(/\/sms history/);
    await h.inboundSms({ sid: 'SM1', body: 'first <b>' });
    await h.waitFor(() => h.slack.messages.length === 2, 'delivered');
    const history = await command('history (212) 555-3456');
    expect(history).toContain('first &lt;b&gt;');
    expect(history).toMatch(/all 1 message\)/);
  });

  it('history shows the latest 15 messages, read with a bounded query however long the conversation is', async () => {
    await h.setupNumber();
    const { store } = h.temp;
    const c = (await store.conversations.getOrCreate(OUR, CONTACT)).conversation;
    await store.transaction(async () => {
      for (let i = 0; i < 40; i++) {
        await store.messages.insert({
          conversationId: c.id, direction: 'inbound', body: `note ${i}.`, status: 'received', provider: 'twilio',
          providerMessageId: `SMh${i}`, encoding: 'GSM-7', segments: 1,
          createdAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
        });
      }
    });
    const reads: (number | undefined)[] = [];
    const list = store.messages.listForConversation.bind(store.messages);
    store.messages.listForConversation = (id, opts) => {
      reads.push(opts?.limit);
      return list(id, opts);
    };
    const history = await command('history (212) 555-3456');
    expect(history).toMatch(/last 15; older messages are in the admin history/);
    const shown = [...history.matchAll(/note (\d+)\./g)].map((m) => Number(m[1]));
    expect(shown).toEqual(Array.from({ length: 15 }, (_, i) => 25 + i));
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((limit) => limit !== undefined && limit <= 16)).toBe(true);
  });

  it('admin-only commands are refused to everyone else', async () => {
    await h.temp.store.numbers.create({ e164: OUR, provider: 'twilio', type: 'local', status: 'active', country: 'US' });
    for (const c of ['map +14155552671', 'unmap +14155552671', 'numbers']) {
      expect(await command(c, { user: 'UAGENT' })).toMatch(/Only Slack workspace admins/);
    }
    expect(await h.temp.store.mappings.list()).toHaveLength(0);
  });

  it('workspace admins and bridge admins map, list and unmap numbers, with an audit trail', async () => {
    await h.temp.store.numbers.create({ e164: OUR, provider: 'twilio', type: 'local', status: 'active', country: 'US' });
    expect(await command('map (415) 555-2671', { user: 'UADMIN' })).toMatch(/now shown in this channel/);
    expect(await h.temp.store.mappings.list()).toEqual([expect.objectContaining({ number: OUR, platform: 'slack', channel: CHANNEL })]);
    expect(await command('numbers', { user: 'UADMIN' })).toContain(`<#${CHANNEL}>`);

    await h.temp.store.users.upsert('slack', 'UAGENT', { admin: true }); // marked admin in the admin API
    expect(await command('unmap +14155552671', { user: 'UAGENT' })).toMatch(/no longer shown/);
    expect(await h.temp.store.mappings.list()).toHaveLength(0);
    expect((await h.temp.store.audit.list()).map((a) => a.action)).toEqual(expect.arrayContaining(['mapping.create', 'mapping.delete']));
  });

  it('texts that reached the number before it was mapped are posted in the channel /sms map maps it to, oldest first', async () => {
    await h.temp.store.numbers.create({ e164: OUR, provider: 'twilio', type: 'local', status: 'active', country: 'US' });
    await h.inboundSms({ sid: 'SMearly1', body: 'Hello, anyone?' });
    await h.inboundSms({ sid: 'SMearly2', body: 'Still waiting' });
    // Slack is on: an unmapped number shows nowhere (not even in the web inbox), it is listed.
    await h.waitFor(async () => (await h.temp.store.messages.listUnrouted()).length === 2, 'both texts listed as unrouted');
    await h.waitFor(async () => (await h.temp.store.outbox.stats()).every((x) => x.lane !== 'deliver' || x.count === 0), 'their deliveries done');
    expect(h.slack.roots(CHANNEL)).toEqual([]);
    expect(await command('map (415) 555-2671', { user: 'UADMIN' })).toMatch(/now shown in this channel/);
    await h.waitFor(() => firstThreadTexts(h.slack).length === 2, 'the earlier texts in the new channel');
    expect(firstThreadTexts(h.slack)).toEqual([expect.stringContaining('Hello, anyone?'), expect.stringContaining('Still waiting')]);
    expect(await h.temp.store.messages.listUnrouted()).toEqual([]);
  });

  it('mapping a number that is not provisioned is refused with the reason', async () => {
    expect(await command('map +14155559876', { user: 'UADMIN' })).toMatch(/not provisioned/);
  });
});
