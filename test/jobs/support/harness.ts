// Everything an outbound pipeline test needs, real parts only: Redis at 127.0.0.1:6379 under a
// unique queue prefix, a SQLite temp file with real migrations, the fake provider over HTTP, the
// real send lane (with its heartbeat), and the core's requestOutbound to accept messages.
// `close()` obliterates the queues, deletes every key under the prefix and closes connections,
// servers and the store.
import type { Message, OutboundRequest, ProvisionedNumber } from '../../../src/core/types.js';
import type { SmsProvider, TurnQueue } from '../../../src/core/ports.js';
import { requestOutbound, type RequestOutboundResult } from '../../../src/app/requestOutbound.js';
import type { Redis } from 'ioredis';
import { deletePrefix, newRedis, uniquePrefix } from '../../support/redis.js';
import { createTempStore, type TempStore } from '../../support/tempStore.js';
import { Liveness } from '../../../src/infra/queue/liveness.js';
import type { RateDecision } from '../../../src/infra/queue/rateLimiter.js';
import type { Turns } from '../../../src/infra/queue/turns.js';
import { createOutboundPipeline, type OutboundPipelineDeps } from '../../../src/pipelines.js';
import { startFakeProvider, type FakeProvider } from './fakeProvider.js';
import { httpSmsProvider } from './httpProvider.js';
import { waitUntil } from '../../support/wait.js';

export const PROVIDER_ID = 'fake';

export interface HarnessOptions {
  idempotent?: boolean;
  rateLimits?: boolean;
  attempts?: number;
  concurrency?: number;
  /** Start the send worker in this process (default true). */
  worker?: boolean;
  prefix?: string;
  /** Another Redis (the restart test runs its own persistent one). */
  redisUrl?: string;
  /** False: the fake provider cannot send MMS (capabilities.mms). */
  mms?: boolean;
  /** Another provider in front of the fake (id must be PROVIDER_ID), e.g. restSmsProvider. */
  provider?: (fake: FakeProvider) => SmsProvider & { close(): Promise<void> };
  /** Start-up recovery of the send worker (default true, as in production). */
  recover?: boolean;
  /** Sweep interval (default: the pipeline's, 2 s) and overdue age (default 15 s). */
  sweepMs?: number;
  overdueMs?: number;
  /** Instance name of the heartbeat (default: unique per harness). */
  instance?: string;
  /** Retry timing (default 20 ms doubling to 200 ms). */
  backoff?: { baseMs: number; maxMs: number };
  /** Called with every status notice before it is recorded in `notified` (may hold it up). */
  beforeNotice?: (m: Message) => Promise<void>;
}

export interface Harness {
  prefix: string;
  redis: Redis;
  temp: TempStore;
  fake: FakeProvider;
  pipeline: Turns;
  /** What requestOutbound wakes: the send lane; delivery wake-ups are recorded, not run. */
  queue: TurnQueue;
  deliveryWakes: Array<{ conversationId: string; token: string }>;
  liveness: Liveness;
  own: Redis;
  decisions: RateDecision[];
  notified: Message[];
  deps: OutboundPipelineDeps;
  addNumber(e164: string, patch?: Partial<Pick<ProvisionedNumber, 'type' | 'segmentsPerSecond' | 'status'>>): Promise<ProvisionedNumber>;
  send(from: string, to: string, body: string, extra?: Partial<OutboundRequest>): Promise<RequestOutboundResult>;
  /** Sends each body in turn from `from` to `to` (all must be accepted); their message ids. */
  acceptAll(from: string, to: string, bodies: string[]): Promise<string[]>;
  message(id: string): Promise<Message>;
  waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs?: number): Promise<void>;
  /** Start (another) send worker on the same queue and store; stopped by close(). */
  startWorker(): Promise<Turns>;
  close(): Promise<void>;
}

