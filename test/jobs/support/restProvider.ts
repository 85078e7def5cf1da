// An SmsProvider that talks to the fake provider (fakeProvider.ts) through the SMS adapters' real
// HTTP client (adapters/sms/shared/httpClient.ts `providerRequest`), so the pipeline tests see the
// exact network error mapping of the Twilio and 8x8 clients: 'connect_failed' when the connection
// never opened, 'timeout' when the provider took the request and did not answer in time.
// `url()` is asked on every send, so a test can point it at a closed port and back.
import { createServer } from 'node:net';
import { ProviderError } from '../../../src/core/errors.js';
import type { SendResult, SmsProvider } from '../../../src/core/ports.js';
import type { OutboundSms } from '../../../src/core/types.js';
import { providerRequest, tryParseJson } from '../../../adapters/sms/shared/httpClient.js';

export function restSmsProvider(opts: {
  id: string;
  url: () => string;
  idempotent?: boolean;
  timeoutMs?: number;
  connectTimeoutMs?: number;
}): SmsProvider & { close(): Promise<void> } {
  return {
    id: opts.id,
    capabilities: { mms: true, maxMediaFiles: 10, maxMediaBytes: 5 * 1024 * 1024, idempotentSend: opts.idempotent ?? false },
    async send(sms: OutboundSms): Promise<SendResult> {
      const res = await providerRequest({
        provider: opts.id,
        method: 'POST',
        url: `${opts.url()}/send`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(sms),
        timeoutMs: opts.timeoutMs ?? 5_000,
        connectTimeoutMs: opts.connectTimeoutMs,
      });
      const json = (tryParseJson(res.text) ?? {}) as Record<string, unknown>;
      if (res.status === 200) return { providerMessageId: String(json.id), status: 'queued' };
      const code = typeof json.code === 'string' ? json.code : null;
      throw new ProviderError({
        provider: opts.id,
        message: typeof json.message === 'string' ? json.message : `HTTP ${res.status}`,
        providerCode: code,
        httpStatus: res.status,
        retryable: res.status === 429 || res.status >= 500,
        optedOut: json.optedOut === true,
      });
    },
    close: () => Promise.resolve(),
  };
}

/** A 127.0.0.1 URL nobody listens on (a port just released): connecting is refused. */
export async function closedPortUrl(): Promise<string> {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = s.address() as { port: number };
      s.close(() => resolve(p));
    });
  });
  return `http://127.0.0.1:${port}`;
}
