// Twilio adapter factory: the SmsProvider (send) plus its webhook router and media policy.
import { pino } from 'pino';
import type { SentMessageFinder, SmsProvider, SmsProviderCapabilities } from '../../../src/core/ports.js';
import { httpsHostRule, ruleFromUrl } from '../../../src/media/hostRules.js';
import type { MediaSourcePolicy } from '../../../src/media/hostRules.js';
import { createIngest } from '../shared/ingest.js';
import { createSmsMetrics } from '../shared/metrics.js';
import type { SmsAdapter, SmsAdapterDeps } from '../shared/types.js';
import { basicAuth, twilioSend } from './client.js';
import { TWILIO_PROVIDER_ID } from './parse.js';
import { twilioFindSentMessages } from './sentMessages.js';
import { createTwilioRouter, TWILIO_STATUS_PATH } from './routes.js';

export interface TwilioConfig {
  accountSid: string;
  authToken: string;
  /** TWILIO_API_URL (default https://api.twilio.com). */
  apiUrl: string;
  /** PUBLIC_URL: used to check signatures and to build StatusCallback. */
  publicUrl: string;
  timeoutMs?: number;
  /** Extra media hosts ("host", "*.suffix"), HTTPS only; the defaults cover Twilio's own. */
  extraMediaHosts?: string[];
}

/** Twilio MMS: at most 10 media, 5 MB in all (product rule 5). */
export const TWILIO_CAPABILITIES: SmsProviderCapabilities = {
  mms: true,
  maxMediaFiles: 10,
  maxMediaBytes: 5 * 1024 * 1024,
  idempotentSend: false,
};

export function twilioMediaSource(cfg: Pick<TwilioConfig, 'accountSid' | 'authToken' | 'apiUrl' | 'extraMediaHosts'>): MediaSourcePolicy {
  const api = [httpsHostRule('api.twilio.com'), ruleFromUrl(cfg.apiUrl)];
  return {
    // Media URLs point at api.twilio.com, which redirects to Twilio's CDN (pre-signed).
    allowed: [...api, httpsHostRule('*.twiliocdn.com'), ...(cfg.extraMediaHosts ?? []).map(httpsHostRule)],
    authorization: basicAuth(cfg.accountSid, cfg.authToken),
    authHosts: api,
  };
}

export function createTwilioProvider(config: TwilioConfig, deps: SmsAdapterDeps): SmsAdapter {
  const logger = (deps.logger ?? pino({ level: 'silent' })).child({ provider: TWILIO_PROVIDER_ID });
  const metrics = createSmsMetrics(deps.metrics);
  const ingest = createIngest({ ...deps, logger, metrics });
  const statusCallbackUrl = config.publicUrl.replace(/\/+$/, '') + TWILIO_STATUS_PATH;

  const api = { accountSid: config.accountSid, authToken: config.authToken, apiUrl: config.apiUrl, timeoutMs: config.timeoutMs };
  // No idempotency key for sends: a send whose outcome is unknown is looked up instead.
  const provider: SmsProvider & SentMessageFinder = {
    id: TWILIO_PROVIDER_ID,
    capabilities: TWILIO_CAPABILITIES,
    send: (sms) => twilioSend({ ...api, statusCallbackUrl }, sms),
    findSentMessages: (q) => twilioFindSentMessages(api, q),
  };
  const router = createTwilioRouter({ authToken: config.authToken, publicUrl: config.publicUrl, ingest, logger, metrics });
  return { provider, router, mediaSource: twilioMediaSource(config) };
}

export { computeTwilioSignature, verifyTwilioSignature, urlVariants } from './verify.js';
export { parseTwilioInbound, parseTwilioStatus, mapTwilioStatus, TWILIO_PROVIDER_ID } from './parse.js';
export { TWILIO_SMS_PATH, TWILIO_STATUS_PATH } from './routes.js';
