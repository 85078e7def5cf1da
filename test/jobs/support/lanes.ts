// A lane with its real parts for tests of the turn-taking itself (turns.ts): a SQLite temp store
// (the outbox), Redis under a unique prefix, a heartbeat, and a handler the test writes. Items are
// added to the outbox directly (message ids are plain strings here) and woken as production does.
import type { Redis } from 'ioredis';
import type { Lane, LaneHandler, LaneItem } from '../../../src/core/ports.js';
import { Liveness } from '../../../src/infra/queue/liveness.js';
import { createTurns, type Turns, type TurnsOptions } from '../../../src/infra/queue/turns.js';
import { deletePrefix, newRedis, uniquePrefix } from '../../support/redis.js';
import { createTempStore, type TempStore } from '../../support/tempStore.js';

export interface LaneKit {
  prefix: string;
  redis: Redis;
  own: Redis;
  temp: TempStore;
  liveness: Liveness;
  /** Lanes built so far (stopped by close). */
  lanes: Turns[];
  /** A lane of the kit's store and Redis; start() it to run a worker. */
  lane(handler: LaneHandler, extra?: Partial<TurnsOptions>): Turns;
  /** Adds a ready item at the end of its conversation and wakes it through `via`. */
  add(via: Turns, conversationId: string, messageId: string): Promise<void>;
  close(): Promise<void>;
}

export async function createLaneKit(opts: { lane?: Lane; beatMs?: number; ttlMs?: number } = {}): Promise<LaneKit> {
  const prefix = uniquePrefix();
  const redis = newRedis();
  const own = newRedis();
  const temp = await createTempStore();
  const liveness = new Liveness({ redis: own, prefix, name: `kit-${prefix.slice(-8)}`, beatMs: opts.beatMs, ttlMs: opts.ttlMs });
  await liveness.start();
  const lanes: Turns[] = [];
  const kit: LaneKit = {
    prefix,
    redis,
    own,
    temp,
    liveness,
    lanes,
    lane(handler, extra = {}) {
      const t = createTurns({
        lane: opts.lane ?? 'deliver',
        redis,
        own,
        prefix,
        outbox: temp.store.outbox,
        liveness,
        handler,
        abandon: async () => undefined,
        concurrency: 8,
        backoff: { baseMs: 20, maxMs: 100 },
        attempts: 20,
        ...extra,
      });
      lanes.push(t);
      return t;
    },
    async add(via, conversationId, messageId) {
      const item = await temp.store.outbox.add(via.lane, conversationId, messageId);
      await via.wake(conversationId, `m${item.seq}`);
    },
    async close() {
      for (const t of lanes) await t.stop().catch(() => undefined);
      await liveness.stop();
      await deletePrefix(redis, prefix);
      await own.quit();
      await redis.quit();
      await temp.cleanup();
    },
  };
  return kit;
}

/** A handler from a function of the message id (done when it returns). */
export function each(fn: (messageId: string, item: LaneItem) => Promise<void> | void): LaneHandler {
  return async (item) => {
    await fn(item.messageId, item);
    return { kind: 'done' };
  };
}

export async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
