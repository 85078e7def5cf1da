// Redis for tests: the real server at 127.0.0.1:6379, each test under its own key prefix (BullMQ
// queue prefix / QUEUE_PREFIX), cleaned up afterwards by SCAN + DEL of that prefix only, so tests
// running side by side (and other helpers' runs on the same server) never touch each other's keys.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = 'redis://127.0.0.1:6379';

/** A connection BullMQ accepts (no per-request retry limit), optionally named (CLIENT SETNAME). */
export function newRedis(url = REDIS_URL, connectionName?: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, ...(connectionName ? { connectionName } : {}) });
  // Reconnects are expected (Redis-restart tests, shutdown races); ioredis retries on its own.
  redis.on('error', () => undefined);
  return redis;
}

/** A fresh key prefix for one test's queues and rate-limiter state. */
export function uniquePrefix(): string {
  return `test-${randomUUID()}`;
}

/** Every key under the prefix, by SCAN (never KEYS, which blocks the server). */
async function scanPrefix(redis: Redis, prefix: string, each: (keys: string[]) => Promise<unknown>): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await each(keys);
  } while (cursor !== '0');
}

/** Deletes every key under the prefix (queues, lanes, rate-limiter state). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  await scanPrefix(redis, prefix, (keys) => redis.del(...keys));
}

/** How many keys exist under the prefix. */
export async function countPrefixKeys(redis: Redis, prefix: string): Promise<number> {
  const seen = new Set<string>(); // SCAN may return a key more than once
  await scanPrefix(redis, prefix, async (keys) => {
    for (const k of keys) seen.add(k);
  });
  return seen.size;
}

/** Runs fn with a short-lived connection of its own, closed afterwards. */
export async function withRedis<T>(fn: (redis: Redis) => Promise<T>, url = REDIS_URL): Promise<T> {
  const redis = newRedis(url);
  try {
    return await fn(redis);
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}
