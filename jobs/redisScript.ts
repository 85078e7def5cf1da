// Small typed wrapper over ioredis `defineCommand`: our Lua scripts (lanes, rate limiter) are
// loaded once per connection and called with EVALSHA, so every decision they make is atomic in
// Redis and costs one round trip, whichever worker or process asks.
import type { Redis } from 'ioredis';

export type ScriptCall<R> = (keys: string[], args: Array<string | number>) => Promise<R>;

export function defineScript<R>(redis: Redis, name: string, numberOfKeys: number, lua: string): ScriptCall<R> {
  const target = redis as unknown as Record<string, unknown>;
  if (typeof target[name] !== 'function') redis.defineCommand(name, { numberOfKeys, lua });
  return (keys, args) => {
    const fn = target[name] as (...a: Array<string | number>) => Promise<R>;
    return fn.call(redis, ...keys, ...args);
  };
}
