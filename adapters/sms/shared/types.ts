// What every SMS adapter factory takes and returns, so main.ts wires all providers alike and a
// fourth provider is one more folder.
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { Clock, SmsProvider, StatusNotifier, Store, TurnQueue } from '../../../src/core/ports.js';
import type { MediaSourcePolicy } from '../../../src/media/hostRules.js';
import type { Metrics } from '../../../src/metrics.js';

export interface SmsAdapterDeps {
  store: Store;
  clock: Clock;
  /** Wakes chat delivery of stored inbound messages (their outbox items). */
  queue: TurnQueue;
  /** Told when a status callback moved a message forward. */
  notifier?: StatusNotifier;
  logger?: Logger;
  /** The bridge's metrics (ctx.metrics); counts webhooks and messages. */
  metrics?: Metrics;
}

export interface SmsAdapter {
  provider: SmsProvider;
  /** Express router with the provider's webhook routes at their full paths; mount at '/'. */
  router: Router;
  /** Where this provider's inbound media may be fetched from; give it to createMediaFetcher. */
  mediaSource: MediaSourcePolicy;
}
