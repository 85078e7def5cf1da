// Counts failed attempts per key (a client address) over a sliding window, to refuse a key that
// failed too often. The methods are async so a shared implementation (Redis, for several
// instances behind one balancer) can replace the in-memory one without touching its callers.

export interface FailureLimiter {
  /** Milliseconds until `key` may try again; 0 when it may try now. */
  retryAfterMs(key: string): Promise<number>;
  /** Counts one failed attempt by `key`. */
  recordFailure(key: string): Promise<void>;
}

export interface MemoryFailureLimiterOptions {
  /** Failures within `windowMs` after which the key must wait. */
  limit: number;
  windowMs: number;
  now?: () => number;
  /** Keys remembered at most; the one that failed least recently is forgotten first. */
  maxKeys?: number;
}

/**
 * One process's count: each key keeps the times of its last `limit` failures. It must wait while
 * `limit` of them lie within the window, i.e. until the oldest of those leaves it.
 */
export function memoryFailureLimiter(opts: MemoryFailureLimiterOptions): FailureLimiter {
  const { limit, windowMs } = opts;
  const now = opts.now ?? Date.now;
  const maxKeys = opts.maxKeys ?? 10_000;
  // Insertion order is the order of last failure (a key is re-inserted on each), for eviction.
  const failures = new Map<string, number[]>();

  const waitFor = (times: number[], at: number): number => {
    if (times.length < limit) return 0;
    return Math.max(0, times[times.length - limit]! + windowMs - at);
  };

  return {
    async retryAfterMs(key) {
      const times = failures.get(key);
      if (!times) return 0;
      const at = now();
      if (times[times.length - 1]! + windowMs <= at) failures.delete(key); // all expired
      return waitFor(times, at);
    },
    async recordFailure(key) {
      const times = failures.get(key) ?? [];
      failures.delete(key);
      times.push(now());
      if (times.length > limit) times.splice(0, times.length - limit);
      failures.set(key, times);
      if (failures.size > maxKeys) failures.delete(failures.keys().next().value!);
    },
  };
}
