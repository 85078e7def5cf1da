// Prometheus metrics on a Registry of our own (not prom-client's global one), so several bridges
// (tests) can live in one process. Everyone increments through the typed `Metrics` object.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type MessageDirection = 'inbound' | 'outbound' | 'internal';

/** Pending work per lane and state, read from the store's outbox at scrape time. */
export interface OutboxCount {
  lane: string;
  state: string;
  count: number;
  /** Epoch ms of the oldest due time among them (null: none). */
  oldestDueAt: number | null;
}

/** Slack's Socket Mode connection, as /readyz shows it. */
export type SlackSocketState = 'connecting' | 'connected' | 'disconnected';

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
  /** Messages with work pending or failed, per lane (send, deliver) and state. */
  outboxItems: Gauge<'lane' | 'state'>;
  /** Age of the oldest ready item per lane: how long work has waited (0 when none waits). */
  outboxOldest: Gauge<'lane'>;
  /** Where the two outbox gauges read from (the store), at every scrape. */
  readOutboxFrom(fn: () => Promise<OutboxCount[]>): void;
  /**
   * Slack's Socket Mode connection: set by the Slack adapter, shown in /readyz's body and as
   * smsb_slack_socket_connected (1 while connected). Null (and no such metric) without Socket Mode.
   */
  slackSocket: { get(): SlackSocketState | null; set(state: SlackSocketState): void };
  /** Prometheus text exposition. */
  render(): Promise<string>;
  contentType: string;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'smsb_' });

  let outboxSource: (() => Promise<OutboxCount[]>) | null = null;
  // A store that cannot be read leaves the samples out; /readyz says why.
  const readOutbox = async (): Promise<OutboxCount[] | null> => {
    try {
      return outboxSource ? await outboxSource() : null;
    } catch {
      return null;
    }
  };

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
  const outboxItems = new Gauge({
    name: 'smsb_outbox_items',
    help: 'Messages with pending or failed work, by lane (send: SMS out; deliver: posts into chat) and state (ready, preparing, failed)',
    labelNames: ['lane', 'state'] as const,
    registers: [registry],
    async collect() {
      const rows = await readOutbox();
      if (!rows) return;
      this.reset();
      for (const s of rows) this.set({ lane: s.lane, state: s.state }, s.count);
    },
  });
  const outboxOldest = new Gauge({
    name: 'smsb_outbox_oldest_ready_seconds',
    help: 'How long the oldest ready item of each lane has been due (0 when nothing waits)',
    labelNames: ['lane'] as const,
    registers: [registry],
    async collect() {
      const rows = await readOutbox();
      if (!rows) return;
      this.reset();
      const now = Date.now();
      for (const lane of ['send', 'deliver']) {
        const ready = rows.find((s) => s.lane === lane && s.state === 'ready');
        this.set({ lane }, ready?.oldestDueAt ? Math.max(0, (now - ready.oldestDueAt) / 1000) : 0);
      }
    },
  });

  let slackSocketState: SlackSocketState | null = null;
  // Made on the first state: without Socket Mode the metric is absent, not a misleading 0.
  let slackSocketGauge: Gauge | null = null;
  const slackSocket: Metrics['slackSocket'] = {
    get: () => slackSocketState,
    set(state) {
      slackSocketState = state;
      slackSocketGauge ??= new Gauge({
        name: 'smsb_slack_socket_connected',
        help: "1 while Slack's Socket Mode connection is up (events, /sms and interactivity arrive over it), else 0",
        registers: [registry],
      });
      slackSocketGauge.set(state === 'connected' ? 1 : 0);
    },
  };

  return {
    registry,
    messages,
    webhooks,
    sendLatency,
    deliveryLatency,
    outboxItems,
    outboxOldest,
    readOutboxFrom: (fn) => {
      outboxSource = fn;
    },
    slackSocket,
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
