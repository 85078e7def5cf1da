// One place where provider REST calls meet the network: a timeout on every call, and network
// failures turned into retryable ProviderErrors. Interpreting the answer is each client's job.
import { request } from 'undici';
import { ProviderError } from '../../../src/core/errors.js';

export interface ProviderHttpRequest {
  provider: string;
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Whole-call budget; the provider may have accepted the message when it runs out. */
  timeoutMs: number;
}

export interface ProviderHttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export async function providerRequest(req: ProviderHttpRequest): Promise<ProviderHttpResponse> {
  try {
    const res = await request(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal: AbortSignal.timeout(req.timeoutMs),
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text };
  } catch (err) {
    const e = err as { name?: string; code?: string; message?: string };
    const timedOut =
      e.name === 'TimeoutError' ||
      e.name === 'AbortError' ||
      e.code === 'UND_ERR_HEADERS_TIMEOUT' ||
      e.code === 'UND_ERR_BODY_TIMEOUT' ||
      e.code === 'UND_ERR_CONNECT_TIMEOUT';
    // Retryable either way. A timeout is ambiguous (the provider may have accepted the message):
    // the send worker's ledger / the provider's idempotency key deals with that window.
    throw new ProviderError({
      provider: req.provider,
      message: timedOut
        ? `${req.provider} did not answer within ${req.timeoutMs} ms`
        : `could not reach ${req.provider}: ${e.code ?? e.message ?? 'network error'}`,
      providerCode: timedOut ? 'timeout' : (e.code ?? 'network'),
      retryable: true,
    });
  }
}

/** JSON.parse that returns null instead of throwing (provider error bodies are not always JSON). */
export function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

export function headerValue(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
