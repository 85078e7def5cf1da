// Rule 8, every place at once: a number mapped to a Slack AND a Teams channel shows every message
// in both threads, and a reply written on one platform goes out as SMS and appears on the other,
// marked with who wrote it and where. Whole bridge, real queues, fake Slack/Teams/Twilio.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { teamsHtmlToPlain } from '../../adapters/chat/teams/format.js';
import { shownText } from '../fakes/fakeSlack.js';
import { CONTACT, OUR, SLACK_CHANNEL, TEAMS_CHANNEL, createMirrorHarness, type MirrorHarness } from './mirroringHarness.js';

let h: MirrorHarness;
beforeEach(async () => {
  h = await createMirrorHarness();
  await h.setup();
});
afterEach(async () => {
  await h.close();
});

const teamsRoot = () => h.teamsConnector.roots(TEAMS_CHANNEL)[0];
const teamsThread = (): string[] => {
  const root = teamsRoot();
  return root ? h.teamsConnector.thread(root.id).map((a) => teamsHtmlToPlain(a.activity.text ?? '')) : [];
};
const slackRoot = () => h.slack.roots(SLACK_CHANNEL)[0];
const slackThread = (): string[] => {
  const root = slackRoot();
  return root ? h.slack.thread(SLACK_CHANNEL, root.ts).map(shownText) : [];
};

