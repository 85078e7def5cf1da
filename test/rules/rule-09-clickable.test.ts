// Rule 9: URLs and phone numbers in messages stay clickable in chat, on both platforms and in both
// directions (an inbound SMS, and a reply mirrored from one platform to the other). Whole bridge
// with both platforms (mirroring harness): real express app, Bolt, teams-ai, BullMQ on Redis,
// SQLite file, fake Slack / Bot Framework connector / Twilio over HTTP.
//
// Slack turns bare URLs into links itself, so the bridge must hand them over bare (not escaped,
// not wrapped in a label that could disguise them); phone numbers it gets as <tel:+E164|as written>
// links the bridge builds (the markup Slack itself uses for numbers people type). Teams gets <a>
// elements the bridge builds.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
const slackThread = (): string[] => {
  const root = slackRoot();
  return root ? h.slack.thread(SLACK_CHANNEL, root.ts).map((m) => m.text ?? '') : [];
};
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

    // Slack: the URL is bare (Slack links it); & is escaped as Slack requires, which Slack reads back
    // as &; the phone number is a tel: link showing the number as the contact wrote it.
    expect(slackThread()[0]).toBe('Track https://track.example.com/1Z9?a=1&amp;b=2 or call <tel:+12125550123|212-555-0123>.');
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

  it('in a Teams reply mirrored to Slack (the URL is handed to Slack bare)', async () => {
    await h.inboundSms({ sid: 'SM902', body: 'Menu?' });
    await h.waitFor(() => slackThread().length === 1 && teamsThread().length === 1, 'the message on both platforms');
    await h.teamsActivity(h.teamsReply(teamsRoot()!.id, 'See https://menu.example.com/today or call 212-555-0177'));
    await h.waitFor(() => h.twilio.calls.length === 1, 'the SMS');
    await h.waitFor(() => slackThread().length === 2, 'the reply mirrored to Slack');
    expect(slackThread()[1]).toContain('See https://menu.example.com/today or call <tel:+12125550177|212-555-0177>');
    expect(slackThread()[1]).not.toMatch(/<https?:[^>]*\|/); // never a labelled (disguisable) link
  });
});
