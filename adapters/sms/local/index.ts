// Local dev provider factory: an SmsProvider over the store's shared dev outbox plus its admin-guarded dev-phone routes.
import type { RequestHandler } from 'express';
import { pino } from 'pino';
import { ruleFromUrl } from '../../../src/media/hostRules.js';
import type { Logger } from 'pino';
import { createIngest, type Ingest } from '../shared/ingest.js';
import { createSmsMetrics } from '../shared/metrics.js';
import type { SmsAdapter, SmsAdapterDeps } from '../shared/types.js';
import { createLocalSmsProvider, LOCAL_PROVIDER_ID, type LocalOutboxEntry, type LocalOutboxStore, type LocalSmsProvider } from './provider.js';
import { createLocalRouter } from './routes.js';

export interface LocalConfig {
  /** requireAdmin(config.adminToken) from src/admin/auth.ts: guards the dev routes. */
  requireAdmin: RequestHandler;
  /**
   * Base URLs (scheme://host[:port]) injected media links may point at. Default none: every
   * injected media link is refused as outside the provider.
   */
  mediaBaseUrls?: string[];
  /** Signed links to stored pictures, for the dev phone's thread (the bridge's media signer). */
  signMediaUrl?: (mediaId: string, ttlSeconds: number) => string;
  /**
   * Delivery receipts the provider reports itself, as a carrier would: each message it "sent" is
   * marked delivered `deliveredAfterMs` later. Off (null) by default: tests and developers
   * post receipts through POST /admin/api/dev/status instead.
   */
  receipts?: { deliveredAfterMs: number } | null;
  /**
   * Whether the web inbox shows a number's texts (mapped to `web`, or every number while no
   * Slack or Teams runs): an injected text there is routed, though the number has no mapping.
   */
  webInboxShows?: (number: string) => Promise<boolean>;
}

export interface LocalAdapter extends SmsAdapter {
  provider: LocalSmsProvider;
}

export function createLocalProvider(config: LocalConfig, deps: SmsAdapterDeps): LocalAdapter {
  const logger = (deps.logger ?? pino({ level: 'silent' })).child({ provider: LOCAL_PROVIDER_ID });
  const metrics = createSmsMetrics(deps.metrics);
  const ingest = createIngest({ ...deps, logger, metrics });
  // The store's shared outbox when it has one (the SQL store; not the in-memory test store).
  const shared = (deps.store as { localOutbox?: LocalOutboxStore }).localOutbox;
  const provider = createLocalSmsProvider({ clock: deps.clock, outbox: shared });
  const router = createLocalRouter({ provider, requireAdmin: config.requireAdmin, ingest, store: deps.store, signMediaUrl: config.signMediaUrl, webInboxShows: config.webInboxShows, logger, metrics });
  if (config.receipts) reportDeliveries(provider, ingest, config.receipts.deliveredAfterMs, logger);
  // data: URLs: the dev phone's pictures come inline (see routes.ts); no other provider takes them.
  return { provider, router, mediaSource: { allowed: (config.mediaBaseUrls ?? []).map(ruleFromUrl), dataUrls: true } };
}

/** Attempts at a receipt whose message the send worker has not yet marked with our id. */
const RECEIPT_ATTEMPTS = 10;

/**
 * Marks each message this process "sent" delivered after `afterMs`, through the same status path
 * as a provider's callback (so the inbox and the dev phone see sent -> delivered). Best effort:
 * a receipt lost to a shutdown leaves the message "sent", as a real carrier sometimes does.
 */
function reportDeliveries(provider: LocalSmsProvider, ingest: Ingest, afterMs: number, logger: Logger): void {
  provider.events.on('sent', (entry: LocalOutboxEntry) => {
    const attempt = (left: number) => {
      const timer = setTimeout(() => {
        ingest
          .status({ provider: LOCAL_PROVIDER_ID, providerMessageId: entry.providerMessageId, status: 'delivered', errorCode: null, reason: null })
          .then(
            // Not known yet: the send worker records our id right after send() returns.
            (out) => void (out.message === null && left > 1 ? attempt(left - 1) : undefined),
            (err: unknown) => logger.debug({ err, providerMessageId: entry.providerMessageId }, 'local delivery receipt not recorded'),
          );
      }, afterMs);
      timer.unref();
    };
    attempt(RECEIPT_ATTEMPTS);
  });
}

export { LOCAL_PROVIDER_ID, LOCAL_CAPABILITIES } from './provider.js';
export type { LocalFailure, LocalOutboxEntry, LocalSmsProvider } from './provider.js';
export { LOCAL_INBOUND_PATH, LOCAL_OUTBOX_PATH, LOCAL_PHONE_PATH, LOCAL_STATUS_PATH } from './routes.js';
