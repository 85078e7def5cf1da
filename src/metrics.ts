// Prometheus metrics on a Registry of our own (not prom-client's global one), so several bridges
// (tests) can live in one process. Everyone increments through the typed `Metrics` object.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type MessageDirection = 'inbound' | 'outbound' | 'internal';

/** One sample for `smsb_queue_jobs`: how many jobs a queue holds in one state. */
export interface QueueJobCount {
  queue: string;
  state: string;
  count: number;
}

/** Called at scrape time; the queues module registers one per queue (e.g. getJobCounts). */
export type QueueJobsCollector = () => Promise<QueueJobCount[]> | QueueJobCount[];

export interface Metrics {
  registry: Registry;
  /** status: received, queued, sent, delivered, failed, refused, ... */
  messages: Counter<'direction' | 'status'>;
  /** source: twilio, 8x8, slack, teams, ...; outcome: accepted, duplicate, ignored (a receipt that changed nothing), other_provider (a receipt naming a message another provider carried, ignored), rejected, invalid, error. */
  webhooks: Counter<'source' | 'outcome'>;
  /** Provider send call duration (label provider). */
  sendLatency: Histogram<'provider'>;
  /** From accepting a message to it showing up in chat or at the provider (label direction). */
  deliveryLatency: Histogram<'direction'>;
  queueJobs: Gauge<'queue' | 'state'>;
  /** Adds a source for `smsb_queue_jobs`, read at every scrape. */
  addQueueJobsCollector(fn: QueueJobsCollector): void;
  /** Prometheus text exposition. */
  render(): Promise<string>;
  contentType: string;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'smsb_' });

  const collectors: QueueJobsCollector[] = [];

  const messages = new Counter({
    name: 'smsb_messages_total',
    help: 'Messages handled by the bridge, by direction and status',
    labelNames: ['direction', 'status'] as const,
    registers: [registry],
  });
  const webhooks = new Counter({
    name: 'smsb_webhooks_total',
    help: 'Webhook requests from providers and platforms, by source and outcome',
    labelNames: ['source', 'outcome'] as const,
    registers: [registry],
  });
  const sendLatency = new Histogram({
    name: 'smsb_send_latency_seconds',
    help: 'Duration of provider send calls',
    labelNames: ['provider'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const deliveryLatency = new Histogram({
    name: 'smsb_delivery_latency_seconds',
    help: 'Time from accepting a message to handing it to chat or the provider',
    labelNames: ['direction'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const queueJobs = new Gauge({
    name: 'smsb_queue_jobs',
    help: 'BullMQ jobs in each queue by state (one per conversation with pending messages, not one per message)',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      if (collectors.length === 0) return;
      this.reset();
      for (const fn of collectors) {
        try {
          for (const s of await fn()) this.set({ queue: s.queue, state: s.state }, s.count);
        } catch {
          // A queue that cannot be read (Redis down) leaves its samples out; /readyz says why.
        }
      }
    },
  });

  return {
    registry,
    messages,
    webhooks,
    sendLatency,
    deliveryLatency,
    queueJobs,
    addQueueJobsCollector: (fn) => void collectors.push(fn),
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
