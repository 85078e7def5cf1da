// The production wiring of every part that plugs into the bridge: SMS providers, the send and
// delivery lanes (src/pipelines.ts over the store's outbox), signed media links, and the chat
// platforms that are configured. Parts that must be shared are built exactly once here and handed
// to whoever needs them: one ChatRegistry (delivery, status notices and every platform), one
// TurnQueue (SMS webhooks, chat replies, co-worker messages, admin resends), one heartbeat.
//
// Start order: heartbeat, chat platforms (Slack takes back the places of replies a crash left
// being prepared before any worker could give them up), send worker, delivery worker; stop order
// is the reverse, so the workers finish their in-flight items while every platform is registered,
// and the heartbeat ends last (its leases are then free at once for the other instances).

// Types only: the chat platforms' SDKs (Bolt, Teams AI/botbuilder) are loaded by import() below
// when configured; unconfigured, they would be most of an idle bridge's memory.
import type { SlackRuntime } from '../adapters/chat/slack/index.js';
import type { PacerOptions } from '../adapters/chat/slack/pacer.js';
import type { SlackSocketTuning } from '../adapters/chat/slack/socketConnection.js';
import type { TeamsParts } from '../adapters/chat/teams/index.js';
import { createSmsProviders, type SmsProviders } from '../adapters/sms/index.js';
import { createJobsAdminRouter } from './admin/jobs.js';
import { createQueuesAdminRouter } from './admin/queues.js';
import { channelDirectory } from './chat/channelDirectory.js';
import { nothingConfigured } from './demoNumber.js';
import { adminGuard } from './admin/auth.js';
import type { AppContext, BridgeModule, BridgeParts, Mount, Startable } from './app.js';
import type { Lane, SmsProvider, TurnQueue } from './core/ports.js';
import type { Logger } from './logger.js';
import { deliverUnshown } from './app/deliverUnshown.js';
import { createDeliverHandler, giveUpDelivery } from './delivery/deliverMessage.js';
import { announcingDeliver, announcingNotifier } from './delivery/inboxUpdates.js';
import { redisInboxEvents } from './infra/events/redisInboxEvents.js';
import { ChatRegistry } from './delivery/registry.js';
import { createStatusNotifier } from './delivery/statusNotifier.js';
import { instanceName } from './infra/queue/instance.js';
import { Liveness } from './infra/queue/liveness.js';
import { within } from './within.js';
import type { Turns } from './infra/queue/turns.js';
import { mediaRouter } from './media/mediaRoute.js';
import { storedMediaReader } from './media/storedMedia.js';
import { countingNotifier, firstPostTimer, timedProvider } from './pipelineMetrics.js';
import { createDeliveryPipeline, createOutboundPipeline, turnQueue, type DeliveryPipelineDeps, type OutboundPipelineDeps } from './pipelines.js';
import { createMediaUrlSigner, loadMediaSecret, type MediaUrlSigner } from './media/signedUrls.js';

/** How long the Slack inbox waits for Redis to say which instances are alive (then: next round). */
const ALIVE_CHECK_WAIT_MS = 2_000;

/** How long a signed link handed to an SMS provider for an outbound MMS stays valid. */
const MMS_LINK_TTL_SECONDS = 24 * 3600;

/**
 * Settings that differ from production only in tests and benchmarks (faster backoff, no rate
 * limits, no Slack pacing, ...). Absent fields keep the production defaults.
 */
export interface BridgeTuning {
  outbound?: OutboundPipelineDeps['options'];
  delivery?: DeliveryPipelineDeps['options'];
  /** Slack per-channel posting pace; null turns it off. Default: the adapter's. */
  slackPace?: PacerOptions | null;
  /** Slack Socket Mode timings (reconnect pauses, ping timeout). Default: the adapter's. */
  slackSocket?: SlackSocketTuning;
  /** How often Slack's inbox upkeep looks for a dead instance's events. Default: the adapter's. */
  slackInboxUpkeepMs?: number;
  teamsConnectorTimeoutMs?: number;
  /** Deadline of one inbound media download. Default: MEDIA_DOWNLOAD_DEADLINE_MS. */
  mediaDeadlineMs?: number;
  /** Keep-alive period of the inbox's event streams. Default: 15 s. */
  eventsKeepAliveMs?: number;
  /** How long after a local "send" its delivery receipt comes (trial only). Default: LOCAL_DELIVERED_AFTER_MS. */
  localDeliveredAfterMs?: number;
}

/** A trial's local provider reports a reply delivered this long after sending it. */
const LOCAL_DELIVERED_AFTER_MS = 1_500;

