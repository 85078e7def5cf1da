// Per-conversation turn-taking (src/infra/queue/turns.ts): the outbox is the record, BullMQ only
// wakes, a lease of ours lets one process run a conversation at a time, and nothing waits on a
// guess: lost wake-ups, dead processes, restarts and abandoned reply places are all made good.
import { Queue, type ConnectionOptions } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { keys } from '../../src/infra/queue/keys.js';
import { createLaneKit, each, until, type LaneKit } from './support/lanes.js';

let kit: LaneKit | null = null;
afterEach(async () => {
  await kit?.close();
  kit = null;
});

/** Makes Redis say a conversation's lease is held by `holder` ("<name>~<nonce>|<token>"). */
async function holdLease(k: LaneKit, conversationId: string, holder: string): Promise<void> {
  await k.own.set(keys.lease(k.prefix, 'deliver', conversationId), holder, 'PX', 60_000);
  await k.own.hset(keys.leaseRegistry(k.prefix, 'deliver'), conversationId, holder);
}

/** A process "ghost" that is alive for `ms` more (its heartbeat key expires then: it died). */
async function ghostAliveFor(k: LaneKit, ms: number): Promise<string> {
  await k.own.set(`${keys.alivePrefix(k.prefix)}ghost`, 'n1', 'PX', ms);
  return 'ghost~n1';
}

