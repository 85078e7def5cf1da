// Builds every configured SMS provider from the bridge configuration, for the composition root
// (a BridgeModule in src/modules.ts): Twilio when TWILIO_* are set, 8x8 when EIGHTX8_* are set,
// and always the local dev provider (its routes sit behind ADMIN_TOKEN; it sends nothing
// anywhere). Returns one express mount with every webhook route, the provider lookup the send
// worker needs, and the media fetcher the delivery job calls before posting.
import type { Express, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { requireAdmin } from '../../src/admin/auth.js';
import type { Config } from '../../src/config.js';
import type { Clock, SmsProvider, SmsProviderCapabilities, StatusNotifier, Store, TurnQueue } from '../../src/core/ports.js';
import { createMediaFetcher, type MediaFetcher } from '../../src/media/fetcher.js';
import type { MediaSourcePolicy } from '../../src/media/hostRules.js';
import type { Metrics } from '../../src/metrics.js';
import { createEightByEightProvider } from './eightbyeight/index.js';
import { createLocalProvider, type LocalAdapter } from './local/index.js';
import { createSmsMetrics } from './shared/metrics.js';
import type { SmsAdapter } from './shared/types.js';
import { createTwilioProvider } from './twilio/index.js';

export interface SmsProvidersDeps {
  config: Config;
  store: Store;
  clock: Clock;
  queue: TurnQueue;
  notifier?: StatusNotifier;
  logger?: Logger;
  metrics?: Metrics;
  /** Guards the local provider's dev routes; default: requireAdmin(config.adminToken). */
  requireAdmin?: RequestHandler;
  /** Deadline of one inbound media download (tests shorten it). */
  mediaDeadlineMs?: number;
  /** Signed links to stored media (the dev phone shows pictures with them). */
  signMediaUrl?: (mediaId: string, ttlSeconds: number) => string;
  /** The local provider's own delivery receipts (see LocalConfig.receipts); default off. */
  localReceipts?: { deliveredAfterMs: number } | null;
  /** Whether the web inbox shows a number's texts (see LocalConfig.webInboxShows). */
  webInboxShows?: (number: string) => Promise<boolean>;
}

export interface SmsProviders {
  adapters: SmsAdapter[];
  local: LocalAdapter;
  /** For the send worker: the provider that carries a number (ProvisionedNumber.provider). */
  provider(id: string): SmsProvider | null;
  /** For requestOutbound / recheckAtSend. */
  capabilities(id: string): SmsProviderCapabilities | null;
  /** For the delivery job: downloads a message's pending inbound media. */
  mediaFetcher: MediaFetcher;
  /** Adds every provider's webhook / dev route to the app (a src/app.ts Mount). */
  mount(app: Express): void;
}

export function createSmsProviders(deps: SmsProvidersDeps): SmsProviders {
  const { config } = deps;
  const adapterDeps = {
    store: deps.store,
    clock: deps.clock,
    queue: deps.queue,
    notifier: deps.notifier,
    logger: deps.logger,
    metrics: deps.metrics,
  };
  const adapters: SmsAdapter[] = [];
  if (config.twilio.enabled && config.twilio.accountSid && config.twilio.authToken) {
    adapters.push(
      createTwilioProvider(
        { accountSid: config.twilio.accountSid, authToken: config.twilio.authToken, apiUrl: config.twilio.apiUrl, publicUrl: config.publicUrl },
        adapterDeps,
      ),
    );
  }
  if (config.eightx8.enabled && config.eightx8.apiKey && config.eightx8.subaccountId && config.eightx8.webhookAuth) {
    adapters.push(
      createEightByEightProvider(
        {
          apiKey: config.eightx8.apiKey,
          subaccountId: config.eightx8.subaccountId,
          apiUrl: config.eightx8.apiUrl,
          webhookAuth: config.eightx8.webhookAuth,
          publicUrl: config.publicUrl,
          mediaHosts: config.eightx8.mediaHosts,
        },
        adapterDeps,
      ),
    );
  }
  const local = createLocalProvider(
    { requireAdmin: deps.requireAdmin ?? requireAdmin(config.adminToken), signMediaUrl: deps.signMediaUrl, receipts: deps.localReceipts ?? null, webInboxShows: deps.webInboxShows },
    adapterDeps,
  );
  adapters.push(local);

  const byId = new Map(adapters.map((a) => [a.provider.id, a]));
  const sources: Record<string, MediaSourcePolicy> = {};
  for (const a of adapters) sources[a.provider.id] = a.mediaSource;
  const smsMetrics = createSmsMetrics(deps.metrics);
  const mediaFetcher = createMediaFetcher({
    store: deps.store,
    sources,
    maxFileBytes: config.mediaMaxBytes,
    timeoutMs: deps.mediaDeadlineMs,
    logger: deps.logger,
    onResult: (provider, result) => smsMetrics.media(provider, result),
  });

  return {
    adapters,
    local,
    provider: (id) => byId.get(id)?.provider ?? null,
    capabilities: (id) => byId.get(id)?.provider.capabilities ?? null,
    mediaFetcher,
    mount(app) {
      for (const a of adapters) app.use(a.router);
    },
  };
}

export type { SmsAdapter, SmsAdapterDeps } from './shared/types.js';
export { createTwilioProvider } from './twilio/index.js';
export type { TwilioConfig } from './twilio/index.js';
export { createEightByEightProvider } from './eightbyeight/index.js';
export type { EightByEightConfig } from './eightbyeight/index.js';
export { createLocalProvider } from './local/index.js';
export type { LocalAdapter, LocalConfig } from './local/index.js';
