// The outbox (migration 004): pending work per conversation and lane, in `seq` order. See the
// OutboxRepo port for what each call means; src/infra/queue/turns.ts for who runs the items.
import { INBOX_KEEPER } from '../../../core/placeKeeper.js';
import type { Lane, OutboxItem, OutboxRepo } from '../../../core/ports.js';
import { clampLimit, type DbContext } from '../shared.js';

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
    // BIGINT on Postgres: a number whatever the driver hands out.
    seq: Number(r.seq),
    lane: r.lane,
    conversationId: r.conversation_id,
    messageId: r.message_id,
    slotKey: r.slot_key,
    owner: r.owner,
    state: r.state,
    dueAt: Number(r.due_at),
    attempts: r.attempts,
    lastError: r.last_error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Longest error text kept on an item (a provider's whole HTML error page is not useful). */
const MAX_ERROR_CHARS = 500;
const clip = (s: string): string => (s.length > MAX_ERROR_CHARS ? `${s.slice(0, MAX_ERROR_CHARS)}…` : s);

/** Both lanes (release's default). */
const ALL_LANES: readonly Lane[] = ['send', 'deliver'];

export function createOutboxRepo({ db, now }: DbContext): OutboxRepo {
  const INSERT_READY = `
    INSERT INTO outbox (lane, conversation_id, message_id, state, due_at, created_at, updated_at)
    VALUES (?, ?, ?, 'ready', ?, ?, ?)
    ON CONFLICT DO NOTHING
    RETURNING *`;
  const INSERT_SLOT = `
    INSERT INTO outbox (lane, conversation_id, slot_key, owner, state, due_at, created_at, updated_at)
    VALUES (?, ?, ?, ?, 'preparing', ?, ?, ?)
    ON CONFLICT DO NOTHING
    RETURNING *`;
  const PENDING_OF_MESSAGE = "SELECT * FROM outbox WHERE lane = ? AND message_id = ? AND state <> 'failed'";
  const LATEST_OF_MESSAGE = `
    SELECT * FROM outbox WHERE lane = ? AND message_id = ?
    ORDER BY CASE WHEN state = 'failed' THEN 1 ELSE 0 END, seq DESC LIMIT 1`;
  const OF_SLOT = "SELECT * FROM outbox WHERE slot_key = ? AND state <> 'failed' ORDER BY seq";
  // A place kept by a chat inbox stays the inbox's: the process now preparing it may die too.
  const REOWN = "UPDATE outbox SET owner = ?, updated_at = ? WHERE slot_key = ? AND state = 'preparing' AND (owner IS NULL OR owner <> ?)";
  const FILL_SLOT = `
    UPDATE outbox SET message_id = ?, state = 'ready', owner = NULL, due_at = ?, updated_at = ?
    WHERE slot_key = ? AND lane = ? AND state = 'preparing'
    RETURNING *`;
  // Lane is 'send' or 'deliver' (CHECK): two places cover any set of lanes (NULL matches nothing).
  const RELEASE_SLOT = "DELETE FROM outbox WHERE slot_key = ? AND state = 'preparing' AND lane IN (?, ?) RETURNING *";
  const RELEASE_ONE = "DELETE FROM outbox WHERE seq = ? AND state = 'preparing'";
  const FIRST_OF = "SELECT * FROM outbox WHERE lane = ? AND conversation_id = ? AND state <> 'failed' ORDER BY seq LIMIT ?";
  const BY_SEQ = 'SELECT * FROM outbox WHERE seq = ?';
  const REMOVE = 'DELETE FROM outbox WHERE seq = ?';
  const HOLD = 'UPDATE outbox SET due_at = ?, updated_at = ? WHERE seq = ?';
  const RETRY = 'UPDATE outbox SET due_at = ?, attempts = attempts + 1, last_error = ?, updated_at = ? WHERE seq = ?';
  const FAIL = "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?, updated_at = ? WHERE seq = ?";
  const PENDING = `
    SELECT conversation_id, MIN(seq) AS seq FROM outbox WHERE lane = ? AND state <> 'failed'
    GROUP BY conversation_id ORDER BY MIN(seq)`;
  // Heads only: a ready item behind an earlier pending one is not stuck, it is waiting its turn.
  // (`state <> 'failed'` lets the engine walk the pending items' index instead of the whole table.)
  const OVERDUE_HEADS = `
    SELECT o.conversation_id, o.seq FROM outbox o
    WHERE o.lane = ? AND o.state <> 'failed' AND o.state = 'ready' AND o.due_at < ?
      AND NOT EXISTS (SELECT 1 FROM outbox h
                      WHERE h.lane = o.lane AND h.conversation_id = o.conversation_id AND h.state <> 'failed' AND h.seq < o.seq)
    ORDER BY o.seq LIMIT ?`;
  const PREPARING = "SELECT * FROM outbox WHERE lane = ? AND state = 'preparing' AND created_at < ? ORDER BY seq LIMIT ?";
  const FAILED_ALL = "SELECT * FROM outbox WHERE state = 'failed' ORDER BY updated_at DESC, seq DESC LIMIT ?";
  const FAILED_OF_LANE = "SELECT * FROM outbox WHERE lane = ? AND state = 'failed' ORDER BY updated_at DESC, seq DESC LIMIT ?";
  const STATS = 'SELECT lane, state, COUNT(*) AS n, MIN(due_at) AS oldest FROM outbox GROUP BY lane, state';
  // See inPlaceOrder. Two keys: a fixed first one keeps these locks apart from any other use of
  // advisory locks; hashtext collisions only make two conversations wait for each other.
  const PLACE_LOCK = 'SELECT pg_advisory_xact_lock(1014, hashtext(?)) AS locked';

  /**
   * Runs fn (which appends to the conversation's lanes) in a transaction that holds the
   * conversation's place lock until it ends, so within a conversation seq order is commit order:
   * a worker that reads the head never sees a later item commit before an earlier one and get
   * handled out of turn. On Postgres two transactions run at once and identity values are handed
   * out at insert, not at commit: a transaction-scoped advisory lock per conversation makes the
   * second appender wait for the first one's commit (outbox.conversation_id has no row to lock:
   * it is not a foreign key). On SQLite every write transaction holds the database's one writer
   * lock from BEGIN IMMEDIATE to COMMIT, which already gives that order: there a single-statement
   * append (`atomic`) needs no transaction of its own, as before.
   */
  const inPlaceOrder = <T>(conversationId: string, fn: () => Promise<T>, atomic = false): Promise<T> =>
    db.engine === 'sqlite' && atomic
      ? fn()
      : db.transaction(async () => {
          if (db.engine === 'postgres') await db.get(PLACE_LOCK, [conversationId]);
          return fn();
        });

  const stamp = (): { at: string; ms: number } => {
    const at = now();
    return { at, ms: Date.parse(at) };
  };

  // Inside inPlaceOrder only.
  async function append(lane: Lane, conversationId: string, messageId: string, t: { at: string; ms: number }): Promise<OutboxItem> {
    const row =
      (await db.get<OutboxRow>(INSERT_READY, [lane, conversationId, messageId, t.ms, t.at, t.at])) ??
      (await db.get<OutboxRow>(PENDING_OF_MESSAGE, [lane, messageId]));
    if (!row) throw new Error(`outbox item of ${messageId} vanished after insert`);
    return toItem(row);
  }

  const ofSlot = async (slotKey: string): Promise<OutboxRow[]> => db.all<OutboxRow>(OF_SLOT, [slotKey]);

  return {
    // One INSERT (plus a read of the existing item when the message has one already).
    add: (lane, conversationId, messageId) =>
      inPlaceOrder(conversationId, () => append(lane, conversationId, messageId, stamp()), true),
    reserve: (lanes, conversationId, slotKey, owner) =>
      inPlaceOrder(conversationId, async () => {
        const t = stamp();
        for (const lane of lanes) await db.get(INSERT_SLOT, [lane, conversationId, slotKey, owner, t.ms, t.at, t.at]);
        await db.run(REOWN, [owner, t.at, slotKey, INBOX_KEEPER]);
        return (await ofSlot(slotKey)).map(toItem);
      }),
    fill: (slotKey, messageId, conversationId, lanes) =>
      inPlaceOrder(conversationId, async () => {
        const t = stamp();
        const ready: OutboxItem[] = [];
        for (const lane of lanes) {
          const row = await db.get<OutboxRow>(FILL_SLOT, [messageId, t.ms, t.at, slotKey, lane]);
          // Not reserved in this lane (or reserved and given up): at the end, like any new item.
          ready.push(row ? toItem(row) : await append(lane, conversationId, messageId, t));
        }
        for (const row of await ofSlot(slotKey)) {
          if (row.state === 'preparing' && !lanes.includes(row.lane)) await db.run(REMOVE, [row.seq]);
        }
        return ready;
      }),
    async release(slotKey, lanes = [...ALL_LANES]) {
      const [a = null, b = null, ...more] = [...new Set(lanes)];
      if (more.length > 0) throw new Error(`outbox: unknown lanes ${more.join(', ')}`);
      // DELETE ... RETURNING has no ORDER BY: put the rows back in their order.
      const rows = await db.all<OutboxRow>(RELEASE_SLOT, [slotKey, a, b]);
      return rows.sort((x, y) => Number(x.seq) - Number(y.seq)).map(toItem);
    },
    releaseSeq: async (seq) => (await db.run(RELEASE_ONE, [seq])).changes === 1,
    async head(lane, conversationId) {
      const row = await db.get<OutboxRow>(FIRST_OF, [lane, conversationId, 1]);
      return row ? toItem(row) : null;
    },
    next: async (lane, conversationId, limit) =>
      (await db.all<OutboxRow>(FIRST_OF, [lane, conversationId, clampLimit(limit, 1, 1000)])).map(toItem),
    async get(seq) {
      const row = await db.get<OutboxRow>(BY_SEQ, [seq]);
      return row ? toItem(row) : null;
    },
    async remove(seq) {
      await db.run(REMOVE, [seq]);
    },
    async hold(seq, dueAt) {
      await db.run(HOLD, [dueAt, now(), seq]);
    },
    async retry(seq, dueAt, error) {
      await db.run(RETRY, [dueAt, clip(error), now(), seq]);
    },
    async fail(seq, error) {
      await db.run(FAIL, [clip(error), now(), seq]);
    },
    pendingConversations: async (lane) =>
      (await db.all<{ conversation_id: string; seq: number }>(PENDING, [lane])).map((r) => ({
        conversationId: r.conversation_id,
        seq: Number(r.seq),
      })),
    overdue: async (lane, dueBefore, limit) =>
      (await db.all<{ conversation_id: string; seq: number }>(OVERDUE_HEADS, [lane, dueBefore, clampLimit(limit, 100, 10_000)])).map(
        (r) => ({ conversationId: r.conversation_id, seq: Number(r.seq) }),
      ),
    preparingSince: async (lane, before, limit) =>
      (await db.all<OutboxRow>(PREPARING, [lane, before, clampLimit(limit, 100, 10_000)])).map(toItem),
    async listFailed(opts = {}) {
      const limit = clampLimit(opts.limit, 100);
      const rows = opts.lane ? await db.all<OutboxRow>(FAILED_OF_LANE, [opts.lane, limit]) : await db.all<OutboxRow>(FAILED_ALL, [limit]);
      return rows.map(toItem);
    },
    async findByMessage(lane, messageId) {
      const row = await db.get<OutboxRow>(LATEST_OF_MESSAGE, [lane, messageId]);
      return row ? toItem(row) : null;
    },
    stats: async () =>
      (await db.all<{ lane: Lane; state: OutboxItem['state']; n: number; oldest: number | null }>(STATS)).map((r) => ({
        lane: r.lane,
        state: r.state,
        // COUNT and MIN of a BIGINT are BIGINT on Postgres: numbers whatever the driver hands out.
        count: Number(r.n),
        oldestDueAt: r.oldest === null ? null : Number(r.oldest),
      })),
  };
}
