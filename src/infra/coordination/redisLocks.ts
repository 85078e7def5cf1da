// Locks across instances on Redis: SET NX PX with a token of our own, renewed while the holder
// works, released only by its holder (Lua, so an expired holder cannot free its successor's lock).
// A holder that dies stops renewing, and the lock expires after LOCK_TTL_MS.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LockTimeoutError, type Locks } from '../../core/coordination.js';
import { defineScript, type ScriptCall } from '../queue/script.js';
import { LocalChain } from './chain.js';

const LUA = new URL('./lua/', import.meta.url);

/** How long a lock outlives its last renewal: bounds how long a dead holder blocks others. */
export const LOCK_TTL_MS = 6_000;
const RENEW_EVERY_MS = 1_500;
const DEFAULT_WAIT_MS = 30_000;

export class RedisLocks implements Locks {
  private readonly renew: ScriptCall<number>;
  private readonly release: ScriptCall<number>;
  private readonly chain = new LocalChain();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.renew = defineScript<number>(redis, 'lock-renew.lua', 1, LUA);
    this.release = defineScript<number>(redis, 'lock-release.lua', 1, LUA);
  }

  private key(name: string): string {
    return `${this.prefix}:lock:${name}`;
  }

  withLock<T>(name: string, fn: () => Promise<T>, opts: { waitMs?: number } = {}): Promise<T> {
    return this.chain.run(name, async () => {
      const key = this.key(name);
      const token = randomBytes(8).toString('hex');
      await this.acquire(name, key, token, opts.waitMs ?? DEFAULT_WAIT_MS);
      const timer = setInterval(() => {
        this.renew([key], [token, LOCK_TTL_MS]).catch(() => undefined);
      }, RENEW_EVERY_MS);
      timer.unref();
      try {
        return await fn();
      } finally {
        clearInterval(timer);
        await this.release([key], [token]).catch(() => undefined);
      }
    });
  }

  private async acquire(name: string, key: string, token: string, waitMs: number): Promise<void> {
    const started = Date.now();
    for (let pause = 10; ; pause = Math.min(pause * 2, 200)) {
      if ((await this.redis.set(key, token, 'PX', LOCK_TTL_MS, 'NX')) === 'OK') return;
      const waited = Date.now() - started;
      if (waited >= waitMs) throw new LockTimeoutError(name, waited);
      await new Promise((resolve) => setTimeout(resolve, Math.min(pause, waitMs - waited)));
    }
  }

  async claimOnce(name: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.key(`once:${name}`), '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK';
  }
}