describe('a number mapped to both Slack and Teams', () => {
  it('an inbound SMS shows in a new thread on both platforms, and the next one in the same threads', async () => {
    expect((await h.inboundSms({ sid: 'SM100', body: 'Hi, do you deliver?' })).status).toBe(200);
    expect((await h.inboundSms({ sid: 'SM101', body: 'To Brooklyn?' })).status).toBe(200);
    await h.waitFor(() => teamsThread().length === 2 && slackThread().length === 2, 'both threads to get both messages');

    expect(h.teamsConnector.roots(TEAMS_CHANNEL)).toHaveLength(1);
    expect(h.slack.roots(SLACK_CHANNEL)).toHaveLength(1);
    expect(teamsHtmlToPlain(teamsRoot()!.activity.text ?? '')).toContain('SMS conversation with (212) 555-3456 (United States)');
    expect(teamsThread()).toEqual(['(212) 555-3456: Hi, do you deliver?', '(212) 555-3456: To Brooklyn?']);
    expect(slackThread()).toEqual(['(212) 555-3456 texted:\n> Hi, do you deliver?', '(212) 555-3456 texted:\n> To Brooklyn?']);
  });

  it('a reply in Teams goes out as SMS and appears in the Slack thread marked with author and platform', async () => {
    await h.inboundSms({ sid: 'SM200', body: 'Are you open today?' });
    await h.waitFor(() => teamsThread().length === 1 && slackThread().length === 1, 'the inbound message on both platforms');

    const res = await h.teamsActivity(h.teamsReply(teamsRoot()!.id, 'Yes, until 6 pm'));
    expect(res.status).toBe(200);
    await h.waitFor(() => h.twilio.calls.length === 1, 'the SMS to reach Twilio');
    expect(h.twilio.calls[0]).toMatchObject({ From: OUR, To: CONTACT, Body: 'Yes, until 6 pm' });

    await h.waitFor(() => slackThread().length === 2, 'the Teams reply mirrored into Slack');
    expect(slackThread()[1]).toBe('Alice Agent (Teams) sent SMS:\n> Yes, until 6 pm');
    // Not echoed back into Teams as a second copy: the person's own message is its Teams post.
    const outbound = (await h.messages()).filter((m) => m.direction === 'outbound');
    expect(outbound).toHaveLength(1);
    expect((await h.temp.store.posts.listForMessage(outbound[0]!.id)).map((p) => p.platform).sort()).toEqual(['slack', 'teams']);

    // Its status shows under the Teams reply, updated in place up to delivered.
    await h.statusCallback(h.twilio.calls[0]!.sid!, 'delivered');
    await h.waitFor(() => teamsThread().some((t) => t.includes('SMS')), 'a status notice in Teams');
    const notice = h.teamsConnector.thread(teamsRoot()!.id).find((a) => teamsHtmlToPlain(a.activity.text ?? '').includes('SMS'))!;
    await h.waitFor(() => notice.updates.some((u) => teamsHtmlToPlain(u.text ?? '') === '✓✓ SMS delivered'), 'the notice to say delivered');
  });

  it('a reply in Slack goes out as SMS and appears in the Teams thread marked with author and platform', async () => {
    await h.inboundSms({ sid: 'SM300', body: 'Price for 2?' });
    await h.waitFor(() => teamsThread().length === 1 && slackThread().length === 1, 'the inbound message on both platforms');

    expect((await h.slackReply(slackRoot()!.ts, '$20 for two')).status).toBe(200);
    await h.waitFor(() => h.twilio.calls.length === 1, 'the SMS to reach Twilio');
    expect(h.twilio.calls[0]).toMatchObject({ From: OUR, To: CONTACT, Body: '$20 for two' });

    await h.waitFor(() => teamsThread().length === 2, 'the Slack reply mirrored into Teams');
    const sent = (await h.messages()).find((m) => m.direction === 'outbound')!;
    expect(sent.author).toMatchObject({ platform: 'slack', userId: 'UAGENT' });
    expect(teamsThread()[1]).toContain(`${sent.author!.name ?? 'UAGENT'} via Slack → SMS: $20 for two`);

    // Its status follows on the mirrored Teams post (updated in place).
    await h.statusCallback(h.twilio.calls[0]!.sid!, 'delivered');
    const mirrored = h.teamsConnector.thread(teamsRoot()!.id)[1]!;
    await h.waitFor(() => mirrored.updates.some((u) => teamsHtmlToPlain(u.text ?? '').includes('SMS delivered')), 'the Teams copy to show delivered');
  });

  it('a refused Teams reply shows the reason in the thread and sends nothing', async () => {
    await h.inboundSms({ sid: 'SM400', body: 'STOP' });
    await h.waitFor(() => teamsThread().length === 1, 'the STOP message in Teams');
    await h.teamsActivity(h.teamsReply(teamsRoot()!.id, 'Sorry to see you go'));
    await h.waitFor(() => teamsThread().some((t) => t.startsWith('⛔ Not sent as SMS')), 'the refusal notice');
    expect(teamsThread().find((t) => t.startsWith('⛔'))).toMatch(/opted out/i);
    expect(h.twilio.calls).toHaveLength(0);
  });

  it('a duplicate Teams activity is sent once', async () => {
    await h.inboundSms({ sid: 'SM500', body: 'hello' });
    await h.waitFor(() => teamsThread().length === 1, 'the inbound message in Teams');
    const reply = h.teamsReply(teamsRoot()!.id, 'once');
    await h.teamsActivity(reply);
    await h.teamsActivity(reply);
    await h.waitFor(() => h.twilio.calls.length === 1, 'the SMS');
    await new Promise((r) => setTimeout(r, 300));
    expect(h.twilio.calls).toHaveLength(1);
    const metrics = await h.ctx.metrics.render();
    expect(metrics).toMatch(/smsb_webhooks_total\{source="teams",outcome="duplicate"\} 1/);
    expect(metrics).toMatch(/smsb_webhooks_total\{source="teams",outcome="accepted"\} 2/); // install + first copy
  });

  it('Teams throttling (429 + Retry-After) delays delivery but keeps the order in both threads', async () => {
    h.teamsConnector.failNext({ status: 429, retryAfter: 1, match: (m, p) => m === 'POST' && p.endsWith('/activities') }, 2);
    for (const [i, body] of ['one', 'two', 'three'].entries()) {
      expect((await h.inboundSms({ sid: `SM60${i}`, body })).status).toBe(200);
    }
    await h.waitFor(() => teamsThread().length === 3 && slackThread().length === 3, 'all three messages on both platforms', 15_000);
    expect(teamsThread()).toEqual(['(212) 555-3456: one', '(212) 555-3456: two', '(212) 555-3456: three']);
    expect(slackThread().map((t) => t.split('\n> ')[1])).toEqual(['one', 'two', 'three']);
    expect(h.teamsConnector.calls.filter((c) => c.status === 429)).toHaveLength(2);
  });

  it('pictures go both ways: an MMS shows as a signed image in Teams, a picture in a Teams reply goes out as MMS', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    const mediaUrl = h.twilio.addMedia({ contentType: 'image/png', body: png });
    await h.inboundSms({ sid: 'SM700', body: 'my receipt', media: [{ url: mediaUrl, contentType: 'image/png' }] });
    await h.waitFor(() => teamsThread().length === 1, 'the MMS in Teams');
    const post = h.teamsConnector.thread(teamsRoot()!.id)[0]!;
    const image = post.activity.attachments?.[0];
    expect(image).toMatchObject({ contentType: 'image/png' });
    // The link works without credentials while the signature holds, and never with a forged one.
    const ok = await fetch(h.local(image!.contentUrl!));
    expect(ok.status).toBe(200);
    expect(Buffer.from(await ok.arrayBuffer())).toEqual(png);
    const forged = await fetch(h.local(image!.contentUrl!).replace(/sig=[^&]+/, 'sig=AAAA'));
    expect(forged.status).toBe(403);

    const attachment = h.teamsConnector.addAttachment(png, 'image/png');
    const reply = { ...h.teamsReply(teamsRoot()!.id, 'thanks, here is yours'), attachments: [{ contentType: 'image/*', contentUrl: attachment, name: 'ours.png' }] };
    await h.teamsActivity(reply);
    await h.waitFor(() => h.twilio.calls.length === 1, 'the MMS to reach Twilio');
    expect(h.twilio.calls[0]!.MediaUrl).toHaveLength(1);
    const sent = await fetch(h.local(h.twilio.calls[0]!.MediaUrl[0]!));
    expect(Buffer.from(await sent.arrayBuffer())).toEqual(png);
  });
});
