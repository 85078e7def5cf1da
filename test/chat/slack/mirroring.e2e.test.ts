// Rule 8 (every place at once) and rule 6 (co-workers) seen from Slack, with a recording second
// platform registered beside Slack in the real delivery pipeline.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecordingPlatform } from '../../delivery/fakes.js';
import { quotedText, shownText } from '../../fakes/fakeSlack.js';
import { CHANNEL, OUR, createSlackHarness, responsesTo, type SlackHarness } from './harness.js';

let h: SlackHarness;
let other: RecordingPlatform;
beforeEach(async () => {
  h = await createSlackHarness();
  other = new RecordingPlatform('teams');
  h.registry.register(other);
});
afterEach(async () => {
  await h.close();
});

describe('Slack beside another platform', () => {
  it('an inbound SMS shows in both threads, and a Slack reply is mirrored to the other one marked with its author', async () => {
    await h.setupNumber();
    await h.temp.store.mappings.create({ number: OUR, platform: 'teams', channel: '19:abc@thread.tacv2' });
    await h.inboundSms({ sid: 'SM1', body: 'hello both' });
    await h.waitFor(() => h.slack.messages.length === 2 && other.posts.length === 1, 'both threads');
    const rootTs = h.slack.roots(CHANNEL)[0]!.ts;

    const ts = `${Math.floor(Date.now() / 1000)}.777777`;
    await h.slackEvent({ user: 'UAGENT', text: 'answer from slack', ts, thread_ts: rootTs });
    await h.waitFor(() => h.twilio.calls.length === 1 && other.posts.length === 2, 'send + mirror');
    const mirrored = other.posts[1]!.view;
    expect(mirrored.message.body).toBe('answer from slack');
    expect(mirrored.origin).toEqual({ platform: 'slack', authorName: 'agent' });
    // Not posted a second time into the Slack thread it was written in.
    expect(h.slack.thread(CHANNEL, rootTs).map(quotedText)).toEqual(['hello both']);
  });

  it('/sms to a co-worker number is an internal message delivered into their thread, never to the provider', async () => {
    const COWORKER = '+13125552368';
    await h.setupNumber();
    h.slack.addChannel('C0TEAM2');
    await h.setupNumber({ number: COWORKER, channel: 'C0TEAM2' });
    const { responseUrl } = await h.slashCommand(`${COWORKER} lunch at noon?`);
    await h.waitFor(() => h.slack.roots('C0TEAM2').length === 1 && h.slack.messages.length >= 4, 'both threads');
    expect(responsesTo(h.slack, responseUrl).join()).toMatch(/co-worker/);
    const theirs = h.slack.thread('C0TEAM2', h.slack.roots('C0TEAM2')[0]!.ts);
    expect(theirs.map(shownText)).toEqual(['agent (Slack) sent internal message:\n> lunch at noon?']);
    expect(h.slack.roots('C0TEAM2')[0]!.text).toContain('(415) 555-2671');
    expect(h.twilio.calls).toHaveLength(0);
  });
});
