// Counting at the SMS edge, on the bridge's own Metrics (src/metrics.ts): webhooks by source and
// outcome, messages by direction and status, plus one counter of our own for media downloads
// (created once on the shared registry; prom-client refuses a second registration).
import { Counter } from 'prom-client';
import type { Metrics } from '../../../src/metrics.js';

export interface SmsMetrics {
  inbound(provider: string, duplicate: boolean): void;
  webhookRejected(provider: string, outcome: 'rejected' | 'invalid' | 'error'): void;
  /** A status callback: accepted when it changed the message, else ignored. */
  status(provider: string, changed: boolean): void;
  /** A status callback naming a message another provider carried: outcome other_provider. */
  statusFromOtherProvider(provider: string): void;
  media(provider: string, result: 'stored' | 'refused' | 'failed'): void;
}

const MEDIA_COUNTER = 'smsb_media_downloads_total';

export function createSmsMetrics(m?: Metrics): SmsMetrics {
  if (!m) return { inbound() {}, webhookRejected() {}, status() {}, statusFromOtherProvider() {}, media() {} };
  const media =
    (m.registry.getSingleMetric(MEDIA_COUNTER) as Counter<'provider' | 'result'> | undefined) ??
    new Counter({
      name: MEDIA_COUNTER,
      help: 'Inbound media downloads by provider and result (stored, refused, failed)',
      labelNames: ['provider', 'result'] as const,
      registers: [m.registry],
    });
  return {
    inbound(provider, duplicate) {
      m.webhooks.inc({ source: provider, outcome: duplicate ? 'duplicate' : 'accepted' });
      if (!duplicate) m.messages.inc({ direction: 'inbound', status: 'received' });
    },
    webhookRejected: (provider, outcome) => m.webhooks.inc({ source: provider, outcome }),
    // The status itself is counted where every change of an outbound message is heard (the
    // pipeline's notifier, src/pipelineMetrics.ts), callbacks and send worker alike. A callback
    // that changed nothing (a repeat, or about a message we do not track) is 'ignored'.
    status(provider, changed) {
      m.webhooks.inc({ source: provider, outcome: changed ? 'accepted' : 'ignored' });
    },
    // Counted apart from 'ignored': a provider naming messages it never carried is a
    // misconfiguration or an attack, worth an alert of its own.
    statusFromOtherProvider: (provider) => m.webhooks.inc({ source: provider, outcome: 'other_provider' }),
    media: (provider, result) => media.inc({ provider, result }),
  };
}
