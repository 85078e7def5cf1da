// Two bridge instances on one store and one Redis prefix (two sets of Redis-backed locks and
// budgets on their own connections, as two processes have): what one does, the other must see.
// Each rule here breaks when the state it checks lives in one process's memory.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sharedSeenEvents } from '../../adapters/chat/slack/context.js';
import { ChannelPacer } from '../../adapters/chat/slack/pacer.js';
import { TeamsChannels } from '../../adapters/chat/teams/channels.js';
import { BotConnectorClient } from '../../adapters/chat/teams/connector.js';
import { teamsHtmlToPlain } from '../../adapters/chat/teams/format.js';
import { TeamsPlatform } from '../../adapters/chat/teams/platform.js';
import { ServiceUrlPolicy } from '../../adapters/chat/teams/trust.js';
import { PlatformError } from '../../src/core/errors.js';
import { recordInbound } from '../../src/app/recordInbound.js';
import { deliverMessage } from '../../src/delivery/deliverMessage.js';
import { ChatRegistry } from '../../src/delivery/registry.js';
import { redisCoordination } from '../../src/infra/coordination/index.js';
import { CHANNEL, CONTACT, OUR, channelReply, installAndMap, startHarness } from '../chat/teams/harness.js';
import { RecordingPlatform, fixedClock } from '../delivery/fakes.js';
import { deletePrefix, newRedis, uniquePrefix } from '../support/redis.js';
import { createTempStore, type TempStore } from '../support/tempStore.js';

const prefix = uniquePrefix();
const redisA = newRedis();
const redisB = newRedis();
/** Instance A's and instance B's coordination: one Redis prefix, two connections. */
const a = () => redisCoordination(redisA, prefix);
const b = () => redisCoordination(redisB, prefix);
afterAll(async () => {
  await deletePrefix(redisA, prefix);
  redisA.disconnect();
  redisB.disconnect();
});

describe('two instances delivering one conversation', () => {
  let temp: TempStore;
  beforeEach(async () => {
    temp = await createTempStore();
    await temp.store.numbers.create({ e164: OUR, provider: 'twilio', type: 'local', status: 'active', country: 'US' });
    await temp.store.mappings.create({ number: OUR, platform: 'slack', channel: 'C1' });
  });
  afterEach(async () => temp.cleanup());

  /** An instance: its own Slack client (recording) and its own locks, on the shared store. */
  const instance = (coordination: ReturnType<typeof a>) => {
    const slack = new RecordingPlatform('slack');
    slack.createDelayMs = 50; // creating the root takes a while: long enough for the other to race
    const registry = new ChatRegistry();
    registry.register(slack);
    return { slack, deps: { store: temp.store, registry, locks: coordination.locks } };
  };

  it('two first messages delivered at once by different instances create one thread root', async () => {
    const one = instance(a());
    const two = instance(b());
    const inbound = async (id: string, body: string) =>
      (await recordInbound({ store: temp.store, clock: fixedClock }, { provider: 'twilio', providerMessageId: id, from: CONTACT, to: OUR, body, media: [] })).message;
    const first = await inbound('SMa', 'a');
    const second = await inbound('SMb', 'b');
    await Promise.all([deliverMessage(one.deps, first.id), deliverMessage(two.deps, second.id)]);
    expect([...one.slack.roots, ...two.slack.roots]).toHaveLength(1);
    const threads = new Set([...one.slack.posts, ...two.slack.posts].map((p) => p.thread.threadId));
    expect(threads.size).toBe(1);
  });
});

describe('a Teams status notice across instances', () => {
  it('a notice one instance showed under a reply is updated by the other, not posted again', async () => {
    const h = await startHarness({ coordination: a() });
    try {
      await installAndMap(h);
      const { message: inbound } = await recordInbound(
        { store: h.temp.store, clock: fixedClock },
        { provider: 'twilio', providerMessageId: 'SM1', from: CONTACT, to: OUR, body: 'hi', media: [] },
      );
      await deliverMessage({ store: h.temp.store, registry: h.registry, locks: a().locks }, inbound.id);
      const rootId = h.connector.roots(CHANNEL)[0]!.id;
      // Instance A takes the reply and shows "queued" under it.
      await h.send(channelReply({ serviceUrl: h.connector.serviceUrl, rootId, text: 'hello' }));
      const messageId = h.queues.sends[0]!.messageId;
      const notice = h.connector.thread(rootId).at(-1)!;

      // Instance B (its own platform object, connector client and locks) shows the next status.
      const serviceUrls = new ServiceUrlPolicy({ allowAnonymous: true, serviceUrlHosts: ['127.0.0.1'] });
      const other = new TeamsPlatform({
        connector: new BotConnectorClient({ getToken: async () => null, serviceUrls }),
        channels: new TeamsChannels(h.temp.store.chatChannels, serviceUrls),
        store: h.temp.store,
        notices: h.temp.store.statusNotices,
        locks: b().locks,
        signMediaUrl: () => 'http://127.0.0.1:9/media',
      });
      const sent = (await h.temp.store.messages.advanceStatus(messageId, 'sent'))!;
      const post = (await h.temp.store.posts.listForMessage(messageId))[0]!;
      const thread = (await h.temp.store.threads.findByThread('teams', CHANNEL, rootId))!;
      await other.showStatus(post, thread, sent);

      expect(h.connector.calls.filter((c) => c.method === 'PUT').map((p) => p.activityId)).toEqual([notice.id]);
      expect(notice.updates.map((u) => teamsHtmlToPlain(u.text ?? ''))).toEqual(['✓ SMS sent']);
      const statusLines = h.connector.thread(rootId).map((x) => teamsHtmlToPlain(x.activity.text ?? '')).filter((t) => t.includes('SMS'));
      expect(statusLines).toHaveLength(1);
    } finally {
      await h.close();
    }
  });
});

describe('the pace budget across instances', () => {
  it("a burst one instance posted into a Slack channel holds the other instance's post back", async () => {
    const pace = { burst: 3, perSecond: 1, maxInlineWaitMs: 0 };
    const one = new ChannelPacer(pace, a().pace);
    const two = new ChannelPacer(pace, b().pace);
    const channel = `C-${Math.random()}`;
    for (let i = 0; i < 3; i++) await one.take(channel);
    const err = await two.take(channel).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlatformError);
    expect(err).toMatchObject({ retryable: true, details: { platformCode: 'paced' } });
    // Another channel has its own budget.
    await expect(two.take(`${channel}-other`)).resolves.toBeUndefined();
  });
});

describe('Slack event ids across instances', () => {
  it('a retry of an event one instance took is recognised by the other', async () => {
    const eventId = `Ev-${Math.random()}`;
    expect(await sharedSeenEvents(a().locks, 60_000).first(eventId)).toBe(true);
    expect(await sharedSeenEvents(b().locks, 60_000).first(eventId)).toBe(false);
  });
});
