// Inbound delivery into Teams through the platform-agnostic deliverMessage (src/delivery), with a
// real SQLite store and the fake Bot Framework connector.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordInbound } from '../../../src/app/recordInbound.js';
import { PlatformError } from '../../../src/core/errors.js';
import { deliverMessage } from '../../../src/delivery/deliverMessage.js';
import { createStatusNotifier } from '../../../src/delivery/statusNotifier.js';
import { teamsHtmlToPlain } from '../../../adapters/chat/teams/format.js';
import { CHANNEL, CONTACT, OUR, TENANT, installAndMap, startHarness, type Harness } from './harness.js';
import { MemoryLocks } from '../../../src/infra/coordination/memoryLocks.js';

let h: Harness;
const clock = { now: () => new Date() };
let seq = 0;

async function inbound(body: string, from = CONTACT): Promise<string> {
  const { message } = await recordInbound(
    { store: h.temp.store, clock },
    { provider: 'twilio', providerMessageId: `SM${++seq}`, from, to: OUR, body, media: [] },
  );
  return message.id;
}

const deliver = (messageId: string) => deliverMessage({ store: h.temp.store, registry: h.registry, locks: new MemoryLocks() }, messageId);
const text = (a: { activity: { text?: string } }): string => teamsHtmlToPlain(a.activity.text ?? '');

beforeEach(async () => {
  h = await startHarness();
  await installAndMap(h);
});
afterEach(async () => {
  await h.close();
});

