// Our Lua scripts live in ./lua (shipped with the build): each is loaded once per connection with
// ioredis `defineCommand` and called by EVALSHA, so every decision it makes is atomic in Redis and
// costs one round trip. They touch only keys of ours (keys.ts), never a key BullMQ owns.
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

export type ScriptCall<R> = (keys: string[], args: Array<string | number>) => Promise<R>;

const QUEUE_LUA = new URL('./lua/', import.meta.url);

/** The text of <dir>/<file> (default: the queue's ./lua folder). */
export function luaSource(file: string, dir: URL = QUEUE_LUA): string {
  return readFileSync(new URL(file, dir), 'utf8');
}

/**
 * `dir` is the folder of the script (a URL ending in /); file names must be unique across folders.
 * `numberOfKeys` null: the key count varies, and each call passes it as its first argument.
 */
export function defineScript<R>(redis: Redis, file: string, numberOfKeys: number | null, dir: URL = QUEUE_LUA): ScriptCall<R> {
  const name = `smsb_${file.replace(/\.lua$/, '').replace(/[^A-Za-z0-9]/g, '_')}`;
  const target = redis as unknown as Record<string, unknown>;
  if (typeof target[name] !== 'function') redis.defineCommand(name, { numberOfKeys: numberOfKeys ?? undefined, lua: luaSource(file, dir) });
  return (keys, args) => {
    const fn = target[name] as (...a: Array<string | number>) => Promise<R>;
    return fn.call(redis, ...keys, ...args);
  };
}
