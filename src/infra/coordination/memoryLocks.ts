// Locks for one process (tests, and a bridge without Redis-backed coordination).
import type { Locks } from '../../core/coordination.js';
import { LocalChain } from './chain.js';

export class MemoryLocks implements Locks {
  private readonly chain = new LocalChain();
  private readonly claims = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.chain.run(name, fn);
  }

  async claimOnce(name: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    const until = this.claims.get(name);
    if (until !== undefined && until > now) return false;
    this.claims.set(name, now + ttlMs);
    if (this.claims.size > 10_000) for (const [k, t] of this.claims) if (t <= now) this.claims.delete(k);
    return true;
  }
}
