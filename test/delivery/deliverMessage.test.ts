import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlatformError } from '../../src/core/errors.js';
import { recordInbound } from '../../src/app/recordInbound.js';
import { deliverMessage, noticesFor } from '../../src/delivery/deliverMessage.js';
import { ChatRegistry } from '../../src/delivery/registry.js';
import { createStatusNotifier } from '../../src/delivery/statusNotifier.js';
import { createTempStore, type TempStore } from '../support/tempStore.js';
import { RecordingPlatform, fixedClock } from './fakes.js';
import { MemoryLocks } from '../../src/infra/coordination/memoryLocks.js';

const OUR = '+14155552671';
const CONTACT = '+12125553456';

describe('deliverMessage (real SQLite store, recording platforms)', () => {
  let temp: TempStore;
  let slack: RecordingPlatform;
  let teams: RecordingPlatform;
  let registry: ChatRegistry;

  beforeEach(async () => {
    temp = await createTempStore();
    slack = new RecordingPlatform('slack');
    teams = new RecordingPlatform('teams');
    registry = new ChatRegistry();
    registry.register(slack);
    registry.register(teams);
    await temp.store.numbers.create({ e164: OUR, provider: 'twilio', type: 'local', status: 'active', country: 'US' });
  });
  afterEach(async () => temp.cleanup());

  const inbound = async (id: string, body = 'hello', extra: { otherRecipients?: string[] } = {}) =>
    (await recordInbound({ store: temp.store, clock: fixedClock }, { provider: 'twilio', providerMessageId: id, from: CONTACT, to: OUR, body, media: [], ...extra })).message;
  // One process: its deliveries of a conversation wait for each other.
  const locks = new MemoryLocks();
  const deps = () => ({ store: temp.store, registry, locks });

  it('posts an inbound message into every mapped channel, creating each thread once and reusing it', async () => {
    await temp.store.mappings.create({ number: OUR, platform: 'slack', channel: 'C1' });
    await temp.store.mappings.create({ number: OUR, platform: 'teams', channel: 'T1' });
    const m1 = await inbound('SM1', 'first');
    const m2 = await inbound('SM2', 'second');
    await deliverMessage(deps(), m1.id);
    await deliverMessage(deps(), m2.id);
    expect(slack.roots).toHaveLength(1);
    expect(teams.roots).toHaveLength(1);
    expect(slack.posts.map((p) => p.view.message.body)).toEqual(['first', 'second']);
    expect(new Set(slack.posts.map((p) => p.thread.threadId))).toEqual(new Set([slack.roots[0]?.threadId]));
    expect(await temp.store.posts.listForMessage(m1.id)).toHaveLength(2);
    expect(await temp.store.threads.listForConversation(m1.conversationId)).toHaveLength(2);
  });

  it('two simultaneous first messages from one contact create one thread root', async () => {
    await temp.store.mappings.create({ number: OUR, platform: 'slack', channel: 'C1' });
    slack.createDelayMs = 30;
    const a = await inbound('SMa', 'a');
    const b = await inbound('SMb', 'b');
    await Promise.all([deliverMessage(deps(), a.id), deliverMessage(deps(), b.id)]);
    expect(slack.roots).toHaveLength(1);
    expect(slack.posts.map((p) => p.view.message.body)).toEqual(['a', 'b']);
  });

  it('a retry after a platform 429 posts only what is missing, and the 429 reaches the job as retryable', async () => {
    await temp.store.mappings.create({ number: OUR, platform: 'slack', channel: 'C1' });
    await temp.store.mappings.create({ number: OUR, platform: 'teams', channel: 'T1' });
    const m = await inbound('SM1');
    teams.failPosts.push(new PlatformError({ platform: 'teams', message: '429', retryable: true, retryAfterMs: 1200 }));
    const first = deliverMessage(deps(), m.id);
    await expect(first).rejects.toMatchObject({ retryable: true, retryAfterMs: 1200 });
    expect(slack.posts).toHaveLength(1);
    const again = await deliverMessage(deps(), m.id);
    expect(again.skipped.map((t) => t.platform)).toEqual(['slack']);
    expect(again.posted.map((p) => p.platform)).toEqual(['teams']);
    expect(slack.posts).toHaveLength(1);
    expect(teams.posts).toHaveLength(1);
    expect(teams.roots).toHaveLength(1);
  });

  it('a permanent failure in one channel does not stop the others and is reported', async () => {
    await temp.store.mappings.create({ number: OUR, platform: 'slack', channel: 'C1' });
    await temp.store.mappings.create({ number: OUR, platform: 'teams', channel: 'T1' });
    slack.failPosts.push(new PlatformError({ platform: 'slack', message: 'channel_not_found', retryable: false }));
    const r = await deliverMessage(deps(), (await inbound('SM1')).id);
    expect(r.failed.map((f) => f.target.platform)).toEqual(['slack']);
    expect(r.posted.map((p) => p.platform)).toEqual(['teams']);
  });

  it('a message every mapped channel refuses for good goes to the fallback channel, saying why', async () => {
    await temp.store.mappings.create({ number: OUR, platform: 'slack', channel: 'C1' });
    await temp.store.policy.update({ fallback: { platform: 'teams', channel: 'TFALLBACK' } });
    slack.failPosts.push(new PlatformError({ platform: 'slack', message: 'channel_not_found', retryable: false }));
    const m = await inbound('SM1');
    const r = await deliverMessage(deps(), m.id);
    expect(r.posted).toEqual([expect.objectContaining({ platform: 'teams', channel: 'TFALLBACK' })]);
    expect(r.notPosted).toBe(false);
    expect(teams.posts[0]?.view.notices.at(-1)).toBe('Could not be posted to its channel (slack C1: channel_not_found).');
    expect((await temp.store.messages.listUnrouted()).map((x) => x.id)).not.toContain(m.id);
  });

  it('without a fallback such a message is kept, with the reason, and listed with the unrouted ones', async () => {
    await temp.store.mappings.create({ number: OUR, platform: 'slack', channel: 'C1' });
    slack.failPosts.push(new PlatformError({ platform: 'slack', message: 'not_in_channel', retryable: false }));
    const m = await inbound('SM1');
    const r = await deliverMessage(deps(), m.id);
    expect(r).toMatchObject({ posted: [], notPosted: true });
    const kept = await temp.store.messages.get(m.id);
    expect(kept).toMatchObject({ status: 'received', errorCode: 'not_posted', statusReason: 'not posted to any chat channel (slack C1: not_in_channel)' });
    expect((await temp.store.messages.listUnrouted()).map((x) => x.id)).toEqual([m.id]);
    // A message that reached its channel is not listed.
    await deliverMessage(deps(), (await inbound('SM2')).id);
    expect((await temp.store.messages.listUnrouted()).map((x) => x.id)).toEqual([m.id]);
  });

  it('an unmapped number goes to the fallback channel when one is configured, else is listed as unrouted', async () => {
    const m = await inbound('SM1');
    const none = await deliverMessage(deps(), m.id);
    expect(none.unrouted).toBe(true);
    expect(slack.posts).toHaveLength(0);
    expect((await temp.store.messages.listUnrouted()).map((x) => x.id)).toContain(m.id);

    await temp.store.policy.update({ fallback: { platform: 'slack', channel: 'CFALLBACK' } });
    const r = await deliverMessage(deps(), (await inbound('SM2')).id);
    expect(r.posted).toEqual([expect.objectContaining({ platform: 'slack', channel: 'CFALLBACK' })]);
  });

  it('a mapping to a platform that is not running is skipped without error, and the message is listed as not posted, saying why', async () => {
    await temp.store.mappings.create({ number: OUR, platform: 'discord', channel: 'D1' });
    const m = await inbound('SM1');
    const r = await deliverMessage(deps(), m.id);
    expect(r.posted).toEqual([]);
    expect(r.failed).toEqual([]);
    expect((await temp.store.messages.listUnrouted()).map((x) => [x.id, x.statusReason])).toEqual([
      [m.id, 'not posted: its number is mapped to discord, which is not turned on on this bridge'],
    ]);
  });

  it('a message already posted where it was written is only mirrored to the other channels (rule 8)', async () => {
    await temp.store.mappings.create({ number: OUR, platform: 'slack', channel: 'C1' });
    await temp.store.mappings.create({ number: OUR, platform: 'teams', channel: 'T1' });
    const m = await inbound('SM1');
    await temp.store.posts.save({ messageId: m.id, platform: 'slack', channel: 'C1', platformMessageId: 'slack:T:C1:1.1' });
    const r = await deliverMessage(deps(), m.id);
    expect(r.skipped.map((t) => t.platform)).toEqual(['slack']);
    expect(teams.posts).toHaveLength(1);
    expect(slack.posts).toHaveLength(0);
  });

  it('a message written in chat shows where its status stands when it is posted (it may have moved before)', async () => {
    await temp.store.mappings.create({ number: OUR, platform: 'slack', channel: 'C1' });
    const conversationId = (await temp.store.conversations.getOrCreate(OUR, CONTACT)).conversation.id;
    const { message } = await temp.store.messages.insert({
      conversationId, direction: 'outbound', body: 'out', status: 'queued', author: { platform: 'teams', userId: 'u', name: 'Bo' },
      provider: 'twilio', platformMessageId: 'teams:x:1', encoding: 'GSM-7', segments: 1,
    });
    await temp.store.messages.advanceStatus(message.id, 'failed', { reason: 'carrier said no', errorCode: '30007' });
    await deliverMessage(deps(), message.id);
    expect(slack.posts[0]?.view.origin).toEqual({ platform: 'teams', authorName: 'Bo' });
    expect(slack.statuses).toEqual([expect.objectContaining({ status: 'failed' })]);
  });

  it('a group message carries the notice that replies go to the sender alone (rule 3)', async () => {
    await temp.store.mappings.create({ number: OUR, platform: 'slack', channel: 'C1' });
    await inbound('SM0');
    const m = await inbound('SM1', 'hi all', { otherRecipients: ['+13105550199'] });
    await deliverMessage(deps(), m.id);
    expect(slack.posts.at(-1)?.view.notices.join(' ')).toMatch(/Replies here go to the sender alone/);
    expect(noticesFor((await temp.store.messages.get(m.id))!)).toHaveLength(1);
  });

  it('status changes show on every post of the message; a failing platform never throws to the caller', async () => {
    await temp.store.mappings.create({ number: OUR, platform: 'slack', channel: 'C1' });
    await temp.store.mappings.create({ number: OUR, platform: 'teams', channel: 'T1' });
    const m = await inbound('SM1');
    await deliverMessage(deps(), m.id);
    teams.failStatus = true;
    const notifier = createStatusNotifier({ store: temp.store, registry });
    await expect(notifier.statusChanged({ ...(await temp.store.messages.get(m.id))!, status: 'delivered' })).resolves.toBeUndefined();
    expect(slack.statuses).toEqual([expect.objectContaining({ status: 'delivered' })]);
  });
});
