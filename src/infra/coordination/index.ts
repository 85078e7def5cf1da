// The coordination ports on Redis for the composition root (src/app.ts) and the harnesses that
// build an AppContext by hand: every instance on one Redis and queue prefix shares them.
import type { Redis } from 'ioredis';
import type { Locks, PaceBudget } from '../../core/coordination.js';
import { RedisLocks } from './redisLocks.js';
import { RedisPaceBudget } from './redisPace.js';

export { MemoryLocks } from './memoryLocks.js';
export { MemoryPaceBudget } from './memoryPace.js';
export { RedisLocks, RedisPaceBudget };

export function redisCoordination(redis: Redis, prefix: string): { locks: Locks; pace: PaceBudget } {
  return { locks: new RedisLocks(redis, prefix), pace: new RedisPaceBudget(redis, prefix) };
}
