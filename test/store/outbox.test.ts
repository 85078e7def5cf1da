// The outbox repository on its own: order per conversation and lane, slot reservations
// (idempotent on slotKey), and the sweep's queries. Written for issue 14 (one SQL set for both
// engines): the concurrent cases are the ones Postgres' parallel transactions could break.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INBOX_KEEPER } from '../../src/core/placeKeeper.js';
import { createTempStore, type TempStore } from '../support/tempStore.js';
import { steppingClock } from './clock.js';

let temp: TempStore;
beforeEach(async () => {
  temp = await createTempStore({ clock: steppingClock() });
});
afterEach(() => temp.cleanup());

describe('outbox', () => {
  it('adds ready items in order per conversation and lane; a second add of a message is the first item', async () => {
    const { outbox } = temp.store;
    const a = await outbox.add('send', 'c1', 'm1');
    const b = await outbox.add('send', 'c1', 'm2');
    await outbox.add('send', 'c2', 'm3');
    await outbox.add('deliver', 'c1', 'm1');
    expect(a).toMatchObject({ lane: 'send', conversationId: 'c1', messageId: 'm1', state: 'ready', attempts: 0, slotKey: null });
    expect(typeof a.seq).toBe('number');
    expect(typeof a.dueAt).toBe('number');
    expect(await outbox.add('send', 'c1', 'm1')).toEqual(a);
    expect(await outbox.head('send', 'c1')).toEqual(a);
    expect((await outbox.next('send', 'c1', 10)).map((i) => i.messageId)).toEqual(['m1', 'm2']);
    expect(await outbox.next('send', 'c1', 1)).toEqual([a]);
    expect(await outbox.get(b.seq)).toEqual(b);
    expect(await outbox.pendingConversations('send')).toEqual([
      { conversationId: 'c1', seq: a.seq },
      { conversationId: 'c2', seq: expect.any(Number) },
    ]);
    await outbox.remove(a.seq);
    expect(await outbox.get(a.seq)).toBeNull();
    expect((await outbox.head('send', 'c1'))?.messageId).toBe('m2');
    expect(await outbox.head('send', 'nobody')).toBeNull();
  });

  it('reserves places idempotently on slotKey, fills them in place, releases the rest', async () => {
    const { outbox } = temp.store;
    await outbox.add('send', 'c1', 'm0');
    const slots = await outbox.reserve(['send', 'deliver'], 'c1', 'slot-1', 'owner-a');
    await outbox.add('send', 'c1', 'm2');
    expect(slots.map((s) => [s.lane, s.state, s.owner])).toEqual([
      ['send', 'preparing', 'owner-a'],
      ['deliver', 'preparing', 'owner-a'],
    ]);
    // A replay: same places, new owner.
    const again = await outbox.reserve(['send', 'deliver'], 'c1', 'slot-1', 'owner-b');
    expect(again.map((s) => [s.seq, s.owner])).toEqual(slots.map((s) => [s.seq, 'owner-b']));
    // Filled for 'send' only: 'deliver' is released; the send item keeps its place before m2.
    const ready = await outbox.fill('slot-1', 'm1', 'c1', ['send']);
    expect(ready).toHaveLength(1);
    expect(ready[0]).toMatchObject({ seq: slots[0]!.seq, messageId: 'm1', state: 'ready', owner: null });
    expect((await outbox.next('send', 'c1', 10)).map((i) => i.messageId)).toEqual(['m0', 'm1', 'm2']);
    expect(await outbox.head('deliver', 'c1')).toBeNull();
  });

  it('a place kept by a chat inbox stays the inbox\'s when a process reserves it again', async () => {
    const { outbox } = temp.store;
    // Taken as a process's, then by the inbox (a replay of an event stored before): the inbox's now.
    const [first] = await outbox.reserve(['send'], 'c1', 'slot-1', 'owner-a');
    const kept = await outbox.reserve(['send'], 'c1', 'slot-1', INBOX_KEEPER);
    expect(kept.map((s) => [s.seq, s.owner])).toEqual([[first!.seq, INBOX_KEEPER]]);
    // The process now handling it may die too: the place does not become its own.
    const again = await outbox.reserve(['send'], 'c1', 'slot-1', 'owner-b');
    expect(again.map((s) => [s.seq, s.owner])).toEqual([[first!.seq, INBOX_KEEPER]]);
  });

  it('fill adds an item at the end for a lane that was not reserved', async () => {
    const { outbox } = temp.store;
    await outbox.reserve(['send'], 'c1', 'slot-1', 'o');
    await outbox.add('deliver', 'c1', 'm0');
    const ready = await outbox.fill('slot-1', 'm1', 'c1', ['send', 'deliver']);
    expect(ready.map((i) => [i.lane, i.messageId, i.state])).toEqual([
      ['send', 'm1', 'ready'],
      ['deliver', 'm1', 'ready'],
    ]);
    expect((await outbox.next('deliver', 'c1', 10)).map((i) => i.messageId)).toEqual(['m0', 'm1']);
  });

  it('release gives up preparing places (some lanes, all, or one by seq) and returns them in order', async () => {
    const { outbox } = temp.store;
    const slots = await outbox.reserve(['send', 'deliver'], 'c1', 's1', 'o');
    expect((await outbox.release('s1', ['deliver'])).map((i) => i.lane)).toEqual(['deliver']);
    expect(await outbox.release('s1', [])).toEqual([]);
    expect((await outbox.release('s1')).map((i) => i.seq)).toEqual([slots[0]!.seq]);
    expect(await outbox.release('s1')).toEqual([]);
    const [one] = await outbox.reserve(['send'], 'c1', 's2', 'o');
    expect(await outbox.releaseSeq(one!.seq)).toBe(true);
    expect(await outbox.releaseSeq(one!.seq)).toBe(false);
    const ready = await outbox.add('send', 'c1', 'm1');
    expect(await outbox.releaseSeq(ready.seq)).toBe(false);
  });

  it('hold, retry and fail; failed items step out of the way and are listed newest first', async () => {
    const { outbox } = temp.store;
    const a = await outbox.add('send', 'c1', 'm1');
    const b = await outbox.add('send', 'c1', 'm2');
    await outbox.hold(a.seq, 5);
    expect(await outbox.get(a.seq)).toMatchObject({ dueAt: 5, attempts: 0 });
    await outbox.retry(a.seq, 7, 'x'.repeat(600));
    const retried = await outbox.get(a.seq);
    expect(retried).toMatchObject({ dueAt: 7, attempts: 1 });
    expect(retried!.lastError).toHaveLength(501);
    await outbox.fail(a.seq, 'gone');
    expect(await outbox.get(a.seq)).toMatchObject({ state: 'failed', attempts: 2, lastError: 'gone' });
    expect((await outbox.head('send', 'c1'))?.seq).toBe(b.seq);
    // A failed message may get a new pending item; findByMessage prefers the pending one.
    const again = await outbox.add('send', 'c1', 'm1');
    expect(again.seq).not.toBe(a.seq);
    expect((await outbox.findByMessage('send', 'm1'))?.seq).toBe(again.seq);
    await outbox.remove(again.seq);
    expect((await outbox.findByMessage('send', 'm1'))?.seq).toBe(a.seq);
    expect(await outbox.findByMessage('deliver', 'm1')).toBeNull();
    await outbox.add('deliver', 'c2', 'm3').then((i) => outbox.fail(i.seq, 'no'));
    expect((await outbox.listFailed()).map((i) => i.messageId)).toEqual(['m3', 'm1']);
    expect((await outbox.listFailed({ lane: 'send' })).map((i) => i.messageId)).toEqual(['m1']);
    expect(await outbox.listFailed({ limit: 1 })).toHaveLength(1);
  });

  it('overdue lists ready heads only; preparingSince lists old reservations', async () => {
    const { outbox } = temp.store;
    const a = await outbox.add('send', 'c1', 'm1');
    const b = await outbox.add('send', 'c1', 'm2');
    const [slot] = await outbox.reserve(['send'], 'c2', 's', 'owner');
    const c = await outbox.add('send', 'c2', 'm3');
    const late = Number.MAX_SAFE_INTEGER;
    // c2's head is preparing: nothing overdue there; c1's head is a.
    expect(await outbox.overdue('send', late, 10)).toEqual([{ conversationId: 'c1', seq: a.seq }]);
    expect(await outbox.overdue('send', a.dueAt, 10)).toEqual([]);
    await outbox.hold(a.seq, late);
    expect(await outbox.overdue('send', late, 10)).toEqual([]);
    await outbox.remove(a.seq);
    expect(await outbox.overdue('send', late, 10)).toEqual([{ conversationId: 'c1', seq: b.seq }]);
    await outbox.releaseSeq(slot!.seq);
    expect((await outbox.overdue('send', late, 10)).map((r) => r.seq)).toEqual([b.seq, c.seq]);
    expect(await outbox.overdue('send', late, 1)).toHaveLength(1);
    const [p] = await outbox.reserve(['deliver'], 'c3', 's2', 'o2');
    expect(await outbox.preparingSince('deliver', '9999', 10)).toEqual([p]);
    expect(await outbox.preparingSince('deliver', p!.createdAt, 10)).toEqual([]);
    expect(await outbox.preparingSince('send', '9999', 10)).toEqual([]);
  });

  it('stats counts items per lane and state with the oldest due time', async () => {
    const { outbox } = temp.store;
    expect(await outbox.stats()).toEqual([]);
    const a = await outbox.add('send', 'c1', 'm1');
    await outbox.add('send', 'c1', 'm2');
    await outbox.reserve(['deliver'], 'c1', 's', 'o');
    const stats = await outbox.stats();
    expect(stats).toContainEqual({ lane: 'send', state: 'ready', count: 2, oldestDueAt: a.dueAt });
    expect(stats).toContainEqual({ lane: 'deliver', state: 'preparing', count: 1, oldestDueAt: expect.any(Number) });
    expect(stats).toHaveLength(2);
  });

  it('concurrent callers keep one order per conversation and one place per slot', async () => {
    const { outbox } = temp.store;
    const ids = Array.from({ length: 20 }, (_, i) => `m${i}`);
    // Adds and reservations from many callers at once, some inside transactions of their own.
    await Promise.all([
      ...ids.map((id, i) =>
        i % 2 === 0 ? outbox.add('send', 'c1', id) : temp.store.transaction(async () => outbox.add('send', 'c1', id)),
      ),
      ...Array.from({ length: 5 }, (_, i) => outbox.reserve(['send'], 'c1', 'slot', `owner-${i}`)),
      ...ids.map((id) => outbox.add('send', 'c1', id)),
    ]);
    const items = await outbox.next('send', 'c1', 100);
    expect(items).toHaveLength(21);
    expect(items.filter((i) => i.slotKey === 'slot')).toHaveLength(1);
    expect(new Set(items.map((i) => i.messageId ?? 'slot')).size).toBe(21);
    const seqs = items.map((i) => i.seq);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
  });

  it('a transaction that rolls back leaves no place behind', async () => {
    const { outbox } = temp.store;
    await expect(
      temp.store.transaction(async () => {
        await outbox.add('send', 'c1', 'm1');
        await outbox.reserve(['send'], 'c1', 's', 'o');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await outbox.next('send', 'c1', 10)).toEqual([]);
  });
});