/** The built parts, for harnesses and benchmarks that start and stop them themselves. */
export interface BuiltBridge {
  /** What `bridgeModule` contributes (mounts and startables, in start order). */
  parts: BridgeParts;
  registry: ChatRegistry;
  signer: MediaUrlSigner;
  sms: SmsProviders;
  liveness: Liveness;
  /** The core's TurnQueue over both lanes. */
  queue: TurnQueue;
  outbound: Turns;
  delivery: Turns;
  /** Present when Slack is configured. */
  slack?: SlackRuntime;
  /** Present when Teams is configured. */
  teams?: TeamsParts;
}

export const bridgeModule: BridgeModule = async (ctx): Promise<BridgeParts> => (await buildBridgeParts(ctx)).parts;

/**
 * Builds every part exactly as production does; `tuning` changes only the listed settings.
 * Async because a chat platform's module (and its SDK) is imported only when it is configured.
 */
export async function buildBridgeParts(ctx: AppContext, tuning: BridgeTuning = {}): Promise<BuiltBridge> {
  const { config, store, clock, logger, redis, own, metrics } = ctx;
  const prefix = config.queuePrefix;
  const admin = adminGuard(ctx);

  const signer = createMediaUrlSigner({
    secret: await loadMediaSecret({ settings: store.settings, dataDir: config.dataDir, configured: config.mediaSigningSecret }),
    publicUrl: config.publicUrl,
  });
  // Media bytes are read from the store (files older versions kept in DATA_DIR as a fallback).
  const mediaFiles = storedMediaReader({ files: store.mediaFiles, dataDir: config.dataDir });
  const registry = new ChatRegistry();
  // Live inbox updates, fanned out to every instance on this Redis and prefix.
  const events = redisInboxEvents(own, prefix, logger);
  const notifier = countingNotifier(announcingNotifier(createStatusNotifier({ store, registry, logger }), events), metrics, clock);
  const liveness = new Liveness({ redis: own, prefix, name: instanceName(config), logger });
  // The lanes are built below; the SMS adapters (built first) wake them through this.
  const lanes: Partial<Record<Lane, Turns>> = {};
  const queue = turnQueue({
    send: { wake: (c, t) => lanes.send?.wake(c, t) ?? Promise.resolve() },
    deliver: { wake: (c, t) => lanes.deliver?.wake(c, t) ?? Promise.resolve() },
  });

  const sms = createSmsProviders({
    config,
    store,
    clock,
    queue,
    notifier,
    logger,
    metrics,
    requireAdmin: admin,
    mediaDeadlineMs: tuning.mediaDeadlineMs,
    signMediaUrl: (id, ttl) => signer.sign(id, ttl),
    // With nothing real configured (the trial), the local provider reports deliveries itself, so
    // the dev phone and the inbox show a reply go sent -> delivered.
    localReceipts: nothingConfigured(config) ? { deliveredAfterMs: tuning.localDeliveredAfterMs ?? LOCAL_DELIVERED_AFTER_MS } : null,
    // As the web inbox decides (adapters/chat/web/routes.ts): every number while it is the
    // catch-all platform (no Slack, no Teams), else the numbers mapped to it.
    webInboxShows: async (number) => registry.catchAll()?.platform === 'web' || (await store.mappings.list({ number, platform: 'web' })).length > 0,
  });
  const providerCaps = (id: string) => sms.capabilities(id);
  const timedProviders = new Map<string, SmsProvider>();
  const timed = (id: string): SmsProvider | null => {
    const provider = sms.provider(id);
    if (!provider) return null;
    if (!timedProviders.has(id)) timedProviders.set(id, timedProvider(provider, metrics));
    return timedProviders.get(id) ?? null;
  };

  const base = { redis, own, prefix, liveness, logger };
  const outbound = createOutboundPipeline({
    ...base,
    store,
    clock,
    providers: (id) => timed(id),
    notifier,
    mediaUrls: (m) => m.media.filter((x) => x.status === 'stored').map((x) => signer.sign(x.id, MMS_LINK_TTL_SECONDS)),
    options: tuning.outbound,
  });
  const delivery = createDeliveryPipeline({
    ...base,
    store,
    deliver: announcingDeliver(createDeliverHandler({ store, registry, locks: ctx.locks, logger, onFirstPost: firstPostTimer(store, metrics, clock) }), { store, events }),
    fetchPendingMedia: (id, opts) => sms.mediaFetcher.fetchPendingMedia(id, opts),
    // Retries used up: shown in the fallback channel, or kept and listed as not posted.
    onGiveUp: async (id, reason) => {
      await giveUpDelivery({ store, registry, locks: ctx.locks, logger }, id, reason);
    },
    options: tuning.delivery,
  });
  lanes.send = outbound;
  lanes.deliver = delivery;
  metrics.readOutboxFrom(() => store.outbox.stats());

  const mounts: Mount[] = [
    (app) => sms.mount(app),
    (app) => app.use(mediaRouter({ media: store.media, files: mediaFiles, signer })),
    (app) => app.use(createJobsAdminRouter({ store, queue, requireAdmin: admin })),
    (app) => app.use(createQueuesAdminRouter({ outbox: store.outbox, queues: { send: outbound.queue, deliver: delivery.queue }, clock, requireAdmin: admin })),
  ];
  // The web inbox is built in: registered first, it shows every number while no other platform runs.
  // Imported like every chat adapter (no SDK here, but the rule keeps adapters out of src's imports).
  const { createWebInbox } = await import('../adapters/chat/web/index.js');
  const web = createWebInbox(ctx, { registry, queue, providerCaps, signer, events, requireAdmin: admin, keepAliveMs: tuning.eventsKeepAliveMs });
  mounts.push((app) => web.mount(app));
  // A number newly shown in a channel gets its texts that no chat showed yet (admin API, /sms map).
  const afterMapped = async (number: string): Promise<void> => {
    await deliverUnshown({ store, queue, logger }, number);
  };
  ctx.afterMapped = afterMapped;
  const platforms: Startable[] = [];
  const chatDeps = { queue, owner: liveness.owner, providerCaps, registry, afterMapped };
  let slack: SlackRuntime | undefined;
  let teams: TeamsParts | undefined;

  if (config.slack.enabled) {
    const { createSlackPlatform } = await import('../adapters/chat/slack/index.js');
    const rt = createSlackPlatform(ctx, {
      ...chatDeps,
      // Inbox events of an instance that is not alive are replayed here (see inboxTakeover.ts).
      // Bounded: with Redis away the client holds commands, and start-up must not wait for it.
      alive: (owners) => within(liveness.alive(owners), ALIVE_CHECK_WAIT_MS, 'Redis'),
      ...(tuning.slackInboxUpkeepMs === undefined ? {} : { inboxUpkeepMs: tuning.slackInboxUpkeepMs }),
      ...(tuning.slackPace === undefined ? {} : { pace: tuning.slackPace }),
      ...(tuning.slackSocket === undefined ? {} : { socket: tuning.slackSocket }),
    });
    slack = rt;
    channelDirectory(ctx).register(rt.channels);
    mounts.push((app) => rt.mount(app));
    platforms.push({ name: 'slack', start: () => rt.start(), stop: () => rt.stop() });
  }
  if (config.teams.enabled) {
    const { createTeamsPlatform } = await import('../adapters/chat/teams/index.js');
    const tp = createTeamsPlatform(ctx, {
      ...chatDeps,
      signMediaUrl: (id, ttl) => signer.sign(id, ttl),
      requireAdmin: admin,
      ...(tuning.teamsConnectorTimeoutMs === undefined ? {} : { connectorTimeoutMs: tuning.teamsConnectorTimeoutMs }),
    });
    teams = tp;
    channelDirectory(ctx).register(tp.channelSource);
    mounts.push((app) => tp.mount(app));
    platforms.push({ name: 'teams', start: () => tp.start(), stop: () => tp.stop() });
  }

  const parts: BridgeParts = {
    mounts,
    startables: [
      { name: 'heartbeat', start: () => liveness.start(), stop: () => liveness.stop() },
      { name: 'inbox-events', start: () => undefined, drain: () => web.endStreams(), stop: () => events.close() },
      ...platforms,
      inBackground('send-worker', outbound, logger),
      inBackground('delivery-worker', delivery, logger),
    ],
  };
  return { parts, registry, signer, sms, liveness, queue, outbound, delivery, slack, teams };
}

/**
 * Workers wait for Redis; the bridge must not. Without Redis it still serves (webhooks are
 * stored before they are acknowledged, /readyz answers 503 naming redis) and the workers begin
 * taking jobs as soon as Redis answers. Stopping works whether or not they ever got ready.
 */
function inBackground(name: string, part: { start(): Promise<void>; stop(): Promise<void> }, logger: Logger): Startable {
  return {
    name,
    start() {
      part.start().then(
        () => logger.info({ worker: name }, 'worker ready'),
        (err: unknown) => logger.error({ worker: name, err: (err as Error).message }, 'worker did not start'),
      );
    },
    stop: () => part.stop(),
  };
}
