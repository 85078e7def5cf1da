// Rule 7: while SMS is off (company-wide or for one user), sending is refused with the reason and
// inbound messages are still stored and shown, never lost; with rule 2's "received from any
// number in the world" through the same real path. Whole bridge (real express app with the Twilio
// webhook, Bolt, BullMQ on Redis, SQLite file), fake Slack and fake Twilio over HTTP.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHANNEL, createSlackHarness, firstThreadTexts, type SlackHarness } from '../chat/slack/harness.js';

let h: SlackHarness;
beforeEach(async () => {
  h = await createSlackHarness();
  await h.setupNumber();
});
afterEach(async () => {
  await h.close();
});

const thread = (): string[] => firstThreadTexts(h.slack);

describe('rule 7: SMS turned off', () => {
  it('company-wide: inbound messages (from anywhere in the world) are stored and shown; a reply is refused with the reason', async () => {
    await h.temp.store.policy.update({ smsEnabled: false });
    expect((await h.inboundSms({ sid: 'SMuk', body: 'Hello from London', from: '+442079460958' })).status).toBe(200);
    await h.waitFor(() => thread().length === 1, 'the inbound message in Slack');
    expect(thread()).toEqual(['+44 20 7946 0958 texted:\n> Hello from London']);
    expect((await h.messages()).map((m) => [m.direction, m.status, m.body])).toEqual([['inbound', 'received', 'Hello from London']]);

    const root = h.slack.roots(CHANNEL)[0]!;
    const ts = `${Math.floor(Date.now() / 1000)}.900001`; // clear of the fake Slack's ts sequence
    await h.slackEvent({ user: 'UAGENT', text: 'Hi!', ts, thread_ts: root.ts });
    await h.waitFor(() => thread().some((t) => t.includes('turned off')), 'the refusal notice');
    expect(thread().find((t) => t.includes('turned off'))).toMatch(/SMS is turned off for the whole company/);
    await new Promise((r) => setTimeout(r, 200));
    expect(h.twilio.calls).toEqual([]);
  });

  it('for one user: that user is refused, a colleague in the same thread is not, and inbound still arrives', async () => {
    await h.temp.store.users.upsert('slack', 'UAGENT', { smsEnabled: false });
    await h.inboundSms({ sid: 'SM1', body: 'Anyone there?' });
    await h.waitFor(() => thread().length === 1, 'the inbound message');
    const root = h.slack.roots(CHANNEL)[0]!;
    const now = Math.floor(Date.now() / 1000);
    await h.slackEvent({ user: 'UAGENT', text: 'from the muted agent', ts: `${now}.900001`, thread_ts: root.ts });
    await h.waitFor(() => thread().some((t) => t.includes('turned off for your account')), 'the refusal notice');
    await h.slackEvent({ user: 'UADMIN', text: 'from a colleague', ts: `${now}.900002`, thread_ts: root.ts });
    await h.waitFor(() => h.twilio.calls.length === 1, 'the colleague reply');
    await h.inboundSms({ sid: 'SM2', body: 'Thanks' });
    await h.waitFor(() => thread().some((t) => t.endsWith('\n> Thanks')), 'the next inbound message');
    expect(h.twilio.calls.map((c) => c.Body)).toEqual(['from a colleague']);
  });
});
