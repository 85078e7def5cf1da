// The production wiring of every part that plugs into the bridge: SMS providers, the send and
// delivery pipelines on BullMQ, signed media links, and the chat platforms that are configured.
// Parts that must be shared are built exactly once here and handed to whoever needs them:
// one ChatRegistry (delivery, status notices and every platform), one delivery queue producer
// (SMS webhooks, chat replies, co-worker messages), one send queue producer.
//
// Start order: send worker, chat platforms, delivery worker; stop order is the reverse, so the
// delivery worker finishes its in-flight posts while every platform is still registered, and the
// send worker finishes its in-flight sends before Redis closes.

import { createSlackPlatform, type SlackRuntime } from '../adapters/chat/slack/index.js';
import type { PacerOptions } from '../adapters/chat/slack/pacer.js';
import { createTeamsPlatform, type TeamsParts } from '../adapters/chat/teams/index.js';
import { createSmsProviders, type SmsProviders } from '../adapters/sms/index.js';
import { createJobsAdminRouter } from '../jobs/adminRoutes.js';
import { createDeliveryQueue, type BullDeliveryQueue } from '../jobs/deliveryQueue.js';
import {
  createDeliveryPipeline,
  createOutboundPipeline,
  type DeliveryPipeline,
  type DeliveryPipelineDeps,
  type OutboundPipeline,
  type OutboundPipelineDeps,
} from '../jobs/pipeline.js';
import { requireAdmin } from './admin/auth.js';
import { redisAnswers } from './http/health.js';
import type { AppContext, BridgeModule, BridgeParts, Mount, Startable } from './app.js';
import type { SmsProvider } from './core/ports.js';
import type { Logger } from './logger.js';
import { createDeliverHandler, giveUpDelivery } from './delivery/deliverMessage.js';
import { ChatRegistry } from './delivery/registry.js';
import { createStatusNotifier } from './delivery/statusNotifier.js';
import { mediaRouter } from './media/mediaRoute.js';
import { collectQueueJobs, countingNotifier, firstPostTimer, timedProvider } from './pipelineMetrics.js';
import { createMediaUrlSigner, loadMediaSecret, type MediaUrlSigner } from './media/signedUrls.js';

/** How long a signed link handed to an SMS provider for an outbound MMS stays valid. */
const MMS_LINK_TTL_SECONDS = 24 * 3600;

/**
 * Settings that differ from production only in tests and benchmarks (faster backoff, no rate
 * limits, no Slack pacing, ...). Absent fields keep the production defaults.
 */
export interface BridgeTuning {
  outbound?: OutboundPipelineDeps['options'];
  /** `attempts` also applies to the shared delivery queue producer. */
  delivery?: DeliveryPipelineDeps['options'];
  /** Slack per-channel posting pace; null turns it off. Default: the adapter's. */
  slackPace?: PacerOptions | null;
  teamsConnectorTimeoutMs?: number;
  /** Deadline of one inbound media download. Default: MEDIA_DOWNLOAD_DEADLINE_MS. */
  mediaDeadlineMs?: number;
}

/** The built parts, for harnesses and benchmarks that start and stop them themselves. */
export interface BuiltBridge {
  /** What `bridgeModule` contributes (mounts and startables, in start order). */
  parts: BridgeParts;
  registry: ChatRegistry;
  signer: MediaUrlSigner;
  sms: SmsProviders;
  deliveries: BullDeliveryQueue;
  outbound: OutboundPipeline;
  delivery: DeliveryPipeline;
  /** Present when Slack is configured. */
  slack?: SlackRuntime;
  /** Present when Teams is configured. */
  teams?: TeamsParts;
}

export const bridgeModule: BridgeModule = (ctx): BridgeParts => buildBridgeParts(ctx).parts;