describe('turns', () => {
  it('a wake-up that was never added (lost with Redis or a crash) is made good by the sweep from the outbox', async () => {
    kit = await createLaneKit();
    const done: string[] = [];
    const lane = kit.lane(each((id) => void done.push(id)), { sweepMs: 100, overdueMs: 300 });
    await lane.start();
    for (const id of ['m1', 'm2']) await kit.temp.store.outbox.add('deliver', 'c1', id); // stored, never woken
    await until(() => done.length === 2, 'both run', 5_000);
    expect(done).toEqual(['m1', 'm2']);
  });

  it("a conversation whose lease holder died is taken over once the holder's heartbeat has expired", async () => {
    kit = await createLaneKit();
    const k = kit;
    const done: Array<{ id: string; at: number }> = [];
    const lane = k.lane(each((id) => void done.push({ id, at: Date.now() })), { sweepMs: 100 });
    await lane.start();
    const ghost = await ghostAliveFor(k, 600);
    const since = Date.now();
    await holdLease(k, 'c1', `${ghost}|t1`);
    await k.add(lane, 'c1', 'm1');
    await k.add(lane, 'c2', 'other'); // other conversations never wait
    await until(() => done.some((d) => d.id === 'other'), 'the other conversation', 2_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(done.map((d) => d.id)).toEqual(['other']); // the holder still beats: nobody runs c1
    await until(() => done.some((d) => d.id === 'm1'), 'taken over', 3_000);
    expect(done.find((d) => d.id === 'm1')!.at - since).toBeGreaterThanOrEqual(550);
  });

  it('a process restarted under the same instance name takes the leases of its previous life at once', async () => {
    kit = await createLaneKit();
    const k = kit;
    const done: string[] = [];
    const lane = k.lane(each((id) => void done.push(id)), { sweepMs: 60_000 });
    await lane.start();
    // The previous life of this very instance held c1 when it was killed.
    await holdLease(k, 'c1', `${k.liveness.name}~deadbeef|t1`);
    const started = Date.now();
    await k.add(lane, 'c1', 'm1');
    await until(() => done.length === 1, 'run', 2_000);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("a reply's place still being prepared holds the items behind it; once filled they go, in order", async () => {
    kit = await createLaneKit();
    const k = kit;
    const done: string[] = [];
    const lane = k.lane(each((id) => void done.push(id)));
    await lane.start();
    const { outbox } = k.temp.store;
    await outbox.reserve(['deliver'], 'c1', 'slack:T:C:1.1', k.liveness.owner);
    await k.add(lane, 'c1', 'after-1');
    await k.add(lane, 'c1', 'after-2');
    await new Promise((r) => setTimeout(r, 400));
    expect(done).toEqual([]);
    const [filled] = await outbox.fill('slack:T:C:1.1', 'the-reply', 'c1', ['deliver']);
    await lane.wake('c1', `m${filled!.seq}`);
    await until(() => done.length === 3, 'all three', 3_000);
    expect(done).toEqual(['the-reply', 'after-1', 'after-2']);
  });

  it('a place whose preparer died is given up, and the items behind it go on', async () => {
    kit = await createLaneKit();
    const k = kit;
    const done: string[] = [];
    const lane = k.lane(each((id) => void done.push(id)));
    await lane.start();
    await k.temp.store.outbox.reserve(['deliver'], 'c1', 'teams:x:1', 'ghost~gone');
    await k.add(lane, 'c1', 'behind');
    await until(() => done.length === 1, 'the item behind', 3_000);
    expect(done).toEqual(['behind']);
    expect(await k.temp.store.outbox.pendingConversations('deliver')).toEqual([]);
  });

  it('a holder whose heartbeat was missed checks its lease before each item: taken over, it stops after the item in hand', async () => {
    // Beats rarer than their expiry: this process can never be sure it was not taken for dead.
    kit = await createLaneKit({ beatMs: 60_000, ttlMs: 60_000 });
    const k = kit;
    const done: string[] = [];
    let ghost = '';
    const lane = k.lane(
      each(async (id) => {
        done.push(id);
        // Meanwhile another process took this conversation over.
        if (id === 'm1') await holdLease(k, 'c1', `${ghost}|t2`);
      }),
      { sweepMs: 100 },
    );
    await lane.start();
    ghost = await ghostAliveFor(k, 700);
    await k.temp.store.outbox.add('deliver', 'c1', 'm1');
    await k.temp.store.outbox.add('deliver', 'c1', 'm2');
    await lane.wake('c1', 'go');
    await until(() => done.length === 1, 'm1', 2_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(done).toEqual(['m1']); // m2 is the new holder's
    await until(() => done.length === 2, 'm2 once the holder died', 3_000);
    expect(done).toEqual(['m1', 'm2']);
  });

  it('a turn hands its conversation on after a bounded number of items, so one busy conversation does not starve the others', async () => {
    kit = await createLaneKit();
    const k = kit;
    const done: string[] = [];
    const lane = k.lane(
      each(async (id) => {
        done.push(id);
        await new Promise((r) => setTimeout(r, 5));
      }),
      { concurrency: 1, maxItemsPerTurn: 3 },
    );
    for (let i = 0; i < 12; i++) await k.temp.store.outbox.add('deliver', 'busy', `b${i}`);
    await lane.wake('busy', 'go');
    await k.add(lane, 'quiet', 'q');
    await lane.start();
    await until(() => done.length === 13, 'all', 5_000);
    expect(done.filter((d) => d.startsWith('b'))).toEqual(Array.from({ length: 12 }, (_, i) => `b${i}`));
    expect(done.indexOf('q')).toBeLessThan(12);
  });

  it("jobs of the previous queue design run as wake-ups of their conversation, and its Redis lane keys go at start", async () => {
    kit = await createLaneKit();
    const k = kit;
    const done: string[] = [];
    const lane = k.lane(each((id) => void done.push(id)));
    const legacyKey = `${keys.legacyLanes(k.prefix)}deliver:c-old`;
    await k.own.rpush(legacyKey, 'old-1');
    await k.temp.store.outbox.add('deliver', 'c-old', 'old-1'); // what migration 004 moved into the outbox
    const old = new Queue('deliver', { connection: k.redis as ConnectionOptions, prefix: k.prefix });
    await old.add('deliver', { id: 'old-1', lane: 'c-old' }, { jobId: 'deliver-old-1' });
    await old.close();
    await lane.start();
    await until(() => done.length === 1, 'the old job ran its conversation', 3_000);
    expect(done).toEqual(['old-1']);
    expect(await k.own.exists(legacyKey)).toBe(0);
  });
});
