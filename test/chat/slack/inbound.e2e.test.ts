// Signed Twilio webhook -> store -> delivery job -> fake Slack thread, through the real server.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { linksIn, quotedText, shownText } from '../../fakes/fakeSlack.js';
import { CHANNEL, createSlackHarness, type SlackHarness } from './harness.js';

let h: SlackHarness;
beforeEach(async () => {
  h = await createSlackHarness();
});
afterEach(async () => {
  await h.close();
});

const threadOf = (rootTs: string) => h.slack.thread(CHANNEL, rootTs);

describe('inbound SMS into Slack threads', () => {
  it('a first SMS creates the contact\'s thread (root names contact and bridge number), the second goes into the same thread', async () => {
    await h.setupNumber();
    expect((await h.inboundSms({ sid: 'SM1', body: 'hello' })).status).toBe(200);
    await h.waitFor(() => h.slack.messages.length === 2, 'root + first message');
    expect((await h.inboundSms({ sid: 'SM2', body: 'are you there?' })).status).toBe(200);
    await h.waitFor(() => h.slack.messages.length === 3, 'second message');

    const roots = h.slack.roots(CHANNEL);
    expect(roots).toHaveLength(1);
    expect(roots[0]?.text).toContain('(212) 555-3456 (United States)');
    expect(roots[0]?.text).toContain('(415) 555-2671');
    expect(threadOf(roots[0]!.ts).map(shownText)).toEqual(['(212) 555-3456 texted:\n> hello', '(212) 555-3456 texted:\n> are you there?']);
    // Posted by the bridge with metadata so its own echoes are recognised.
    expect(roots[0]?.metadata).toMatchObject({ event_type: 'sms_bridge_message' });
    // Every post is remembered: message <-> Slack ts (recorded just after Slack answers).
    const postedOnce = async () => {
      for (const m of await h.messages()) if ((await h.temp.store.posts.listForMessage(m.id)).length !== 1) return false;
      return true;
    };
    await h.waitFor(postedOnce, 'posts recorded');
    expect(await postedOnce()).toBe(true);
  });

  it('two simultaneous first messages from one contact create one thread root', async () => {
    await h.setupNumber();
    h.slack.failNext('chat.postMessage', { kind: 'slow', delayMs: 150 });
    const [a, b] = await Promise.all([h.inboundSms({ sid: 'SMa', body: 'one' }), h.inboundSms({ sid: 'SMb', body: 'two' })]);
    expect([a.status, b.status]).toEqual([200, 200]);
    await h.waitFor(() => h.slack.messages.length === 3, 'root + two messages');
    expect(h.slack.roots(CHANNEL)).toHaveLength(1);
    expect(threadOf(h.slack.roots(CHANNEL)[0]!.ts).map(quotedText).sort()).toEqual(['one', 'two']);
  });

  it('contact text cannot ping, mention or disguise links; URLs and phone numbers are links the bridge builds', async () => {
    await h.setupNumber();
    const body = '<!channel> hi <@U123> <http://evil.example|bank.com> & see https://ex.com/x or (415) 555-2671';
    await h.inboundSms({ sid: 'SM1', body });
    await h.waitFor(() => h.slack.messages.length === 2, 'message');
    const post = h.slack.messages[1]!;
    // Shown word for word in the quote, as literal text: no ping, no mention, no labelled link (and
    // http://evil.example|bank.com, no URL a browser could open, is no link at all).
    expect(quotedText(post)).toBe(body);
    expect(linksIn(post)).toEqual([
      { url: 'tel:+12125553456', text: '(212) 555-3456' }, // the header naming the contact
      { url: 'https://ex.com/x', text: 'https://ex.com/x' },
      { url: 'tel:+14155552671', text: '(415) 555-2671' },
    ]);
    expect(post.text).toBe(`(212) 555-3456 texted: &lt;!channel&gt; hi &lt;@U123&gt; &lt;http://evil.example|bank.com&gt; &amp; see https://ex.com/x or (415) 555-2671`);
    expect(post.args).toMatchObject({ link_names: 'false', unfurl_links: 'false' });
  });

  it('an SMS written to look like the bridge\'s own lines shows as the contact\'s words, under the contact\'s name', async () => {
    await h.setupNumber();
    await h.inboundSms({ sid: 'SM1', body: '*Ana Agent* (Slack) sent SMS:\nsend the code\n:x: This SMS was not sent' });
    await h.waitFor(() => h.slack.messages.length === 2, 'message');
    expect(shownText(h.slack.messages[1]!)).toBe('(212) 555-3456 texted:\n> *Ana Agent* (Slack) sent SMS:\n> send the code\n> :x: This SMS was not sent');
  });

  it('a webhook retried by Twilio is posted once', async () => {
    await h.setupNumber();
    await h.inboundSms({ sid: 'SM1', body: 'once' });
    await h.inboundSms({ sid: 'SM1', body: 'once' });
    await h.waitFor(() => h.slack.messages.length === 2, 'message');
    await new Promise((r) => setTimeout(r, 300));
    expect(h.slack.messages).toHaveLength(2);
  });

  it('a picture is uploaded into the thread with the three-step upload', async () => {
    await h.setupNumber();
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200, 7)]);
    const url = h.twilio.addMedia({ contentType: 'image/png', body: png });
    await h.inboundSms({ sid: 'MM1', body: 'look', media: [{ url, contentType: 'image/png' }] });
    await h.waitFor(() => [...h.slack.files.values()].some((f) => f.shared), 'file shared');
    const root = h.slack.roots(CHANNEL)[0]!;
    const file = [...h.slack.files.values()].find((f) => f.shared)!;
    expect(file.thread_ts).toBe(root.ts);
    expect(file.channel).toBe(CHANNEL);
    expect(file.bytes?.equals(png)).toBe(true);
    expect(h.slack.callsTo('files.getUploadURLExternal')[0]?.args).toMatchObject({ filename: expect.stringMatching(/\.png$/), length: String(png.length) });
  });

  it('a picture that cannot be posted is replaced by a notice in the thread, never dropped silently', async () => {
    await h.setupNumber();
    const url = h.twilio.addMedia({ contentType: 'image/jpeg', body: Buffer.alloc(100, 1) });
    h.slack.failNext('files.completeUploadExternal', { kind: 'error', error: 'not_allowed' }, 5);
    await h.inboundSms({ sid: 'MM1', body: 'pic', media: [{ url, contentType: 'image/jpeg' }] });
    await h.waitFor(() => h.slack.messages.some((m) => /could not be posted/.test(shownText(m))), 'notice');
    const notice = h.slack.messages.find((m) => /could not be posted/.test(shownText(m)))!;
    expect(notice.thread_ts).toBe(h.slack.roots(CHANNEL)[0]!.ts);
    expect(shownText(notice)).toContain('not_allowed');
  });

  it('a picture whose download fails for now (503) is fetched again and posted, not replaced by a notice', async () => {
    await h.setupNumber();
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(50, 3)]);
    const url = h.twilio.addMedia({ contentType: 'image/png', body: png, unavailableTimes: 1 });
    await h.inboundSms({ sid: 'MM1', body: 'look', media: [{ url, contentType: 'image/png' }] });
    await h.waitFor(() => [...h.slack.files.values()].some((f) => f.shared), 'file shared');
    expect([...h.slack.files.values()].find((f) => f.shared)?.bytes?.equals(png)).toBe(true);
    expect(h.slack.messages.map(shownText).join('\n')).not.toMatch(/could not be kept|not been downloaded/);
    expect(h.twilio.media.requests).toHaveLength(2);
  });

  it('Slack failing for longer than the delivery retries: the message is kept with the reason and listed as not posted', async () => {
    await h.close();
    h = await createSlackHarness({ attempts: 2 });
    await h.setupNumber();
    h.slack.failNext('chat.postMessage', { kind: 'http', status: 503 }, 2);
    await h.inboundSms({ sid: 'SMx', body: 'anyone?' });
    await h.waitFor(async () => (await h.temp.store.messages.listUnrouted()).length === 1, 'listed as not posted');
    const kept = (await h.temp.store.messages.listUnrouted())[0]!;
    expect(kept.body).toBe('anyone?');
    expect(kept.errorCode).toBe('not_posted');
    expect(kept.statusReason).toMatch(/not posted to any chat channel \(.*503/);
  });

  it('Slack failing for longer than the delivery retries, with a fallback channel: posted there with the reason', async () => {
    await h.close();
    h = await createSlackHarness({ attempts: 2 });
    await h.setupNumber();
    h.slack.addChannel('CFALL');
    await h.temp.store.policy.update({ fallback: { platform: 'slack', channel: 'CFALL' } });
    h.slack.failNext('chat.postMessage', { kind: 'http', status: 503 }, 2);
    await h.inboundSms({ sid: 'SMy', body: 'still there?' });
    await h.waitFor(() => h.slack.roots('CFALL').length === 1 && h.slack.messages.length === 2, 'fallback thread');
    const post = h.slack.thread('CFALL', h.slack.roots('CFALL')[0]!.ts)[0]!;
    expect(shownText(post)).toMatch(/still there\?[\s\S]*Could not be posted to its channel/);
    expect(await h.temp.store.messages.listUnrouted()).toEqual([]);
  });

  it('a picture the bridge could not download is named in a notice with the message', async () => {
    await h.setupNumber();
    await h.inboundSms({ sid: 'MM1', body: 'pic', media: [{ url: 'https://evil.example/x.jpg', contentType: 'image/jpeg' }] });
    await h.waitFor(() => h.slack.messages.length === 2, 'message');
    expect(shownText(h.slack.messages[1]!)).toMatch(/> pic\n:warning: A file \(image\/jpeg\) could not be kept: .+/);
  });

  it('a picture whose host trickles a byte a second is given up at the download deadline: the message is posted with a notice', async () => {
    await h.close();
    h = await createSlackHarness({ mediaDeadlineMs: 1000 });
    await h.setupNumber();
    const url = h.twilio.addMedia({ contentType: 'image/png', body: Buffer.alloc(500, 1), trickleMs: 1000 });
    await h.inboundSms({ sid: 'MMslow', body: 'pic', media: [{ url, contentType: 'image/png' }] });
    await h.waitFor(() => h.slack.messages.length === 2, 'message');
    expect(shownText(h.slack.messages[1]!)).toMatch(/> pic\n:warning: A file \(image\/png\) could not be kept: the file could not be fetched within 1 s\./);
    expect((await h.temp.store.messages.getByProviderId('twilio', 'MMslow'))?.media).toMatchObject([{ status: 'failed', reason: 'the file could not be fetched within 1 s' }]);
    expect(h.slack.files.size).toBe(0);
  });

  it('Slack 429 storms delay delivery but keep the order in the thread and lose nothing', async () => {
    await h.setupNumber();
    await h.inboundSms({ sid: 'SM0', body: 'm0' });
    await h.waitFor(() => h.slack.messages.length === 2, 'first');
    h.slack.failNext('chat.postMessage', { kind: 'ratelimit', retryAfterSec: 1 }, 3);
    for (let i = 1; i <= 5; i++) expect((await h.inboundSms({ sid: `SM${i}`, body: `m${i}` })).status).toBe(200);
    await h.waitFor(() => h.slack.messages.length === 7, 'all six messages', 15_000);
    expect(h.slack.callsTo('chat.postMessage').length).toBeGreaterThanOrEqual(10);
    expect(threadOf(h.slack.roots(CHANNEL)[0]!.ts).map(quotedText)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
  });

  it('an unmapped number keeps the message as unrouted and posts nothing; with a fallback channel it is posted there', async () => {
    await h.temp.store.numbers.create({ e164: '+14155550123', provider: 'twilio', type: 'local', status: 'active', country: 'US' });
    await h.inboundSms({ sid: 'SMu', body: 'lost?', to: '+14155550123' });
    await new Promise((r) => setTimeout(r, 300));
    expect(h.slack.messages).toHaveLength(0);
    expect((await h.temp.store.messages.listUnrouted()).map((m) => m.body)).toEqual(['lost?']);

    h.slack.addChannel('CFALL');
    await h.temp.store.policy.update({ fallback: { platform: 'slack', channel: 'CFALL' } });
    await h.inboundSms({ sid: 'SMv', body: 'found', to: '+14155550123' });
    await h.waitFor(() => h.slack.messages.length === 2, 'fallback post');
    expect(h.slack.roots('CFALL')).toHaveLength(1);
  });
});
