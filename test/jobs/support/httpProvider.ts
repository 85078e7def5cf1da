// A tiny SmsProvider over HTTP to the fake provider (fakeProvider.ts), translating answers into
// the core's ProviderError the way real adapters do: 429 + Retry-After, 5xx retryable, 4xx
// permanent with the provider's code, `optedOut` for an opted-out recipient, and network errors
// retryable with no HTTP status (ambiguous: the request may have arrived).
import { Agent, request } from 'undici';
import { ProviderError } from '../../../src/core/errors.js';
import type { SendResult, SmsProvider } from '../../../src/core/ports.js';
import type { OutboundSms } from '../../../src/core/types.js';

export function httpSmsProvider(opts: {
  id?: string;
  url: string;
  idempotent?: boolean;
  timeoutMs?: number;
  connections?: number;
}): SmsProvider & { close(): Promise<void> } {
  const id = opts.id ?? 'fake';
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const dispatcher = new Agent({ connections: opts.connections ?? 64, keepAliveTimeout: 30_000 });
  return {
    id,
    capabilities: { mms: true, maxMediaFiles: 10, maxMediaBytes: 5 * 1024 * 1024, idempotentSend: opts.idempotent ?? false },
    async send(sms: OutboundSms): Promise<SendResult> {
      let status: number;
      let headers: Record<string, string | string[] | undefined>;
      let json: Record<string, unknown>;
      try {
        const res = await request(`${opts.url}/send`, {
          method: 'POST',
          dispatcher,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(sms),
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        status = res.statusCode;
        headers = res.headers;
        json = (await res.body.json()) as Record<string, unknown>;
      } catch (err) {
        const e = err as { code?: string; message?: string };
        throw new ProviderError({ provider: id, message: `could not reach ${id}: ${e.code ?? e.message}`, providerCode: e.code ?? 'network', retryable: true });
      }
      if (status === 200) return { providerMessageId: String(json.id), status: 'queued' };
      const code = typeof json.code === 'string' ? json.code : null;
      const message = typeof json.message === 'string' ? json.message : `HTTP ${status}`;
      if (status === 429) {
        const ra = headers['retry-after'];
        const seconds = Number(Array.isArray(ra) ? ra[0] : ra);
        return Promise.reject(
          new ProviderError({ provider: id, message: 'rate limited', providerCode: code, httpStatus: 429, retryable: true, retryAfterMs: Number.isFinite(seconds) ? seconds * 1000 : null }),
        );
      }
      if (status >= 500) throw new ProviderError({ provider: id, message: `unavailable (HTTP ${status})`, providerCode: code, httpStatus: status, retryable: true });
      throw new ProviderError({ provider: id, message, providerCode: code, httpStatus: status, retryable: false, optedOut: json.optedOut === true });
    },
    close: () => dispatcher.close(),
  };
}