describe('SMS into a Teams channel', () => {
  it('a first SMS from a contact starts a new thread in the mapped channel; later ones reply in it', async () => {
    await deliver(await inbound('Hello, is the store open?'));
    await deliver(await inbound('Second question'));

    const roots = h.connector.roots(CHANNEL);
    expect(roots).toHaveLength(1);
    const root = roots[0]!;
    // Proactive new conversation: POST /v3/conversations with the channel in channelData.
    const create = h.connector.calls.find((c) => c.method === 'POST' && c.path === '/v3/conversations')!;
    expect(create.body).toMatchObject({ isGroup: true, channelData: { channel: { id: CHANNEL }, tenant: { id: TENANT } } });
    expect(text(root)).toContain('SMS conversation with (415) 555-2671 (United States)');
    expect(text(root)).toContain('Bridge number: (415) 555-0100');

    const thread = h.connector.thread(root.id);
    expect(thread.map(text)).toEqual(['(415) 555-2671: Hello, is the store open?', '(415) 555-2671: Second question']);
    // Replies address the thread as "<channel>;messageid=<root>".
    expect(thread.every((a) => a.conversationId === `${CHANNEL};messageid=${root.id}`)).toBe(true);

    // The thread and the posts are stored, so a retry never posts twice.
    const conversation = (await h.temp.store.conversations.find(OUR, CONTACT))!;
    expect((await h.temp.store.threads.get(conversation.id, 'teams', CHANNEL))?.threadId).toBe(root.id);
    const again = await deliver((await h.temp.store.messages.listForConversation(conversation.id))[0]!.id);
    expect(again.posted).toEqual([]);
    expect(h.connector.thread(root.id)).toHaveLength(2);
  });

  it('another contact gets its own thread', async () => {
    await deliver(await inbound('from one'));
    await deliver(await inbound('from two', '+14155552672'));
    expect(h.connector.roots(CHANNEL)).toHaveLength(2);
  });

  it('text from SMS cannot inject HTML, markdown or mentions into Teams', async () => {
    await deliver(await inbound('<at>General</at> **urgent** <script>x</script> [pay](http://evil.example) http://shop.example/a_b'));
    const post = h.connector.thread(h.connector.roots(CHANNEL)[0]!.id)[0]!;
    const html = post.activity.text!;
    expect(post.activity.textFormat).toBe('xml');
    expect(html).not.toMatch(/<at>|<script|\*\*|\[pay\]/);
    expect(post.activity.entities).toBeUndefined();
    expect(html).toContain('<a href="http://shop.example/a_b">');
    expect(text(post)).toContain('<at>General</at> **urgent** <script>x</script> [pay](http://evil.example)');
  });

  it('pictures are posted as image attachments on signed, expiring bridge URLs', async () => {
    const id = await inbound('look');
    const [media] = [await h.temp.store.media.create({ messageId: id, contentType: 'image/png', size: 10, path: 'media/x', sourceUrl: null, status: 'stored', reason: null })];
    await h.temp.store.media.create({ messageId: id, contentType: 'image/jpeg', size: 0, path: null, sourceUrl: null, status: 'refused', reason: 'too large' });
    await deliver(id);
    const post = h.connector.thread(h.connector.roots(CHANNEL)[0]!.id)[0]!;
    expect(post.activity.attachments).toEqual([
      { contentType: 'image/png', contentUrl: `http://127.0.0.1:9/media/${media!.id}?exp=604800&sig=test`, name: 'picture-1.png' },
    ]);
    // The file that could not be kept is not dropped silently.
    expect(text(post)).toContain('could not be kept: too large');
  });

  it('Teams 429 is a retryable PlatformError with Retry-After; nothing is posted twice and order is kept', async () => {
    const first = await inbound('one');
    const second = await inbound('two');
    h.connector.failNext({ status: 429, retryAfter: 3, match: (m, p) => m === 'POST' && p.endsWith('/activities') });

    const err = await deliver(first).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlatformError);
    expect(err).toMatchObject({ retryable: true, retryAfterMs: 3000 });
    // The root exists (created before the throttled post) and is reused by the retry.
    expect(h.connector.roots(CHANNEL)).toHaveLength(1);

    // The delivery job retries the same message first (order per conversation), then the next.
    await deliver(first);
    await deliver(second);
    const root = h.connector.roots(CHANNEL)[0]!;
    expect(h.connector.roots(CHANNEL)).toHaveLength(1);
    expect(h.connector.thread(root.id).map(text)).toEqual(['(415) 555-2671: one', '(415) 555-2671: two']);
  });

  it('a 5xx from Teams is retryable; a channel the bot was removed from fails for good with the reason', async () => {
    h.connector.failNext({ status: 503 });
    await expect(deliver(await inbound('x'))).rejects.toMatchObject({ retryable: true });

    await h.temp.store.chatChannels.markRemoved('teams', CHANNEL);
    const result = await deliver(await inbound('y'));
    expect(result.failed[0]?.error).toMatch(/not installed in Teams channel/);
  });

  it('status changes of a mirrored outbound message update its Teams post in place', async () => {
    await deliver(await inbound('hi'));
    const conversation = (await h.temp.store.conversations.find(OUR, CONTACT))!;
    // An outbound message written in Slack, mirrored to Teams.
    const { message } = await h.temp.store.messages.insert({
      conversationId: conversation.id,
      direction: 'outbound',
      body: 'We open at 9',
      status: 'queued',
      author: { platform: 'slack', userId: 'U1', name: 'Sam' },
      platformMessageId: 'slack:T1:C1:1.1',
      encoding: 'GSM-7',
      segments: 1,
    });
    await deliver(message.id);
    const root = h.connector.roots(CHANNEL)[0]!;
    const post = h.connector.thread(root.id)[1]!;
    expect(text(post)).toContain('Sam via Slack → SMS: We open at 9');
    expect(text(post)).toContain('SMS queued');

    const notifier = createStatusNotifier({ store: h.temp.store, registry: h.registry });
    const failed = (await h.temp.store.messages.advanceStatus(message.id, 'failed', { reason: 'carrier rejected the message' }))!;
    await notifier.statusChanged(failed);
    const put = h.connector.calls.find((c) => c.method === 'PUT')!;
    expect(put.activityId).toBe(post.id);
    expect(teamsHtmlToPlain((put.body as { text: string }).text)).toContain('SMS failed: carrier rejected the message');
  });

  it('in anonymous mode no Authorization header is sent to the connector', async () => {
    await deliver(await inbound('hi'));
    expect(h.connector.calls.length).toBeGreaterThan(0);
    expect(h.connector.calls.every((c) => c.authorization === null)).toBe(true);
  });

  it('a connector that does not answer in time is a retryable error (the job retries later)', async () => {
    await h.close();
    h = await startHarness({ deps: { connectorTimeoutMs: 150 } });
    await installAndMap(h);
    h.connector.setDelay(400);
    await expect(deliver(await inbound('slow'))).rejects.toMatchObject({ retryable: true, details: { platformCode: 'timeout' } });
    h.connector.setDelay(0);
  });
});