/** Builds every part exactly as production does; `tuning` changes only the listed settings. */
export function buildBridgeParts(ctx: AppContext, tuning: BridgeTuning = {}): BuiltBridge {
  const { config, store, clock, logger, redis, metrics } = ctx;
  const prefix = config.queuePrefix;
  const admin = requireAdmin(config.adminToken);

  const signer = createMediaUrlSigner({
    secret: loadMediaSecret(config.dataDir, config.mediaSigningSecret),
    publicUrl: config.publicUrl,
  });
  const registry = new ChatRegistry();
  const notifier = countingNotifier(createStatusNotifier({ store, registry, logger }), metrics, clock);
  const deliveries = createDeliveryQueue({
    connection: redis,
    prefix,
    attempts: tuning.delivery?.attempts,
  });

  const sms = createSmsProviders({ config, store, clock, deliveries, notifier, logger, metrics, mediaDeadlineMs: tuning.mediaDeadlineMs });
  const providerCaps = (id: string) => sms.capabilities(id);
  const timedProviders = new Map<string, SmsProvider>();
  const timed = (id: string): SmsProvider | null => {
    const provider = sms.provider(id);
    if (!provider) return null;
    if (!timedProviders.has(id)) timedProviders.set(id, timedProvider(provider, metrics));
    return timedProviders.get(id) ?? null;
  };

  const outbound = createOutboundPipeline({
    store,
    clock,
    redis,
    prefix,
    providers: (id) => timed(id),
    notifier,
    mediaUrls: (m) => m.media.filter((x) => x.status === 'stored').map((x) => signer.sign(x.id, MMS_LINK_TTL_SECONDS)),
    logger,
    options: { ...tuning.outbound, drainInPlace: tuning.outbound?.drainInPlace ?? config.sendDrainInPlace },
  });
  const delivery = createDeliveryPipeline({
    // Start-up recovery of unposted inbound messages (Redis lost its data).
    store,
    clock,
    redis,
    prefix,
    queue: deliveries,
    deliver: createDeliverHandler({ store, registry, logger, onFirstPost: firstPostTimer(store, metrics, clock) }),
    fetchPendingMedia: (id, opts) => sms.mediaFetcher.fetchPendingMedia(id, opts),
    // Retries used up: shown in the fallback channel, or kept and listed as not posted.
    onGiveUp: async (id, reason) => {
      await giveUpDelivery({ store, registry, logger }, id, reason);
    },
    logger,
    options: tuning.delivery,
  });
  collectQueueJobs(metrics, [outbound.queue.ordered.queue, deliveries.ordered.queue]);

  const mounts: Mount[] = [
    (app) => sms.mount(app),
    (app) => app.use(mediaRouter({ media: store.media, signer, dataDir: config.dataDir })),
    (app) =>
      app.use(
        createJobsAdminRouter({
          queues: [outbound.queue.ordered.queue, deliveries.ordered.queue],
          requireAdmin: admin,
          // Real, audited resends of failed sends (POST /admin/api/messages/{id}/resend).
          resend: { messages: store.messages, queue: outbound.queue },
          audit: store.audit,
          redisAnswers: () => redisAnswers(redis),
        }),
      ),
  ];
  const platforms: Startable[] = [];
  const chatDeps = { queue: outbound.queue, deliveries, providerCaps, registry };
  let slack: SlackRuntime | undefined;
  let teams: TeamsParts | undefined;

  if (config.slack.enabled) {
    const rt = createSlackPlatform(ctx, tuning.slackPace === undefined ? chatDeps : { ...chatDeps, pace: tuning.slackPace });
    slack = rt;
    mounts.push((app) => rt.mount(app));
    platforms.push({ name: 'slack', start: () => rt.start(), stop: () => rt.stop() });
  }
  if (config.teams.enabled) {
    const tp = createTeamsPlatform(ctx, {
      ...chatDeps,
      signMediaUrl: (id, ttl) => signer.sign(id, ttl),
      requireAdmin: admin,
      ...(tuning.teamsConnectorTimeoutMs === undefined ? {} : { connectorTimeoutMs: tuning.teamsConnectorTimeoutMs }),
    });
    teams = tp;
    mounts.push((app) => tp.mount(app));
    platforms.push({ name: 'teams', start: () => tp.start(), stop: () => tp.stop() });
  }

  const parts: BridgeParts = {
    mounts,
    startables: [
      inBackground('send-worker', outbound, logger),
      ...platforms,
      inBackground('delivery-worker', delivery, logger),
    ],
  };
  return { parts, registry, signer, sms, deliveries, outbound, delivery, slack, teams };
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
