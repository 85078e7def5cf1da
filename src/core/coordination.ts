// What several bridge instances must agree on beyond the store: who may do a piece of work now
// (locks) and how many chat calls fit a platform's rate limits (pace budgets). Redis implements
// both across instances; memory implementations serve one process and tests.
import { BridgeError } from './errors.js';

/** `limit` calls within any `ms` milliseconds. */
export interface RateWindow {
  limit: number;
  ms: number;
}

export interface PaceBudget {
  /**
   * Takes one call from every window of every key, all or nothing. Answers 0 when taken, else
   * how many ms until a call fits (nothing is taken then).
   */
  take(budgets: ReadonlyArray<{ key: string; windows: readonly RateWindow[] }>): Promise<number>;
}

export interface Locks {
  /**
   * Runs fn while holding `name`, exclusive across instances. Waits up to `waitMs` (default 30 s)
   * for the holder, then throws LockTimeoutError. The lock is renewed while fn runs and expires
   * on its own when its holder dies.
   */
  withLock<T>(name: string, fn: () => Promise<T>, opts?: { waitMs?: number }): Promise<T>;
  /** True for the first caller within `ttlMs`, false for every later one (duplicate events). */
  claimOnce(name: string, ttlMs: number): Promise<boolean>;
}

/** A lock stayed held by someone else for longer than the caller would wait. */
export class LockTimeoutError extends BridgeError {
  constructor(name: string, waitedMs: number) {
    super('unavailable', `lock ${name} still held by another worker after ${waitedMs} ms`, { lock: name });
  }
}
