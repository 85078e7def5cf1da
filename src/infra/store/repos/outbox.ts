// The outbox (migration 004): pending work per conversation and lane, in `seq` order. See the
// OutboxRepo port for what each call means; src/infra/queue/turns.ts for who runs the items.
import type { Lane, OutboxItem, OutboxRepo } from '../../../core/ports.js';
import { clampLimit, type RepoContext } from '../shared.js';
import type { Sync } from '../sqlite/asyncRepo.js';

interface OutboxRow {
  seq: number;
  lane: Lane;
  conversation_id: string;
  message_id: string | null;
  slot_key: string | null;
  owner: string | null;
  state: OutboxItem['state'];
  due_at: number;
  attempts: number;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

function toItem(r: OutboxRow): OutboxItem {
  return {
    seq: r.seq,
    lane: r.lane,
    conversationId: r.conversation_id,
    messageId: r.message_id,
    slotKey: r.slot_key,
    owner: r.owner,
    state: r.state,
    dueAt: r.due_at,
    attempts: r.attempts,
    lastError: r.last_error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Longest error text kept on an item (a provider's whole HTML error page is not useful). */
const MAX_ERROR_CHARS = 500;
const clip = (s: string): string => (s.length > MAX_ERROR_CHARS ? `${s.slice(0, MAX_ERROR_CHARS)}…` : s);

export function createOutboxRepo({ db, now }: RepoContext): Sync<OutboxRepo> {
  const insertReady = db.prepare<{ lane: Lane; conv: string; message: string; at: string; ms: number }, OutboxRow>(`
    INSERT INTO outbox (lane, conversation_id, message_id, state, due_at, created_at, updated_at)
    VALUES (@lane, @conv, @message, 'ready', @ms, @at, @at)
    ON CONFLICT DO NOTHING
    RETURNING *`);
  const insertSlot = db.prepare<{ lane: Lane; conv: string; slot: string; owner: string; at: string; ms: number }, OutboxRow>(`
    INSERT INTO outbox (lane, conversation_id, slot_key, owner, state, due_at, created_at, updated_at)
    VALUES (@lane, @conv, @slot, @owner, 'preparing', @ms, @at, @at)
    ON CONFLICT DO NOTHING
    RETURNING *`);
  const pendingOfMessage = db.prepare<[Lane, string], OutboxRow>(
    "SELECT * FROM outbox WHERE lane = ? AND message_id = ? AND state <> 'failed'",
  );
  const latestOfMessage = db.prepare<[Lane, string], OutboxRow>(
    'SELECT * FROM outbox WHERE lane = ? AND message_id = ? ORDER BY (state = \'failed\'), seq DESC LIMIT 1',
  );
  const ofSlot = db.prepare<[string], OutboxRow>("SELECT * FROM outbox WHERE slot_key = ? AND state <> 'failed' ORDER BY seq");
  const reown = db.prepare<{ slot: string; owner: string; at: string }>(
    "UPDATE outbox SET owner = @owner, updated_at = @at WHERE slot_key = @slot AND state = 'preparing'",
  );
  const fillSlot = db.prepare<{ slot: string; lane: Lane; message: string; at: string; ms: number }, OutboxRow>(`
    UPDATE outbox SET message_id = @message, state = 'ready', owner = NULL, due_at = @ms, updated_at = @at
    WHERE slot_key = @slot AND lane = @lane AND state = 'preparing'
    RETURNING *`);
  const releaseSlot = db.prepare<[string, string], OutboxRow>(
    "DELETE FROM outbox WHERE slot_key = ? AND state = 'preparing' AND lane IN (SELECT value FROM json_each(?)) RETURNING *",
  );
  const releaseOne = db.prepare<[number]>("DELETE FROM outbox WHERE seq = ? AND state = 'preparing'");
  const firstOf = db.prepare<[Lane, string, number], OutboxRow>(
    "SELECT * FROM outbox WHERE lane = ? AND conversation_id = ? AND state <> 'failed' ORDER BY seq LIMIT ?",
  );
  const bySeq = db.prepare<[number], OutboxRow>('SELECT * FROM outbox WHERE seq = ?');
  const removeRow = db.prepare<[number]>('DELETE FROM outbox WHERE seq = ?');
  const holdRow = db.prepare<{ seq: number; due: number; at: string }>('UPDATE outbox SET due_at = @due, updated_at = @at WHERE seq = @seq');
  const retryRow = db.prepare<{ seq: number; due: number; at: string; error: string }>(
    'UPDATE outbox SET due_at = @due, attempts = attempts + 1, last_error = @error, updated_at = @at WHERE seq = @seq',
  );
  const failRow = db.prepare<{ seq: number; at: string; error: string }>(
    "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = @error, updated_at = @at WHERE seq = @seq",
  );
  const pending = db.prepare<[Lane], { conversation_id: string; seq: number }>(`
    SELECT conversation_id, MIN(seq) AS seq FROM outbox WHERE lane = ? AND state <> 'failed'
    GROUP BY conversation_id ORDER BY seq`);
  // Heads only: a ready item behind an earlier pending one is not stuck, it is waiting its turn.
  // (`state <> 'failed'` lets SQLite walk the pending items' index instead of the whole table.)
  const overdueHeads = db.prepare<{ lane: Lane; due: number; limit: number }, { conversation_id: string; seq: number }>(`
    SELECT o.conversation_id, o.seq FROM outbox o
    WHERE o.lane = @lane AND o.state <> 'failed' AND o.state = 'ready' AND o.due_at < @due
      AND NOT EXISTS (SELECT 1 FROM outbox h
                      WHERE h.lane = o.lane AND h.conversation_id = o.conversation_id AND h.state <> 'failed' AND h.seq < o.seq)
    ORDER BY o.seq LIMIT @limit`);
  const preparing = db.prepare<{ lane: Lane; before: string; limit: number }, OutboxRow>(
    "SELECT * FROM outbox WHERE lane = @lane AND state = 'preparing' AND created_at < @before ORDER BY seq LIMIT @limit",
  );
  const failedAll = db.prepare<[number], OutboxRow>("SELECT * FROM outbox WHERE state = 'failed' ORDER BY updated_at DESC, seq DESC LIMIT ?");
  const failedOfLane = db.prepare<[Lane, number], OutboxRow>(
    "SELECT * FROM outbox WHERE lane = ? AND state = 'failed' ORDER BY updated_at DESC, seq DESC LIMIT ?",
  );
  const statsRows = db.prepare<[], { lane: Lane; state: OutboxItem['state']; n: number; oldest: number | null }>(
    'SELECT lane, state, COUNT(*) AS n, MIN(due_at) AS oldest FROM outbox GROUP BY lane, state',
  );

  const stamp = (): { at: string; ms: number } => {
    const at = now();
    return { at, ms: Date.parse(at) };
  };

  function add(lane: Lane, conversationId: string, messageId: string): OutboxItem {
    const row = insertReady.get({ lane, conv: conversationId, message: messageId, ...stamp() }) ?? pendingOfMessage.get(lane, messageId);
    if (!row) throw new Error(`outbox item of ${messageId} vanished after insert`);
    return toItem(row);
  }

  const fill = db.transaction((slotKey: string, messageId: string, conversationId: string, lanes: Lane[]): OutboxItem[] => {
    const t = stamp();
    const ready: OutboxItem[] = [];
    for (const lane of lanes) {
      const row = fillSlot.get({ slot: slotKey, lane, message: messageId, ...t });
      if (row) {
        ready.push(toItem(row));
        continue;
      }
      // Not reserved in this lane (or reserved and given up): at the end, like any new item.
      ready.push(add(lane, conversationId, messageId));
    }
    for (const row of ofSlot.all(slotKey)) if (row.state === 'preparing' && !lanes.includes(row.lane)) removeRow.run(row.seq);
    return ready;
  });

  const reserve = db.transaction((lanes: Lane[], conversationId: string, slotKey: string, owner: string): OutboxItem[] => {
    const t = stamp();
    for (const lane of lanes) insertSlot.get({ lane, conv: conversationId, slot: slotKey, owner, ...t });
    reown.run({ slot: slotKey, owner, at: t.at });
    return ofSlot.all(slotKey).map(toItem);
  });

  return {
    add,
    // Inside a caller's transaction these join it (better-sqlite3 nests as savepoints).
    reserve: (lanes, conversationId, slotKey, owner) => reserve(lanes, conversationId, slotKey, owner),
    fill: (slotKey, messageId, conversationId, lanes) => fill(slotKey, messageId, conversationId, lanes),
    release: (slotKey, lanes) => releaseSlot.all(slotKey, JSON.stringify(lanes ?? ['send', 'deliver'])).map(toItem),
    releaseSeq: (seq) => releaseOne.run(seq).changes === 1,
    head(lane, conversationId) {
      const row = firstOf.get(lane, conversationId, 1);
      return row ? toItem(row) : null;
    },
    next: (lane, conversationId, limit) => firstOf.all(lane, conversationId, clampLimit(limit, 1, 1000)).map(toItem),
    get(seq) {
      const row = bySeq.get(seq);
      return row ? toItem(row) : null;
    },
    remove(seq) {
      removeRow.run(seq);
    },
    hold(seq, dueAt) {
      holdRow.run({ seq, due: dueAt, at: now() });
    },
    retry(seq, dueAt, error) {
      retryRow.run({ seq, due: dueAt, at: now(), error: clip(error) });
    },
    fail(seq, error) {
      failRow.run({ seq, at: now(), error: clip(error) });
    },
    pendingConversations: (lane) => pending.all(lane).map((r) => ({ conversationId: r.conversation_id, seq: r.seq })),
    overdue: (lane, dueBefore, limit) =>
      overdueHeads.all({ lane, due: dueBefore, limit: clampLimit(limit, 100, 10_000) }).map((r) => ({ conversationId: r.conversation_id, seq: r.seq })),
    preparingSince: (lane, before, limit) => preparing.all({ lane, before, limit: clampLimit(limit, 100, 10_000) }).map(toItem),
    listFailed(opts = {}) {
      const limit = clampLimit(opts.limit, 100);
      return (opts.lane ? failedOfLane.all(opts.lane, limit) : failedAll.all(limit)).map(toItem);
    },
    findByMessage(lane, messageId) {
      const row = latestOfMessage.get(lane, messageId);
      return row ? toItem(row) : null;
    },
    stats: () => statsRows.all().map((r) => ({ lane: r.lane, state: r.state, count: r.n, oldestDueAt: r.oldest })),
  };
}
