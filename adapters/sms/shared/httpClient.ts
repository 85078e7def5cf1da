// One place where provider REST calls meet the network: a timeout on every call, and network
// failures turned into retryable ProviderErrors. Interpreting the answer is each client's job.
//
// Network failures come in two kinds the send worker must tell apart (exactly-one-send rule):
//  - the connection never opened (refused, unreachable, DNS, connect timeout): the request never
//    left, nothing can have been sent, so sending again is safe -> providerCode CONNECT_FAILED;
//  - anything after the connection opened (no answer in time, connection dropped mid-call): the
//    provider may have accepted the message -> providerCode 'timeout' or the socket error code,
//    and a non-idempotent provider must not be called again for it.
// The connect phase has its own, shorter timeout (a dispatcher with `connect.timeout`), so a
// connection that cannot be opened is reported as CONNECT_FAILED before the whole-call budget
// runs out. Only an abort of the whole call is ambiguous: it is reported as 'timeout'.
import { Agent, request, type Dispatcher } from 'undici';
import { CONNECT_ERROR_CODES, CONNECT_FAILED, ProviderError } from '../../../src/core/errors.js';

/** providerCode of a call whose connection never opened: nothing was sent, safe to retry. */
export { CONNECT_FAILED };
/** providerCode of a call that got no answer in time: the provider may have accepted it. */
export const NO_ANSWER_TIMEOUT = 'timeout';


const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export interface ProviderHttpRequest {
  provider: string;
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Whole-call budget; the provider may have accepted the message when it runs out. */
  timeoutMs: number;
  /** Budget for opening the connection (default: half the call budget, at most 10 s). */
  connectTimeoutMs?: number;
}

export interface ProviderHttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

// One keep-alive pool per connect timeout (in practice one or two: the clients' configured values).
const dispatchers = new Map<number, Dispatcher>();
function dispatcherFor(connectTimeoutMs: number): Dispatcher {
  let d = dispatchers.get(connectTimeoutMs);
  if (!d) {
    d = new Agent({ connect: { timeout: connectTimeoutMs } });
    dispatchers.set(connectTimeoutMs, d);
  }
  return d;
}

export function connectTimeoutFor(req: Pick<ProviderHttpRequest, 'timeoutMs' | 'connectTimeoutMs'>): number {
  if (req.connectTimeoutMs !== undefined) return Math.max(1, Math.floor(req.connectTimeoutMs));
  return Math.max(1, Math.min(DEFAULT_CONNECT_TIMEOUT_MS, Math.floor(req.timeoutMs / 2)));
}

type NetError = { name?: string; code?: string; message?: string; cause?: unknown };

/** What a network error means for the send: never connected, no answer in time, or other. */
export function classifyNetworkError(err: unknown): { kind: 'connect' | 'timeout' | 'other'; code: string | null } {
  const e = (err ?? {}) as NetError;
  const cause = (typeof e.cause === 'object' && e.cause !== null ? e.cause : {}) as NetError;
  const code = e.code ?? cause.code ?? null;
  if (code !== null && CONNECT_ERROR_CODES.has(code)) return { kind: 'connect', code };
  if (
    e.name === 'TimeoutError' ||
    e.name === 'AbortError' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_ABORTED'
  ) {
    return { kind: 'timeout', code };
  }
  return { kind: 'other', code };
}

export async function providerRequest(req: ProviderHttpRequest): Promise<ProviderHttpResponse> {
  try {
    const res = await request(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      dispatcher: dispatcherFor(connectTimeoutFor(req)),
      signal: AbortSignal.timeout(req.timeoutMs),
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text };
  } catch (err) {
    const e = err as NetError;
    const c = classifyNetworkError(err);
    // Retryable in every case; whether a retry may SEND again is the worker's call (providerCode).
    if (c.kind === 'connect') {
      throw new ProviderError({
        provider: req.provider,
        message: `could not connect to ${req.provider} (${c.code ?? 'connect error'}); nothing was sent`,
        providerCode: CONNECT_FAILED,
        retryable: true,
      });
    }
    throw new ProviderError({
      provider: req.provider,
      message:
        c.kind === 'timeout'
          ? `${req.provider} did not answer within ${req.timeoutMs} ms`
          : `lost the connection to ${req.provider}: ${c.code ?? e.message ?? 'network error'}`,
      providerCode: c.kind === 'timeout' ? NO_ANSWER_TIMEOUT : (c.code ?? 'network'),
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
