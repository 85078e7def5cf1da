// Which bridge processes are alive, for the leases (leases.ts) and reserved outbox places: a process
// beats a heartbeat key `alive:<instance name>` holding its boot nonce, renewed every `beatMs` with
// an expiry of `ttlMs`. An owner "<name>~<nonce>" is alive while that key holds its nonce, so
//  - a process that restarts under the same instance name (INSTANCE_ID, else the id kept in
//    DATA_DIR) writes a new nonce at once, and every lease of its previous life is dead at once;
//  - a process that died for good is dead after `ttlMs` without a beat (another instance takes
//    its conversations over then);
//  - a process that stops cleanly clears its key, so its leases are free at once.
// Two processes must never share an instance name: each would take the other for dead.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { keys } from './keys.js';
import { within } from '../../within.js';
import { defineScript, type ScriptCall } from './script.js';

export interface LivenessOptions {
  /** Our own connection (leases.ts, rate limits), not BullMQ's. */
  redis: Redis;
  prefix: string;
  /** Stable per running instance (see the header). */
  name: string;
  /** Heartbeat period (default 1 s). */
  beatMs?: number;
  /** Silence after which a process counts as dead (default 5 s: a few missed beats). */
  ttlMs?: number;
  logger?: Logger;
}

export const DEFAULT_BEAT_MS = 1_000;
export const DEFAULT_ALIVE_TTL_MS = 5_000;

export class Liveness {
  readonly name: string;
  readonly nonce: string;
  /** This process as a lease or reservation owner. */
  readonly owner: string;
  private readonly redis: Redis;
  private readonly key: string;
  private readonly alivePrefix: string;
  private readonly beatMs: number;
  private readonly ttlMs: number;
  private readonly log: Logger | undefined;
  private readonly clear: ScriptCall<number>;
  private timer: NodeJS.Timeout | null = null;
  private failing = false;
  private written = false;
  /** When the last beat that Redis took was sent (ms). */
  private lastBeatSentAt = 0;
  private readonly lostListeners = new Set<() => void>();

  constructor(opts: LivenessOptions) {
    if (opts.name.includes('~') || opts.name.includes('|')) throw new Error(`instance name "${opts.name}" may not contain ~ or |`);
    this.redis = opts.redis;
    this.name = opts.name;
    this.nonce = randomBytes(6).toString('hex');
    this.owner = `${this.name}~${this.nonce}`;
    this.alivePrefix = keys.alivePrefix(opts.prefix);
    this.key = this.alivePrefix + this.name;
    this.beatMs = opts.beatMs ?? DEFAULT_BEAT_MS;
    this.ttlMs = opts.ttlMs ?? DEFAULT_ALIVE_TTL_MS;
    this.log = opts.logger;
    this.clear = defineScript<number>(this.redis, 'alive-clear.lua', 1);
  }

  /** Prefix of the alive keys, for the lease script. */
  get aliveKeyPrefix(): string {
    return this.alivePrefix;
  }

  /**
   * First beat now (a previous life's leases die with it), then every beatMs. Waits for the first
   * beat at most a second: with Redis away it is written when Redis answers.
   */
  async start(): Promise<void> {
    if (this.timer) return;
    this.timer = setInterval(() => void this.beat(), this.beatMs);
    this.timer.unref();
    await within(this.beat(), 1_000, 'Redis').catch(() => undefined);
  }

  private async beat(): Promise<void> {
    try {
      // SET ... GET (Redis 6.2+) tells in the same step whether our key was still there: a key we
      // wrote less than its expiry ago that is gone means Redis lost its data (a restart without
      // persistence, a failover, FLUSHALL), so the workers wake every pending conversation again.
      const sentAt = Date.now();
      const before = await this.redis.set(this.key, this.nonce, 'PX', this.ttlMs, 'GET');
      this.lastBeatSentAt = sentAt;
      if (this.written && before === null && !this.failing) {
        // Our leases went with the data: until the next beat, holders check theirs (surelyAlive).
        this.lastBeatSentAt = 0;
        this.log?.warn('Redis lost its data (this process\'s heartbeat vanished); waking pending work from the store');
        for (const listener of this.lostListeners) listener();
      }
      this.written = true;
      if (this.failing) this.log?.info('heartbeat written again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.log?.warn({ err: (err as Error).message }, 'heartbeat could not be written; other instances may take this one for dead');
      this.failing = true;
    }
  }

  /**
   * True while no other process can have taken this one for dead: its last beat is younger than the
   * heartbeat's expiry (less one beat of margin). A lease holder need not ask Redis then.
   */
  surelyAlive(): boolean {
    return Date.now() < this.lastBeatSentAt + this.ttlMs - this.beatMs;
  }

  /** Called when Redis is seen to have lost its data (see beat). Returns the function that stops it. */
  onDataLost(listener: () => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  /** Alive or not, per owner ("<name>~<nonce>"); malformed owners are dead. */
  async alive(owners: string[]): Promise<Map<string, boolean>> {
    const result = new Map<string, boolean>();
    const distinct = [...new Set(owners)];
    const parsed = distinct.map((o) => {
      const at = o.lastIndexOf('~');
      return at > 0 ? { owner: o, name: o.slice(0, at), nonce: o.slice(at + 1) } : { owner: o, name: '', nonce: '' };
    });
    const named = parsed.filter((p) => p.name !== '');
    const values = named.length > 0 ? await this.redis.mget(named.map((p) => this.alivePrefix + p.name)) : [];
    named.forEach((p, i) => result.set(p.owner, values[i] === p.nonce));
    for (const p of parsed) if (p.name === '') result.set(p.owner, false);
    return result;
  }

  async isAlive(owner: string): Promise<boolean> {
    return (await this.alive([owner])).get(owner) === true;
  }

  /** Stops beating and clears the key, so this process's leases are free at once. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // Bounded: with Redis away the key simply expires after ttlMs.
    await within(this.clear([this.key], [this.nonce]), 1_000, 'heartbeat clear').catch(() => undefined);
  }
}
