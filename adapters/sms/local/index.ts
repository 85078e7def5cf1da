// Local dev provider factory: an SmsProvider over the store's shared dev outbox plus its admin-guarded dev-phone routes.
import type { RequestHandler } from 'express';
import { pino } from 'pino';
import { ruleFromUrl } from '../../../src/media/hostRules.js';
import { createIngest } from '../shared/ingest.js';
import { createSmsMetrics } from '../shared/metrics.js';
import type { SmsAdapter, SmsAdapterDeps } from '../shared/types.js';
import { createLocalSmsProvider, LOCAL_PROVIDER_ID, type LocalOutboxStore, type LocalSmsProvider } from './provider.js';
import { createLocalRouter } from './routes.js';

export interface LocalConfig {
  /** requireAdmin(config.adminToken) from src/admin/auth.ts: guards the dev routes. */
  requireAdmin: RequestHandler;
  /**
   * Base URLs (scheme://host[:port]) injected media links may point at. Default none: every
   * injected media link is refused as outside the provider.
   */
  mediaBaseUrls?: string[];
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
  const router = createLocalRouter({ provider, requireAdmin: config.requireAdmin, ingest, numbers: deps.store.numbers, logger, metrics });
  return { provider, router, mediaSource: { allowed: (config.mediaBaseUrls ?? []).map(ruleFromUrl) } };
}

export { LOCAL_PROVIDER_ID, LOCAL_CAPABILITIES } from './provider.js';
export type { LocalFailure, LocalOutboxEntry, LocalSmsProvider } from './provider.js';
export { LOCAL_INBOUND_PATH, LOCAL_OUTBOX_PATH, LOCAL_STATUS_PATH } from './routes.js';
