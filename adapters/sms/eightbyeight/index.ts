// 8x8 adapter factory: the SmsProvider (send) plus its webhook router and media policy.
import { pino } from 'pino';
import type { SmsProvider, SmsProviderCapabilities } from '../../../src/core/ports.js';
import { ANY_PUBLIC_HTTPS_HOST, httpsHostRule, ruleFromUrl } from '../../../src/media/hostRules.js';
import type { MediaSourcePolicy } from '../../../src/media/hostRules.js';
import { createIngest } from '../shared/ingest.js';
import { createSmsMetrics } from '../shared/metrics.js';
import type { SmsAdapter, SmsAdapterDeps } from '../shared/types.js';
import { eightByEightSend } from './client.js';
import { EIGHTX8_PROVIDER_ID } from './parse.js';
import { createEightByEightRouter, EIGHTX8_WEBHOOK_PATH } from './routes.js';

export interface EightByEightConfig {
  apiKey: string;
  subaccountId: string;
  /** EIGHTX8_API_URL (default https://sms.us.8x8.com). */
  apiUrl: string;
  /** EIGHTX8_WEBHOOK_AUTH: the exact Authorization header 8x8 sends with webhooks. */
  webhookAuth: string;
  /** PUBLIC_URL; when set, sends carry dlrCallbackUrl = PUBLIC_URL + /webhooks/8x8. */
  publicUrl: string | null;
  timeoutMs?: number;
  /**
   * EIGHTX8_MEDIA_HOSTS: the only hosts 8x8's inbound media links may use besides the API host
   * ("host" or "*.suffix", HTTPS). Unset or empty: any public HTTPS host (8x8 copies inbound media
   * to its own storage and sends pre-signed links valid for a day, without naming the host).
   */
  mediaHosts?: string[] | null;
}

/**
 * 8x8 MMS: US/Canada only, up to 10 media URLs (HTTPS) per message. 8x8 documents no size limit,
 * so the carriers' usual 5 MB total is assumed (conservative; see the issue note).
 */
export const EIGHTX8_CAPABILITIES: SmsProviderCapabilities = {
  mms: true,
  maxMediaFiles: 10,
  maxMediaBytes: 5 * 1024 * 1024,
  idempotentSend: true,
};

export function eightByEightMediaSource(cfg: Pick<EightByEightConfig, 'apiUrl' | 'mediaHosts'>): MediaSourcePolicy {
  // Pre-signed links: no credentials are sent with them. Private addresses stay refused either way.
  const hosts = cfg.mediaHosts && cfg.mediaHosts.length > 0 ? cfg.mediaHosts.map(httpsHostRule) : [ANY_PUBLIC_HTTPS_HOST];
  return { allowed: [ruleFromUrl(cfg.apiUrl), ...hosts] };
}

export function createEightByEightProvider(config: EightByEightConfig, deps: SmsAdapterDeps): SmsAdapter {
  const logger = (deps.logger ?? pino({ level: 'silent' })).child({ provider: EIGHTX8_PROVIDER_ID });
  const metrics = createSmsMetrics(deps.metrics);
  const ingest = createIngest({ ...deps, logger, metrics });
  const dlrCallbackUrl = config.publicUrl ? config.publicUrl.replace(/\/+$/, '') + EIGHTX8_WEBHOOK_PATH : null;

  const provider: SmsProvider = {
    id: EIGHTX8_PROVIDER_ID,
    capabilities: EIGHTX8_CAPABILITIES,
    send: (sms) =>
      eightByEightSend(
        { apiKey: config.apiKey, subaccountId: config.subaccountId, apiUrl: config.apiUrl, dlrCallbackUrl, timeoutMs: config.timeoutMs },
        sms,
      ),
  };
  const router = createEightByEightRouter({ webhookAuth: config.webhookAuth, ingest, logger, metrics });
  return { provider, router, mediaSource: eightByEightMediaSource(config) };
}

export { parseEightByEightEvent, mapEightByEightState, EIGHTX8_PROVIDER_ID } from './parse.js';
export { EIGHTX8_WEBHOOK_PATH } from './routes.js';
