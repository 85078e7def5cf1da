// The two ordered lanes, assembled: the send lane (outbound SMS through the provider, with the
// send ledger's exactly-once rules and the per-number rate limits) and the delivery lane (posts
// into chat threads). Both are src/infra/queue/turns.ts over the store's outbox; this file only
// hands each its handler. The composition root (wiring.ts) and the test harnesses build them here.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createDeliverItem, type DeliverItemDeps } from './app/deliverItem.js';
import { createSendAbandon, createSendHandler, type PipelineStore } from './app/sendMessage.js';
import type { Clock, Lane, OutboxRepo, SmsProvider, StatusNotifier, TurnQueue } from './core/ports.js';
import type { Message, ProviderId } from './core/types.js';
import type { BackoffOptions } from './infra/queue/backoff.js';
import { coalesceWrites } from './infra/queue/coalesceWrites.js';
import { keys } from './infra/queue/keys.js';
import type { Liveness } from './infra/queue/liveness.js';
import { createRateLimiter, type RateDecision } from './infra/queue/rateLimiter.js';
import { createTurns, type Turns } from './infra/queue/turns.js';
import { yieldGate } from './infra/queue/yieldGate.js';

/** Settings that differ from production in tests and benchmarks. */
export interface LaneTuning {
  /** Turns run at once per process (default 32). */
  concurrency?: number;
  /** Attempts per message, the first included (default 8). */
  attempts?: number;
  backoff?: BackoffOptions;
  /** False: this process only wakes (no worker). Default true. */
  runWorker?: boolean;
  /** Wake pending conversations from the outbox at start and after Redis came back (default true). */
  recover?: boolean;
  sweepMs?: number;
  overdueMs?: number;
  maxItemsPerTurn?: number;
}

interface LaneBase {
  /** Shared connection (BullMQ), `maxRetriesPerRequest: null`. */
  redis: Redis;
  /** Our own connection (leases, heartbeats, rate limits). */
  own: Redis;
  /** QUEUE_PREFIX. */
  prefix: string;
  liveness: Liveness;
  logger?: Logger;
}

export interface OutboundPipelineDeps extends LaneBase {
  store: PipelineStore;
  clock: Clock;
  providers: (id: ProviderId) => SmsProvider | null;
  notifier: StatusNotifier;
  /** Signed media links for MMS (src/media createMediaUrlSigner). */
  mediaUrls?: (message: Message) => string[] | null;
  options?: LaneTuning & {
    /** False lifts the per-number throughput caps (benchmarks). Default true. */
    rateLimits?: boolean;
    /** Every rate-limiter decision (metrics, tests). */
    onRateDecision?: (d: RateDecision) => void;
    /** Writes of concurrent sends committed together (default 64; 1 disables group commit). */
    groupCommitMax?: number;
    /** Coalesce the shared connection's writes per event-loop turn (default true). */
    coalesceRedisWrites?: boolean;
  };
}

export function createOutboundPipeline(deps: OutboundPipelineDeps): Turns {
  const o = deps.options ?? {};
  // One writev per event-loop turn instead of one write(2) per Redis command (coalesceWrites.ts).
  if (o.coalesceRedisWrites !== false) coalesceWrites(deps.redis);
  const limiter = o.rateLimits === false ? null : createRateLimiter(deps.own, keys.rate(deps.prefix), o.onRateDecision);
  const send = createSendHandler({ ...deps, limiter, groupCommitMax: o.groupCommitMax });
  return createTurns({
    ...o,
    lane: 'send',
    redis: deps.redis,
    own: deps.own,
    prefix: deps.prefix,
    outbox: deps.store.outbox,
    liveness: deps.liveness,
    handler: send.handler,
    commit: send.commit,
    abandon: createSendAbandon(deps),
    logger: deps.logger,
  });
}

export interface DeliveryPipelineDeps extends LaneBase, Omit<DeliverItemDeps, 'logger'> {
  store: { outbox: OutboxRepo };
  options?: LaneTuning & {
    /** One delivery step per event-loop turn, so webhook acks never wait behind a burst (default true). */
    yieldToLoop?: boolean;
  };
}

export function createDeliveryPipeline(deps: DeliveryPipelineDeps): Turns {
  const o = deps.options ?? {};
  const deliver = createDeliverItem(deps);
  return createTurns({
    ...o,
    lane: 'deliver',
    redis: deps.redis,
    own: deps.own,
    prefix: deps.prefix,
    outbox: deps.store.outbox,
    liveness: deps.liveness,
    handler: deliver.handler,
    abandon: deliver.abandon,
    beforeItem: o.yieldToLoop === false ? undefined : yieldGate(),
    logger: deps.logger,
  });
}

/** The core's TurnQueue over both lanes. */
export function turnQueue(lanes: Record<Lane, Pick<Turns, 'wake'>>): TurnQueue {
  return { wake: (lane, conversationId, token) => lanes[lane].wake(conversationId, token) };
}
