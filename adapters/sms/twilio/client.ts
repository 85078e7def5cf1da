// Twilio Messages API: send one SMS/MMS and turn Twilio's answer into SendResult or a typed
// ProviderError the send worker can act on (retry, wait, mark opted out, give up).
import { ACCEPTED_WITHOUT_ID, ProviderError } from '../../../src/core/errors.js';
import type { SendResult } from '../../../src/core/ports.js';
import type { OutboundSms } from '../../../src/core/types.js';
import { headerValue, providerRequest, tryParseJson } from '../shared/httpClient.js';
import { parseRetryAfter } from '../shared/retryAfter.js';
import { mapTwilioStatus, TWILIO_PROVIDER_ID, twilioErrorReason } from './parse.js';

export interface TwilioClientConfig {
  accountSid: string;
  authToken: string;
  /** TWILIO_API_URL, e.g. https://api.twilio.com */
  apiUrl: string;
  /** PUBLIC_URL + /webhooks/twilio/status; null sends no StatusCallback. */
  statusCallbackUrl: string | null;
  timeoutMs?: number;
}

/** Codes after which sending the same message again cannot succeed. */
const PERMANENT_CODES = new Set(['21211', '21214', '21408', '21602', '21603', '21604', '21606', '21612', '21614', '21617', '21660', '21610']);

export function twilioMessagesUrl(apiUrl: string, accountSid: string): string {
  return `${apiUrl.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json`;
}

export function basicAuth(user: string, password: string): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
}

export async function twilioSend(cfg: TwilioClientConfig, sms: OutboundSms): Promise<SendResult> {
  const form = new URLSearchParams();
  form.append('To', sms.to);
  form.append('From', sms.from);
  // Twilio wants Body or MediaUrl; an MMS may have no text.
  if (sms.body !== '' || sms.mediaUrls.length === 0) form.append('Body', sms.body);
  for (const url of sms.mediaUrls) form.append('MediaUrl', url);
  // Our send key rides in the callback URL (Twilio signs the URL it calls, query included): a
  // receipt that beats the send's answer (a fast 'undelivered') still finds its message.
  if (cfg.statusCallbackUrl) form.append('StatusCallback', `${cfg.statusCallbackUrl}?send=${encodeURIComponent(sms.messageId)}`);

  const res = await providerRequest({
    provider: TWILIO_PROVIDER_ID,
    method: 'POST',
    url: twilioMessagesUrl(cfg.apiUrl, cfg.accountSid),
    headers: {
      authorization: basicAuth(cfg.accountSid, cfg.authToken),
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: form.toString(),
    timeoutMs: cfg.timeoutMs ?? 15_000,
  });

  const json = tryParseJson(res.text) as Record<string, unknown> | null;
  if (res.status >= 200 && res.status < 300) {
    const sid = json && typeof json.sid === 'string' ? json.sid : null;
    if (!sid) {
      // Accepted but unreadable: sending again could duplicate, so do not retry blindly.
      throw new ProviderError({
        provider: TWILIO_PROVIDER_ID,
        message: 'Twilio accepted the message but returned no sid',
        providerCode: ACCEPTED_WITHOUT_ID,
        retryable: false,
        httpStatus: res.status,
      });
    }
    const status = typeof json?.status === 'string' ? mapTwilioStatus(json.status) : null;
    return { providerMessageId: sid, status: status ?? 'queued' };
  }
  throw twilioError(res.status, json, headerValue(res.headers, 'retry-after'));
}

/** Twilio error JSON is {code, message, more_info, status}. */
export function twilioError(httpStatus: number, json: Record<string, unknown> | null, retryAfter: string | undefined): ProviderError {
  const code = json && (typeof json.code === 'number' || typeof json.code === 'string') ? String(json.code) : null;
  const text = json && typeof json.message === 'string' ? json.message : null;
  const retryAfterMs = parseRetryAfter(retryAfter);
  const base = { provider: TWILIO_PROVIDER_ID, providerCode: code, httpStatus };

  if (httpStatus === 429 || code === '20429') {
    return new ProviderError({ ...base, message: 'Twilio rate limit: too many requests', retryable: true, retryAfterMs });
  }
  if (code === '21610') {
    return new ProviderError({ ...base, message: twilioErrorReason(code, text), retryable: false, optedOut: true });
  }
  if (code && PERMANENT_CODES.has(code)) {
    return new ProviderError({ ...base, message: twilioErrorReason(code, text), retryable: false });
  }
  if (httpStatus >= 500) {
    return new ProviderError({ ...base, message: `Twilio is unavailable (HTTP ${httpStatus})`, retryable: true, retryAfterMs });
  }
  if (httpStatus === 401 || httpStatus === 403) {
    return new ProviderError({ ...base, message: 'Twilio rejected the account credentials', retryable: false });
  }
  return new ProviderError({
    ...base,
    message: code ? twilioErrorReason(code, text) : `Twilio refused the message (HTTP ${httpStatus})`,
    retryable: false,
  });
}
