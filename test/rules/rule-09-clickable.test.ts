// Rule 9: URLs and phone numbers in messages stay clickable in chat, on both platforms and in both
// directions (an inbound SMS, and a reply mirrored from one platform to the other). Whole bridge
// with both platforms (mirroring harness): real express app, Bolt, teams-ai, BullMQ on Redis,
// SQLite file, fake Slack / Bot Framework connector / Twilio over HTTP.
//
// Slack gets rich text link elements the bridge builds: a URL as a link showing its own address
// (never a label that could disguise it), a phone number as a tel: link showing the number as
// written. Teams gets <a> elements the bridge builds.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { linksIn, quotedText, type FakeSlackMessage } from '../fakes/fakeSlack.js';
import { CONTACT, OUR, SLACK_CHANNEL, TEAMS_CHANNEL, createMirrorHarness, type MirrorHarness } from '../e2e/mirroringHarness.js';

let h: MirrorHarness;
beforeEach(async () => {
  h = await createMirrorHarness();
  await h.setup();
});
afterEach(async () => {
  await h.close();
});

const slackRoot = () => h.slack.roots(SLACK_CHANNEL)[0];
const slackThread = (): FakeSlackMessage[] => {
  const root = slackRoot();
  return root ? h.slack.thread(SLACK_CHANNEL, root.ts) : [];
};
/** The links of a Slack post, its header's link to the contact left out. */
const slackLinks = (m: FakeSlackMessage) => linksIn(m).filter((l) => l.url !== `tel:${CONTACT}`);
const teamsRoot = () => h.teamsConnector.roots(TEAMS_CHANNEL)[0];
/** Raw xml text of the Teams thread's posts. */
const teamsThread = (): string[] => {
  const root = teamsRoot();
  return root ? h.teamsConnector.thread(root.id).map((a) => a.activity.text ?? '') : [];
};

describe('rule 9: links and phone numbers stay clickable', () => {
  it('in an inbound SMS, on Slack and on Teams', async () => {
    await h.inboundSms({ sid: 'SM900', body: 'Track https://track.example.com/1Z9?a=1&b=2 or call 212-555-0123.' });
    await h.waitFor(() => slackThread().length === 1 && teamsThread().length === 1, 'the message on both platforms');

    // Slack: the URL is a link showing its own address; the phone number a tel: link showing the
    // number as the contact wrote it; the text around them as written.
    expect(quotedText(slackThread()[0]!)).toBe('Track https://track.example.com/1Z9?a=1&b=2 or call 212-555-0123.');
    expect(slackLinks(slackThread()[0]!)).toEqual([
      { url: 'https://track.example.com/1Z9?a=1&b=2', text: 'https://track.example.com/1Z9?a=1&b=2' },
      { url: 'tel:+12125550123', text: '212-555-0123' },
    ]);
    // Teams: real links with the real targets.
    const teams = teamsThread()[0]!;
    expect(teams).toContain('<a href="https://track.example.com/1Z9?a=1&amp;b=2">');
    expect(teams).toContain('<a href="tel:+12125550123">');
  });

  it('in a Slack reply mirrored to Teams (Slack link markup becomes a Teams link to the same target)', async () => {
    await h.inboundSms({ sid: 'SM901', body: 'Where do I pay?' });
    await h.waitFor(() => slackThread().length === 1 && teamsThread().length === 1, 'the message on both platforms');
    // What Slack sends for a message where the agent typed a URL and a phone number.
    await h.slackReply(slackRoot()!.ts, 'Pay at <https://pay.example.com/inv/42> or call <tel:+12125550188|(212) 555-0188>');
    await h.waitFor(() => h.twilio.calls.length === 1, 'the SMS');
    expect(h.twilio.calls[0]).toMatchObject({ From: OUR, To: CONTACT, Body: 'Pay at https://pay.example.com/inv/42 or call (212) 555-0188' });
    await h.waitFor(() => teamsThread().length === 2, 'the reply mirrored to Teams');
    expect(teamsThread()[1]).toContain('<a href="https://pay.example.com/inv/42">');
    expect(teamsThread()[1]).toContain('<a href="tel:+12125550188">');
  });

  it('in a Teams reply mirrored to Slack (the URL shows its own address)', async () => {
    await h.inboundSms({ sid: 'SM902', body: 'Menu?' });
    await h.waitFor(() => slackThread().length === 1 && teamsThread().length === 1, 'the message on both platforms');
    await h.teamsActivity(h.teamsReply(teamsRoot()!.id, 'See https://menu.example.com/today or call 212-555-0177'));
    await h.waitFor(() => h.twilio.calls.length === 1, 'the SMS');
    await h.waitFor(() => slackThread().length === 2, 'the reply mirrored to Slack');
    expect(quotedText(slackThread()[1]!)).toBe('See https://menu.example.com/today or call 212-555-0177');
    // Never a labelled (disguisable) link: a URL shows exactly where it goes.
    expect(slackLinks(slackThread()[1]!)).toEqual([
      { url: 'https://menu.example.com/today', text: 'https://menu.example.com/today' },
      { url: 'tel:+12125550177', text: '212-555-0177' },
    ]);
  });
});
