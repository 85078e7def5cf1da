// 8x8 SMS API: send one SMS/MMS. `clientMessageId` is our message id, which 8x8 echoes in
// delivery receipts and which makes a retried send recognisable (idempotentSend).
import { ACCEPTED_WITHOUT_ID, ProviderError } from '../../../src/core/errors.js';
import type { SendResult } from '../../../src/core/ports.js';
import type { OutboundSms } from '../../../src/core/types.js';
import { headerValue, providerRequest, tryParseJson } from '../shared/httpClient.js';
import { parseRetryAfter } from '../shared/retryAfter.js';
import { EIGHTX8_PROVIDER_ID } from './parse.js';

export interface EightByEightClientConfig {
  apiKey: string;
  subaccountId: string;
  /** EIGHTX8_API_URL, e.g. https://sms.us.8x8.com */
  apiUrl: string;
  /** PUBLIC_URL + /webhooks/8x8, or null to rely on the subaccount's configured webhook. */
  dlrCallbackUrl: string | null;
  timeoutMs?: number;
}

/**
 * 8x8 documents no dedicated opt-out code for a REJECTED send; its description is matched for
 * the usual wording (unconfirmed wire detail, see the issue note).
 */
const OPTED_OUT_TEXT = /opt(?:ed)?[\s-]?out|unsubscri|blacklist|blocklist|\bstop\b/i;

export function eightByEightMessagesUrl(apiUrl: string, subaccountId: string): string {
  return `${apiUrl.replace(/\/+$/, '')}/api/v1/subaccounts/${encodeURIComponent(subaccountId)}/messages`;
}

export async function eightByEightSend(cfg: EightByEightClientConfig, sms: OutboundSms): Promise<SendResult> {
  const payload: Record<string, unknown> = {
    destination: sms.to,
    text: sms.body,
    source: sms.from,
    clientMessageId: sms.messageId,
    encoding: 'AUTO',
  };
  if (cfg.dlrCallbackUrl) payload.dlrCallbackUrl = cfg.dlrCallbackUrl;
  if (sms.mediaUrls.length > 0) payload.mediaUrls = sms.mediaUrls;

  const res = await providerRequest({
    provider: EIGHTX8_PROVIDER_ID,
    method: 'POST',
    url: eightByEightMessagesUrl(cfg.apiUrl, cfg.subaccountId),
    headers: {
      authorization: `Bearer ${cfg.apiKey}`,
      'content-type': 'application/json',
      accept: 'application/json',
    },
    body: JSON.stringify(payload),
    timeoutMs: cfg.timeoutMs ?? 15_000,
  });
  const json = tryParseJson(res.text) as Record<string, unknown> | null;

  if (res.status >= 200 && res.status < 300) {
    const status = json && typeof json.status === 'object' && json.status !== null ? (json.status as Record<string, unknown>) : null;
    const code = typeof status?.code === 'string' ? status.code.toUpperCase() : null;
    const description = typeof status?.description === 'string' ? status.description : null;
    if (code === 'REJECTED') {
      throw new ProviderError({
        provider: EIGHTX8_PROVIDER_ID,
        message: description ? `8x8 rejected the message: ${description}` : '8x8 rejected the message',
        providerCode: 'REJECTED',
        retryable: false,
        optedOut: description !== null && OPTED_OUT_TEXT.test(description),
        httpStatus: res.status,
      });
    }
    const umid = json && typeof json.umid === 'string' ? json.umid : null;
    if (!umid) {
      throw new ProviderError({
        provider: EIGHTX8_PROVIDER_ID,
        message: '8x8 accepted the message but returned no umid',
        providerCode: ACCEPTED_WITHOUT_ID,
        retryable: false,
        httpStatus: res.status,
      });
    }
    return { providerMessageId: umid, status: 'queued' };
  }
  throw eightByEightError(res.status, json, headerValue(res.headers, 'retry-after'));
}

/** 8x8 error bodies are {code, message, errorId, timestamp}; code, message and errorId are kept. */
export function eightByEightError(httpStatus: number, json: Record<string, unknown> | null, retryAfter: string | undefined): ProviderError {
  const code = json && (typeof json.code === 'number' || typeof json.code === 'string') ? String(json.code) : null;
  const text = json && typeof json.message === 'string' ? json.message : null;
  const errorId = json && typeof json.errorId === 'string' ? json.errorId : null;
  const suffix = [text, errorId ? `errorId ${errorId}` : null].filter(Boolean).join(', ');
  const base = { provider: EIGHTX8_PROVIDER_ID, providerCode: code, httpStatus };
  if (httpStatus === 429) {
    return new ProviderError({ ...base, message: `8x8 rate limit: too many requests${suffix ? ` (${suffix})` : ''}`, retryable: true, retryAfterMs: parseRetryAfter(retryAfter) });
  }
  if (httpStatus >= 500) {
    return new ProviderError({ ...base, message: `8x8 is unavailable (HTTP ${httpStatus})${suffix ? `: ${suffix}` : ''}`, retryable: true, retryAfterMs: parseRetryAfter(retryAfter) });
  }
  if (httpStatus === 401 || httpStatus === 403) {
    return new ProviderError({ ...base, message: `8x8 rejected the API key${suffix ? `: ${suffix}` : ''}`, retryable: false });
  }
  return new ProviderError({ ...base, message: `8x8 refused the message (HTTP ${httpStatus})${suffix ? `: ${suffix}` : ''}`, retryable: false });
}
