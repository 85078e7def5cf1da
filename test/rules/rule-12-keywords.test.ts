// Rule 12 as the people in the thread see it: a contact who texts STOP is opted out (their message
// is shown, with a notice that replies are now refused, and a reply is refused with the reason);
// START lifts it (notice, and replies go out again); HELP/INFO are recognised and named; a keyword
// inside a sentence is conversation, not a keyword. Whole bridge: real express app with the Twilio
// webhook, Bolt, BullMQ on Redis, SQLite file; fake Slack and fake Twilio over HTTP.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHANNEL, CONTACT, OUR, createSlackHarness, firstThreadTexts, type SlackHarness } from '../chat/slack/harness.js';

let h: SlackHarness;
beforeEach(async () => {
  h = await createSlackHarness();
  await h.setupNumber();
});
afterEach(async () => {
  await h.close();
});

const thread = (): string[] => firstThreadTexts(h.slack);

let tsSeq = 900_001;
async function reply(text: string): Promise<void> {
  const root = h.slack.roots(CHANNEL)[0]!;
  await h.slackEvent({ user: 'UAGENT', text, ts: `${Math.floor(Date.now() / 1000)}.${tsSeq++}`, thread_ts: root.ts });
}

describe('rule 12: opt-out keywords in the thread', () => {
  it('STOP is shown with a notice and blocks replies with the reason; START lifts it and says so', async () => {
    await h.inboundSms({ sid: 'SM1', body: ' stop ' });
    await h.waitFor(() => thread().length === 1, 'the STOP message');
    expect(thread()[0]).toMatch(/stop[\s\S]*opted out of texts from this number: replies here are refused until they text START/);

    await reply('Sorry to see you go');
    await h.waitFor(() => thread().some((t) => /has opted out/.test(t)), 'the refusal');
    expect(h.twilio.calls).toEqual([]);

    await h.inboundSms({ sid: 'SM2', body: 'Start' });
    await h.waitFor(() => thread().some((t) => /opted back in/.test(t)), 'the START notice');
    await reply('Welcome back');
    await h.waitFor(() => h.twilio.calls.length === 1, 'the reply after START');
    expect(h.twilio.calls[0]?.Body).toBe('Welcome back');
  });

  it('HELP and INFO are recognised and named; a keyword inside a sentence is just a message', async () => {
    await h.inboundSms({ sid: 'SM1', body: 'HELP' });
    await h.inboundSms({ sid: 'SM2', body: 'info' });
    await h.inboundSms({ sid: 'SM3', body: 'Please stop calling me at work' });
    await h.waitFor(() => thread().length === 3, 'three messages');
    expect(thread()[0]).toMatch(/HELP[\s\S]*asked for help or information/);
    expect(thread()[1]).toMatch(/info[\s\S]*asked for help or information/);
    expect(thread()[2]).toBe('(212) 555-3456 texted:\n> Please stop calling me at work');
    expect(await h.temp.store.optOuts.isOptedOut(OUR, CONTACT)).toBe(false);
  });
});
