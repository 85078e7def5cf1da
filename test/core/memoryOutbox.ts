// The outbox of the in-memory Store (memoryStore.ts): the same rules as the SQLite one (order by
// seq per lane and conversation, one pending item per message and lane, one per reserved place),
// on a list kept in the store's state so transactions roll it back. Synchronous: the store wraps
// it in its gate, which makes every call asynchronous like the port.
import type { Lane, OutboxItem, OutboxRepo } from '../../src/core/ports.js';
import type { SyncRepo } from './memoryStore.js';

export interface OutboxState {
  outbox: OutboxItem[];
  outboxSeq: number;
}

export function memoryOutbox(state: () => OutboxState, now: () => string): SyncRepo<OutboxRepo> {
  const items = () => state().outbox;
  const pending = (i: OutboxItem) => i.state !== 'failed';
  const copy = (i: OutboxItem): OutboxItem => ({ ...i });
  const insert = (fields: Pick<OutboxItem, 'lane' | 'conversationId' | 'messageId' | 'slotKey' | 'owner' | 'state'>): OutboxItem => {
    const at = now();
    const item: OutboxItem = { ...fields, seq: ++state().outboxSeq, dueAt: Date.parse(at), attempts: 0, lastError: null, createdAt: at, updatedAt: at };
    items().push(item);
    return item;
  };
  const bySeq = (seq: number) => items().find((i) => i.seq === seq);
  const touch = (seq: number, patch: Partial<OutboxItem>) => {
    const i = bySeq(seq);
    if (i) Object.assign(i, patch, { updatedAt: now() });
  };
  const remove = (pred: (i: OutboxItem) => boolean): OutboxItem[] => {
    const gone = items().filter(pred);
    state().outbox = items().filter((i) => !pred(i));
    return gone.map(copy);
  };
  const add = (lane: Lane, conversationId: string, messageId: string): OutboxItem => {
    const existing = items().find((i) => pending(i) && i.lane === lane && i.messageId === messageId);
    return copy(existing ?? insert({ lane, conversationId, messageId, slotKey: null, owner: null, state: 'ready' }));
  };
  const heads = (lane: Lane) => {
    const first = new Map<string, OutboxItem>();
    for (const i of [...items()].sort((a, b) => a.seq - b.seq)) if (pending(i) && i.lane === lane && !first.has(i.conversationId)) first.set(i.conversationId, i);
    return [...first.values()];
  };
  return {
    add,
    reserve(lanes, conversationId, slotKey, owner) {
      for (const lane of lanes) {
        if (!items().some((i) => pending(i) && i.lane === lane && i.slotKey === slotKey)) {
          insert({ lane, conversationId, messageId: null, slotKey, owner, state: 'preparing' });
        }
      }
      for (const i of items()) if (i.slotKey === slotKey && i.state === 'preparing') i.owner = owner;
      return items().filter((i) => pending(i) && i.slotKey === slotKey).map(copy);
    },
    fill(slotKey, messageId, conversationId, lanes) {
      const ready: OutboxItem[] = [];
      for (const lane of lanes) {
        const slot = items().find((i) => i.slotKey === slotKey && i.lane === lane && i.state === 'preparing');
        if (slot) {
          Object.assign(slot, { messageId, state: 'ready', owner: null, dueAt: Date.parse(now()), updatedAt: now() });
          ready.push(copy(slot));
        } else ready.push(add(lane, conversationId, messageId));
      }
      remove((i) => i.slotKey === slotKey && i.state === 'preparing' && !lanes.includes(i.lane));
      return ready;
    },
    release: (slotKey, lanes) => remove((i) => i.slotKey === slotKey && i.state === 'preparing' && (!lanes || lanes.includes(i.lane))),
    releaseSeq: (seq) => remove((i) => i.seq === seq && i.state === 'preparing').length === 1,
    head: (lane, conversationId) => {
      const h = heads(lane).find((i) => i.conversationId === conversationId);
      return h ? copy(h) : null;
    },
    next: (lane, conversationId, limit) =>
      items()
        .filter((i) => pending(i) && i.lane === lane && i.conversationId === conversationId)
        .sort((a, b) => a.seq - b.seq)
        .slice(0, limit)
        .map(copy),
    get: (seq) => {
      const i = bySeq(seq);
      return i ? copy(i) : null;
    },
    remove(seq) {
      remove((i) => i.seq === seq);
    },
    hold: (seq, dueAt) => touch(seq, { dueAt }),
    retry: (seq, dueAt, error) => touch(seq, { dueAt, attempts: (bySeq(seq)?.attempts ?? 0) + 1, lastError: error }),
    fail: (seq, error) => touch(seq, { state: 'failed', attempts: (bySeq(seq)?.attempts ?? 0) + 1, lastError: error }),
    pendingConversations: (lane) => heads(lane).map((i) => ({ conversationId: i.conversationId, seq: i.seq })),
    overdue: (lane, dueBefore, limit) =>
      heads(lane)
        .filter((i) => i.state === 'ready' && i.dueAt < dueBefore)
        .slice(0, limit)
        .map((i) => ({ conversationId: i.conversationId, seq: i.seq })),
    preparingSince: (lane, before, limit) => items().filter((i) => i.lane === lane && i.state === 'preparing' && i.createdAt < before).slice(0, limit).map(copy),
    listFailed: (opts = {}) =>
      items()
        .filter((i) => i.state === 'failed' && (!opts.lane || i.lane === opts.lane))
        .sort((a, b) => b.seq - a.seq)
        .slice(0, opts.limit ?? 100)
        .map(copy),
    findByMessage: (lane, messageId) => {
      const mine = items().filter((i) => i.lane === lane && i.messageId === messageId).sort((a, b) => b.seq - a.seq);
      const found = mine.find(pending) ?? mine[0];
      return found ? copy(found) : null;
    },
    stats: () => {
      const out = new Map<string, { lane: Lane; state: OutboxItem['state']; count: number; oldestDueAt: number | null }>();
      for (const i of items()) {
        const key = `${i.lane}/${i.state}`;
        const s = out.get(key) ?? { lane: i.lane, state: i.state, count: 0, oldestDueAt: null };
        s.count++;
        s.oldestDueAt = s.oldestDueAt === null ? i.dueAt : Math.min(s.oldestDueAt, i.dueAt);
        out.set(key, s);
      }
      return [...out.values()];
    },
  };
}
