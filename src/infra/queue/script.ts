// Our Lua scripts live in ./lua (shipped with the build): each is loaded once per connection with
// ioredis `defineCommand` and called by EVALSHA, so every decision it makes is atomic in Redis and
// costs one round trip. They touch only keys of ours (keys.ts), never a key BullMQ owns.
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

export type ScriptCall<R> = (keys: string[], args: Array<string | number>) => Promise<R>;

/** The text of ./lua/<file>. */
export function luaSource(file: string): string {
  return readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8');
}

export function defineScript<R>(redis: Redis, file: string, numberOfKeys: number): ScriptCall<R> {
  const name = `smsb_${file.replace(/\.lua$/, '').replace(/[^A-Za-z0-9]/g, '_')}`;
  const target = redis as unknown as Record<string, unknown>;
  if (typeof target[name] !== 'function') redis.defineCommand(name, { numberOfKeys, lua: luaSource(file) });
  return (keys, args) => {
    const fn = target[name] as (...a: Array<string | number>) => Promise<R>;
    return fn.call(redis, ...keys, ...args);
  };
}
