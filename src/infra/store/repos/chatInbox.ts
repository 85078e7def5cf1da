// The chat inbox (migration 002): raw platform events stored before the platform is answered, so
// an event acknowledged just before a crash is handled after the restart instead of being lost.
// A platform's event id is unique per platform: storing it twice keeps the first copy.
// Each event has an owner (migration 007): the instance handling it (a liveness owner,
// "<name>~<nonce>"). Instances sharing the store replay only events whose owner is not alive, and
// take each over with `claim` (one conditional UPDATE), so exactly one of them replays it.
import type { PlatformId } from '../../../core/types.js';
import { rowOrder, type DbContext } from '../shared.js';

export interface InboxEvent {
  platform: PlatformId;
  eventId: string;
  /** The event as received (raw JSON text). */
  payload: string;
  receivedAt: string;
  /** Replays started so far (a handler that failed leaves the event open for another one). */
  attempts: number;
  /** The instance handling it (liveness owner); null for events stored before owners were kept. */
  owner: string | null;
}

export interface ChatInboxRepo {
  /** Stores the event, handled by `owner`; false when it was stored before (a platform retry). */
  accept(platform: PlatformId, eventId: string, payload: string, owner?: string | null): Promise<boolean>;
  /**
   * Takes an open event over from `from` (its owner as read; null: none recorded) for `to`: true
   * for exactly one of several concurrent callers, false when it was done or taken meanwhile.
   */
  claim(platform: PlatformId, eventId: string, from: string | null, to: string): Promise<boolean>;
  /** The event was handled (whatever the outcome): it is not replayed. */
  markDone(platform: PlatformId, eventId: string): Promise<void>;
  /** True once the event was marked done (by any instance), until it is pruned. */
  isDone(platform: PlatformId, eventId: string): Promise<boolean>;
  /** Events stored but never marked done, oldest first; `receivedBefore` (ISO) skips newer ones. */
  listOpen(platform: PlatformId, opts?: { receivedBefore?: string; limit?: number }): Promise<InboxEvent[]>;
  /** Counts one more replay of the event (before it runs). */
  countAttempt(platform: PlatformId, eventId: string): Promise<void>;
  /** Forgets handled events received before `before` (ISO); returns how many. */
  pruneDone(before: string): Promise<number>;
}

interface InboxRow {
  platform: string;
  event_id: string;
  payload: string;
  received_at: string;
  attempts: number;
  owner: string | null;
}

export function createChatInboxRepo({ db, now }: DbContext): ChatInboxRepo {
  const INSERT = `
    INSERT INTO chat_inbox (platform, event_id, payload, received_at, owner) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT DO NOTHING`;
  // Compare-and-set on the owner read: of two survivors claiming one event, the second finds the
  // owner changed and gets no row back. (Two texts: `owner = NULL` matches nothing.)
  const CLAIM = 'UPDATE chat_inbox SET owner = ? WHERE platform = ? AND event_id = ? AND done_at IS NULL AND owner = ? RETURNING event_id';
  const CLAIM_UNOWNED = 'UPDATE chat_inbox SET owner = ? WHERE platform = ? AND event_id = ? AND done_at IS NULL AND owner IS NULL RETURNING event_id';
  const DONE = 'UPDATE chat_inbox SET done_at = ? WHERE platform = ? AND event_id = ? AND done_at IS NULL';
  const OPEN = `
    SELECT platform, event_id, payload, received_at, attempts, owner FROM chat_inbox
    WHERE platform = ? AND done_at IS NULL AND received_at <= ? ORDER BY received_at, ${rowOrder(db)} LIMIT ?`;
  const IS_DONE = 'SELECT 1 AS done FROM chat_inbox WHERE platform = ? AND event_id = ? AND done_at IS NOT NULL';
  const ATTEMPT = 'UPDATE chat_inbox SET attempts = attempts + 1 WHERE platform = ? AND event_id = ?';
  const PRUNE = 'DELETE FROM chat_inbox WHERE done_at IS NOT NULL AND received_at < ?';
  return {
    accept: async (platform, eventId, payload, owner = null) => (await db.run(INSERT, [platform, eventId, payload, now(), owner])).changes === 1,
    claim: async (platform, eventId, from, to) =>
      (from === null ? await db.get(CLAIM_UNOWNED, [to, platform, eventId]) : await db.get(CLAIM, [to, platform, eventId, from])) !== undefined,
    async markDone(platform, eventId) {
      await db.run(DONE, [now(), platform, eventId]);
    },
    isDone: async (platform, eventId) => (await db.get<{ done: number }>(IS_DONE, [platform, eventId])) !== undefined,
    listOpen: async (platform, opts = {}) =>
      (await db.all<InboxRow>(OPEN, [platform, opts.receivedBefore ?? '9999', opts.limit ?? 1000])).map((r) => ({
        platform: r.platform,
        eventId: r.event_id,
        payload: r.payload,
        receivedAt: r.received_at,
        attempts: r.attempts,
        owner: r.owner,
      })),
    async countAttempt(platform, eventId) {
      await db.run(ATTEMPT, [platform, eventId]);
    },
    pruneDone: async (before) => (await db.run(PRUNE, [before])).changes,
  };
}
