// The pipeline's share of the metrics (src/metrics.ts), wrapped around the parts the wiring
// builds, so neither the core nor the jobs know about Prometheus:
// - smsb_send_latency_seconds{provider}: each provider send call;
// - smsb_messages_total{direction="outbound", status}: every status an outbound message reaches
//   (queued, sent, delivered, failed, refused, ...), as the status notifier hears of it;
// - smsb_delivery_latency_seconds{direction}: from accepting a message to the provider taking it
//   (outbound, at 'sent') or to its first post in chat (inbound and co-worker messages);
// - smsb_outbox_items{lane, state}, smsb_outbox_oldest_ready_seconds{lane}: the store's outbox,
//   read at each scrape (src/metrics.ts).
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

/**
 * Times a message's way into chat, told by the delivery when it made the message's first post
 * (inbound and co-worker messages; an outbound message's way ends at the provider, above).
 */
export function firstPostTimer(store: Store, metrics: Metrics, clock: { now(): Date }) {
  return async (messageId: string): Promise<void> => {
    const message = await store.messages.get(messageId);
    if (!message || message.direction === 'outbound') return;
    metrics.deliveryLatency.observe({ direction: message.direction }, secondsSince(message.createdAt, clock.now()));
  };
}
