// Rule 3, inbound half: a message addressed to several recipients is still kept and shown, with a
// notice that replies go to the sender alone; a reply in its thread goes to the sender only.
// Twilio has no field for other recipients, so the message is recorded through the core exactly
// as an adapter that reports them would; delivery and both chat platforms are the real ones
// (fake Slack Web API and fake Bot Framework connector over HTTP), the reply goes through Teams
// and the real send queue to the fake Twilio.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { teamsHtmlToPlain } from '../../adapters/chat/teams/format.js';
import { shownText } from '../fakes/fakeSlack.js';
import { recordInbound } from '../../src/app/recordInbound.js';
import { deliverMessage } from '../../src/delivery/deliverMessage.js';
import { ChatRegistry } from '../../src/delivery/registry.js';
import { CONTACT, OUR, SLACK_CHANNEL, TEAMS_CHANNEL, createMirrorHarness, type MirrorHarness } from '../e2e/mirroringHarness.js';
import { MemoryLocks } from '../../src/infra/coordination/memoryLocks.js';

let h: MirrorHarness;
beforeEach(async () => {
  h = await createMirrorHarness();
  await h.setup();
});
afterEach(async () => {
  await h.close();
});

const OTHER = '+13105550199';

async function groupMessage(id: string, body: string) {
  return await recordInbound(
    { store: h.temp.store, clock: { now: () => new Date() } },
    { provider: '8x8', providerMessageId: id, from: CONTACT, to: OUR, otherRecipients: [OTHER, OUR], body, media: [] },
  );
}

function registry(): ChatRegistry {
  const r = new ChatRegistry();
  r.register(h.slackRt.platform);
  r.register(h.teams.platform);
  return r;
}

describe('rule 3: an inbound group message', () => {
  it('is kept with its other recipients (not our own number) and listed in the history', async () => {
    const { message } = await groupMessage('8x8-group-1', 'Dinner at 7?');
    const stored = (await h.temp.store.messages.get(message.id))!;
    expect(stored.otherRecipients).toEqual([OTHER]);
    expect(stored.body).toBe('Dinner at 7?');
  });

  it('is shown on Slack and on Teams with the notice that replies go to the sender alone', async () => {
    const { message } = await groupMessage('8x8-group-2', 'Dinner at 7?');
    const result = await deliverMessage({ store: h.temp.store, registry: registry(), locks: new MemoryLocks() }, message.id);
    expect(result.posted.map((p) => p.platform).sort()).toEqual(['slack', 'teams']);

    const slackRoot = h.slack.roots(SLACK_CHANNEL)[0]!;
    const slackPost = shownText(h.slack.thread(SLACK_CHANNEL, slackRoot.ts)[0]!);
    expect(slackPost).toContain('Dinner at 7?');
    expect(slackPost).toContain('also sent to (310) 555-0199');
    expect(slackPost).toMatch(/Replies here go to the sender alone/);

    const teamsRoot = h.teamsConnector.roots(TEAMS_CHANNEL)[0]!;
    const teamsPost = teamsHtmlToPlain(h.teamsConnector.thread(teamsRoot.id)[0]!.activity.text ?? '');
    expect(teamsPost).toContain('Dinner at 7?');
    expect(teamsPost).toContain('also sent to (310) 555-0199');
    expect(teamsPost).toMatch(/Replies here go to the sender alone/);
  });

  it('a message to our number alone carries no such notice', async () => {
    const { message } = await recordInbound(
      { store: h.temp.store, clock: { now: () => new Date() } },
      { provider: '8x8', providerMessageId: '8x8-single', from: CONTACT, to: OUR, otherRecipients: [OUR], body: 'just us', media: [] },
    );
    await deliverMessage({ store: h.temp.store, registry: registry(), locks: new MemoryLocks() }, message.id);
    const slackRoot = h.slack.roots(SLACK_CHANNEL)[0]!;
    expect(shownText(h.slack.thread(SLACK_CHANNEL, slackRoot.ts)[0]!)).toBe('(212) 555-3456 texted:\n> just us');
    const teamsRoot = h.teamsConnector.roots(TEAMS_CHANNEL)[0]!;
    expect(teamsHtmlToPlain(h.teamsConnector.thread(teamsRoot.id)[0]!.activity.text ?? '')).not.toMatch(/sender alone/);
  });

  it('a reply in its thread goes to the sender alone, as one SMS', async () => {
    const { message } = await groupMessage('8x8-group-3', 'Who is coming?');
    await deliverMessage({ store: h.temp.store, registry: registry(), locks: new MemoryLocks() }, message.id);
    const teamsRoot = h.teamsConnector.roots(TEAMS_CHANNEL)[0]!;
    expect((await h.teamsActivity(h.teamsReply(teamsRoot.id, 'I am'))).status).toBe(200);
    await h.waitFor(() => h.twilio.calls.length === 1, 'the reply to reach Twilio');
    await new Promise((r) => setTimeout(r, 200));
    expect(h.twilio.calls).toHaveLength(1);
    expect(h.twilio.calls[0]).toMatchObject({ From: OUR, To: CONTACT, Body: 'I am' });
  });
});
