// The pipeline's share of the metrics (src/metrics.ts), wrapped around the parts the wiring
// builds, so neither the core nor the jobs know about Prometheus:
// - smsb_send_latency_seconds{provider}: each provider send call;
// - smsb_messages_total{direction="outbound", status}: every status an outbound message reaches
//   (queued, sent, delivered, failed, refused, ...), as the status notifier hears of it;
// - smsb_delivery_latency_seconds{direction}: from accepting a message to the provider taking it
//   (outbound, at 'sent') or to its first post in chat (inbound and co-worker messages);
// - smsb_queue_jobs{queue, state}: the queues' job counts, read at each scrape.
import type { Queue } from 'bullmq';
import type { SmsProvider, StatusNotifier, Store } from './core/ports.js';
import type { Metrics } from './metrics.js';

/** A provider whose send calls are timed. */
export function timedProvider(provider: SmsProvider, metrics: Metrics): SmsProvider {
  return {
    ...provider,
    async send(sms) {
      const end = metrics.sendLatency.startTimer({ provider: provider.id });
      try {
        return await provider.send(sms);
      } finally {
        end();
      }
    },
  };
}

const secondsSince = (iso: string, now: Date): number => Math.max(0, (now.getTime() - Date.parse(iso)) / 1000);

/** A notifier that counts outbound statuses (and times 'sent') before passing the change on. */
export function countingNotifier(inner: StatusNotifier, metrics: Metrics, clock: { now(): Date }): StatusNotifier {
  return {
    async statusChanged(message) {
      if (message.direction === 'outbound') {
        metrics.messages.inc({ direction: 'outbound', status: message.status });
        if (message.status === 'sent') metrics.deliveryLatency.observe({ direction: 'outbound' }, secondsSince(message.createdAt, clock.now()));
      }
      return inner.statusChanged(message);
    },
  };
}

/** A delivery handler that times a message's way into chat, once it is posted somewhere. */
export function timedDelivery(deliver: (id: string) => Promise<void>, store: Store, metrics: Metrics, clock: { now(): Date }) {
  return async (messageId: string): Promise<void> => {
    const before = store.posts.listForMessage(messageId).length;
    await deliver(messageId);
    const message = store.messages.get(messageId);
    if (!message || message.direction === 'outbound') return;
    // Only the run that made its first post counts (not retries, not the mirror of a chat reply).
    if (before === 0 && store.posts.listForMessage(messageId).length > 0) {
      metrics.deliveryLatency.observe({ direction: message.direction }, secondsSince(message.createdAt, clock.now()));
    }
  };
}

/** Job states `smsb_queue_jobs` reports. */
const STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized'] as const;

/** Reads the queues' job counts at scrape time; a queue that does not answer within 1 s is left out. */
export function collectQueueJobs(metrics: Metrics, queues: Queue[]): void {
  metrics.addQueueJobsCollector(async () => {
    const rows = await Promise.all(
      queues.map(async (q) => {
        const counts = await Promise.race([
          q.getJobCounts(...STATES),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error('queue did not answer')), 1_000).unref()),
        ]);
        return STATES.map((state) => ({ queue: q.name, state, count: counts[state] ?? 0 }));
      }),
    );
    return rows.flat();
  });
}
