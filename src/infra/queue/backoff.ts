// Retry timing for transient failures (issue 4, behaviour 6): exponential backoff with "equal
// jitter" (half fixed, half random), capped. Jitter spreads retries of many messages that failed
// together (a provider outage) so they do not all come back in the same instant. A provider's
// own Retry-After, when it gave one, is a floor.
import { ProviderError, PlatformError } from '../../core/errors.js';

export interface BackoffOptions {
  /** First retry after about this long, ms (default 1000). */
  baseMs: number;
  /** Never wait longer than this between attempts, ms (default 5 minutes). */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1_000, maxMs: 5 * 60_000 };

/** Delay before retry number `attemptsMade` (1 = first retry). */
export function backoffDelay(attemptsMade: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, Math.min(attemptsMade - 1, 30)));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** The wait a provider or platform asked for, if any. */
export function retryAfterOf(err: unknown): number | null {
  if (err instanceof ProviderError || err instanceof PlatformError) return err.retryAfterMs;
  return null;
}

/** Delay before retry number `attemptsMade` of an error: the backoff, or what was asked if longer. */
export function retryDelay(attemptsMade: number, err: unknown, opts: BackoffOptions): number {
  return Math.max(backoffDelay(attemptsMade, opts), retryAfterOf(err) ?? 0);
}
