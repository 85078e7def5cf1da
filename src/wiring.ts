// The production wiring of every part that plugs into the bridge: SMS providers, the send and
// delivery pipelines on BullMQ, signed media links, and the chat platforms that are configured.
// Parts that must be shared are built exactly once here and handed to whoever needs them:
// one ChatRegistry (delivery, status notices and every platform), one delivery queue producer
// (SMS webhooks, chat replies, co-worker messages), one send queue producer.
//
// Start order: send worker, chat platforms, delivery worker; stop order is the reverse, so the
// delivery worker finishes its in-flight posts while every platform is still registered, and the
// send worker finishes its in-flight sends before Redis closes.

import { createSlackPlatform } from '../adapters/chat/slack/index.js';
import { createTeamsPlatform } from '../adapters/chat/teams/index.js';
import { createSmsProviders } from '../adapters/sms/index.js';
import { createJobsAdminRouter } from '../jobs/adminRoutes.js';
import { createDeliveryQueue } from '../jobs/deliveryQueue.js';
import { createDeliveryPipeline, createOutboundPipeline } from '../jobs/pipeline.js';
import { requireAdmin } from './admin/auth.js';
import type { BridgeModule, BridgeParts, Mount, Startable } from './app.js';
import type { Logger } from './logger.js';
import { createDeliverHandler } from './delivery/deliverMessage.js';
import { ChatRegistry } from './delivery/registry.js';
import { createStatusNotifier } from './delivery/statusNotifier.js';
import { mediaRouter } from './media/mediaRoute.js';
import { createMediaUrlSigner, loadMediaSecret } from './media/signedUrls.js';

/** How long a signed link handed to an SMS provider for an outbound MMS stays valid. */
const MMS_LINK_TTL_SECONDS = 24 * 3600;

export const bridgeModule: BridgeModule = (ctx): BridgeParts => {
  const { config, store, clock, logger, redis, metrics } = ctx;
  const prefix = config.queuePrefix;
  const admin = requireAdmin(config.adminToken);

  const signer = createMediaUrlSigner({
    secret: loadMediaSecret(config.dataDir, config.mediaSigningSecret),
    publicUrl: config.publicUrl,
  });
  const registry = new ChatRegistry();
  const notifier = createStatusNotifier({ store, registry, logger });
  const deliveries = createDeliveryQueue({ connection: redis, prefix });

  const sms = createSmsProviders({ config, store, clock, deliveries, notifier, logger, metrics });
  const providerCaps = (id: string) => sms.capabilities(id);

  const outbound = createOutboundPipeline({
    store,
    clock,
    redis,
    prefix,
    providers: (id) => sms.provider(id),
    notifier,
    mediaUrls: (m) => m.media.filter((x) => x.status === 'stored').map((x) => signer.sign(x.id, MMS_LINK_TTL_SECONDS)),
    logger,
  });
  const delivery = createDeliveryPipeline({
    // Start-up recovery of unposted inbound messages (Redis lost its data).
    store,
    clock,
    redis,
    prefix,
    queue: deliveries,
    deliver: createDeliverHandler({ store, registry, logger }),
    fetchPendingMedia: async (id) => {
      await sms.mediaFetcher.fetchPendingMedia(id);
    },
    logger,
  });

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
        }),
      ),
  ];
  const platforms: Startable[] = [];
  const chatDeps = { queue: outbound.queue, deliveries, providerCaps, registry };

  if (config.slack.enabled) {
    const slack = createSlackPlatform(ctx, chatDeps);
    mounts.push((app) => slack.mount(app));
    platforms.push({ name: 'slack', start: () => slack.start(), stop: () => slack.stop() });
  }
  if (config.teams.enabled) {
    const teams = createTeamsPlatform(ctx, {
      ...chatDeps,
      signMediaUrl: (id, ttl) => signer.sign(id, ttl),
      requireAdmin: admin,
    });
    mounts.push((app) => teams.mount(app));
    platforms.push({ name: 'teams', start: () => teams.start(), stop: () => teams.stop() });
  }

  return {
    mounts,
    startables: [
      inBackground('send-worker', outbound, logger),
      ...platforms,
      inBackground('delivery-worker', delivery, logger),
    ],
  };
};

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
