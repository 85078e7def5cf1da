// Per-conversation leases, one lane at a time: whoever holds a conversation's lease runs its items
// (turns.ts). A lease belongs to a process (liveness.ts) and is free as soon as that process is
// dead, so a crash never blocks a conversation longer than the heartbeat's expiry, and a restart
// not at all. Keys of our own only (keys.ts).
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Lane } from '../../core/ports.js';
import { keys } from './keys.js';
import type { Liveness } from './liveness.js';
import { defineScript, type ScriptCall } from './script.js';

/**
 * Lifetime of a lease key, only so that a lease nobody releases (its process died) does not stay
 * in Redis forever; who may run is decided by the holder's heartbeat, never by this expiry. Far
 * longer than the longest turn (turns.ts MAX_ITEMS_PER_TURN items, each bounded by its calls'
 * own timeouts).
 */
const LEASE_TTL_MS = 3_600_000;

export interface Lease {
  readonly holder: string;
  /** Still ours (not taken over after our heartbeat was missed)? */
  held(): Promise<boolean>;
  release(): Promise<void>;
}

export class Leases {
  private readonly acquireScript: ScriptCall<number>;
  private readonly releaseScript: ScriptCall<number>;
  private readonly registry: string;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly lane: Lane,
    private readonly liveness: Liveness,
  ) {
    this.acquireScript = defineScript<number>(redis, 'lease-acquire.lua', 2);
    this.releaseScript = defineScript<number>(redis, 'lease-release.lua', 2);
    this.registry = keys.leaseRegistry(prefix, lane);
  }

  private key(conversationId: string): string {
    return keys.lease(this.prefix, this.lane, conversationId);
  }

  /** The conversation's lease, or null while a live process holds it. */
  async acquire(conversationId: string): Promise<Lease | null> {
    const holder = `${this.liveness.owner}|${randomBytes(4).toString('hex')}`;
    const key = this.key(conversationId);
    const got = await this.acquireScript([key, this.registry], [holder, conversationId, this.liveness.aliveKeyPrefix, LEASE_TTL_MS]);
    if (got !== 1) return null;
    return {
      holder,
      held: async () => (await this.redis.get(key)) === holder,
      release: async () => {
        await this.releaseScript([key, this.registry], [holder, conversationId]);
      },
    };
  }

  /**
   * Leases whose holder is dead: each is released (so the next wake-up takes it at once) and its
   * conversation returned, with the dead holder, for the caller to wake.
   */
  async reapDead(): Promise<Array<{ conversationId: string; holder: string }>> {
    const all = await this.redis.hgetall(this.registry);
    const entries = Object.entries(all);
    if (entries.length === 0) return [];
    const ownerOf = (holder: string) => holder.split('|')[0] ?? '';
    const alive = await this.liveness.alive(entries.map(([, holder]) => ownerOf(holder)));
    const dead = entries.filter(([, holder]) => alive.get(ownerOf(holder)) !== true);
    for (const [conversationId, holder] of dead) await this.releaseScript([this.key(conversationId), this.registry], [holder, conversationId]);
    return dead.map(([conversationId, holder]) => ({ conversationId, holder }));
  }
}
