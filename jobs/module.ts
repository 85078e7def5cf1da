// Wiring helper for the composition root (src/modules.ts): builds both queues' producers, the send
// and delivery workers as Startables, and the admin Mount, from the AppContext plus what the SMS
// and chat parts provide. Producers exist before any worker starts, because the SMS adapters and
// requestOutbound need `deliveries` / `queue` when they are built.
//
//   const jobs = createJobsProducers(ctx);                       // 1. queues first
//   const sms = createSmsProviders({ ..., deliveries: jobs.deliveries });
//   const parts = createJobsParts(ctx, jobs, {                   // 2. workers + admin routes
//     providers: sms.provider, notifier, deliver, mediaUrls: signedMediaUrls(signer) });
//   return { mounts: [sms.mount, ...parts.mounts], startables: parts.startables };
import type { Express } from 'express';
import type { AppContext, Mount, Startable } from '../src/app.js';
import { requireAdmin } from '../src/admin/auth.js';
import type { SmsProvider, StatusNotifier } from '../src/core/ports.js';
import type { Message, ProviderId } from '../src/core/types.js';
import type { MediaUrlSigner } from '../src/media/signedUrls.js';
import { createJobsAdminRouter } from './adminRoutes.js';
import { createDeliveryQueue, type BullDeliveryQueue } from './deliveryQueue.js';
import { createOutboundPipeline, createDeliveryPipeline, type OutboundPipeline, type WorkerTuning } from './pipeline.js';

type Ctx = Pick<AppContext, 'config' | 'store' | 'redis' | 'clock' | 'logger'>;

export interface JobsProducers {
  /** OutboundQueue for requestOutbound (its worker starts with the startables). */
  outbound: OutboundPipeline;
  /** DeliveryQueue for recordInbound callers and requestOutbound (co-worker copies). */
  deliveries: BullDeliveryQueue;
  /** Supplies what the send worker looks up at job time (called by createJobsParts). */
  bind(deps: JobsDeps): void;
}

export interface JobsDeps {
  providers: (id: ProviderId) => SmsProvider | null;
  notifier: StatusNotifier;
  /** Posts a stored message to every mapped thread (chat side, e.g. createDeliverHandler). */
  deliver: (messageId: string) => Promise<void>;
  /** Only if `deliver` does not fetch pending media itself. */
  fetchPendingMedia?: (messageId: string) => Promise<void>;
  mediaUrls?: (message: Message) => string[];
  tuning?: WorkerTuning & { rateLimits?: boolean };
}

/** Signed links for a message's stored media (providers fetch them for MMS). */
export function signedMediaUrls(signer: MediaUrlSigner, ttlSeconds = 24 * 3600): (message: Message) => string[] {
  return (message) => message.media.filter((m) => m.status === 'stored').map((m) => signer.sign(m.id, ttlSeconds));
}

export function createJobsProducers(ctx: Ctx, tuning: JobsDeps['tuning'] = {}): JobsProducers {
  let late: JobsDeps | null = null;
  // The send worker resolves providers and the notifier when it runs a job, so the producer can
  // exist before the SMS and chat parts are built.
  const outbound = createOutboundPipeline({
    store: ctx.store,
    clock: ctx.clock,
    redis: ctx.redis,
    prefix: ctx.config.queuePrefix,
    providers: (id) => late?.providers(id) ?? null,
    notifier: { statusChanged: (m) => late?.notifier.statusChanged(m) ?? Promise.resolve() },
    mediaUrls: (m) => late?.mediaUrls?.(m) ?? null,
    logger: ctx.logger,
    options: tuning,
  });
  const deliveries = createDeliveryQueue({ connection: ctx.redis, prefix: ctx.config.queuePrefix, attempts: tuning.attempts });
  return {
    outbound,
    deliveries,
    bind(deps) {
      late = deps;
    },
  };
}

export function createJobsParts(ctx: Ctx, producers: JobsProducers, deps: JobsDeps): { mounts: Mount[]; startables: Startable[] } {
  producers.bind(deps);
  const delivery = createDeliveryPipeline({
    redis: ctx.redis,
    prefix: ctx.config.queuePrefix,
    queue: producers.deliveries,
    deliver: deps.deliver,
    fetchPendingMedia: deps.fetchPendingMedia,
    logger: ctx.logger,
    options: deps.tuning,
  });
  const admin = createJobsAdminRouter({
    queues: [producers.outbound.queue.ordered.queue, producers.deliveries.ordered.queue],
    requireAdmin: requireAdmin(ctx.config.adminToken),
  });
  return {
    mounts: [(app: Express) => void app.use(admin)],
    startables: [producers.outbound, delivery],
  };
}