export async function createHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const prefix = opts.prefix ?? uniquePrefix();
  const redis = newRedis(opts.redisUrl);
  const own = newRedis(opts.redisUrl, `smsb-own-${prefix}`);
  const liveness = new Liveness({ redis: own, prefix, name: opts.instance ?? `harness-${prefix.slice(-8)}` });
  await liveness.start();
  const temp = await createTempStore();
  const fake = await startFakeProvider({ idempotent: opts.idempotent });
  const base = opts.provider?.(fake) ?? httpSmsProvider({ id: PROVIDER_ID, url: fake.url, idempotent: opts.idempotent });
  const provider: SmsProvider & { close(): Promise<void> } =
    opts.mms === false ? { ...base, capabilities: { ...base.capabilities, mms: false }, send: (sms) => base.send(sms), close: () => base.close() } : base;
  const decisions: RateDecision[] = [];
  const notified: Message[] = [];
  const deps: OutboundPipelineDeps = {
    store: temp.store,
    clock: { now: () => new Date() },
    redis,
    own,
    prefix,
    liveness,
    providers: (id) => (id === PROVIDER_ID ? provider : null),
    notifier: {
      statusChanged: async (m) => {
        await opts.beforeNotice?.(m);
        notified.push(m);
      },
    },
    options: {
      rateLimits: opts.rateLimits ?? false,
      onRateDecision: (d) => decisions.push(d),
      attempts: opts.attempts ?? 8,
      concurrency: opts.concurrency ?? 8,
      backoff: opts.backoff ?? { baseMs: 20, maxMs: 200 },
      runWorker: opts.worker ?? true,
      recover: opts.recover,
      sweepMs: opts.sweepMs,
      overdueMs: opts.overdueMs,
    },
  };
  const pipeline = createOutboundPipeline(deps);
  const deliveryWakes: Array<{ conversationId: string; token: string }> = [];
  const queue: TurnQueue = {
    wake: async (lane, conversationId, token) => {
      if (lane === 'send') return pipeline.wake(conversationId, token);
      deliveryWakes.push({ conversationId, token });
    },
  };
  await pipeline.start();
  let counter = 0;
  const extra: Turns[] = [];

  const h: Harness = {
    prefix,
    redis,
    temp,
    fake,
    pipeline,
    queue,
    deliveryWakes,
    liveness,
    own,
    decisions,
    notified,
    deps,
    async addNumber(e164, patch = {}) {
      return await temp.store.numbers.create({
        e164,
        provider: PROVIDER_ID,
        type: patch.type ?? 'local',
        status: patch.status ?? 'active',
        country: 'US',
        segmentsPerSecond: patch.segmentsPerSecond ?? null,
      });
    },
    send(from, to, body, extra = {}) {
      return requestOutbound(
        {
          store: temp.store,
          clock: deps.clock,
          queue,
          providerCaps: (id) => (id === PROVIDER_ID ? provider.capabilities : null),
        },
        {
          fromNumber: from,
          to: [to],
          body,
          media: [],
          author: { platform: 'slack', userId: 'U1', name: 'Agent' },
          platformMessageId: `slack:${prefix}:${++counter}`,
          ...extra,
        },
      );
    },
    async acceptAll(from, to, bodies) {
      const ids: string[] = [];
      for (const body of bodies) {
        const r = await h.send(from, to, body);
        if (!r.ok) throw new Error(`refused: ${JSON.stringify(r.refusals)}`);
        ids.push(r.message.id);
      }
      return ids;
    },
    async message(id) {
      const m = await temp.store.messages.get(id);
      if (!m) throw new Error(`no message ${id}`);
      return m;
    },
    waitFor: (check, what, timeoutMs = 15_000) => waitUntil(check, what, timeoutMs),
    async startWorker() {
      const p = createOutboundPipeline({ ...deps, options: { ...deps.options, runWorker: true } });
      extra.push(p);
      await p.start();
      return p;
    },
    async close() {
      for (const p of extra) await p.stop().catch(() => undefined);
      await pipeline.stop().catch(() => undefined);
      await liveness.stop();
      await deletePrefix(redis, prefix);
      await provider.close();
      await fake.close();
      await own.quit();
      await redis.quit();
      await temp.cleanup();
    },
  };
  return h;
}
