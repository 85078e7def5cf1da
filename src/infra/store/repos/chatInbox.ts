// The chat inbox (migration 002): raw platform events stored before the platform is answered, so
// an event acknowledged just before a crash is handled after the restart instead of being lost.
// A platform's event id is unique per platform: storing it twice keeps the first copy.
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
}

export interface ChatInboxRepo {
  /** Stores the event; false when it was stored before (a platform retry). */
  accept(platform: PlatformId, eventId: string, payload: string): Promise<boolean>;
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
}

export function createChatInboxRepo({ db, now }: DbContext): ChatInboxRepo {
  const INSERT = `
    INSERT INTO chat_inbox (platform, event_id, payload, received_at) VALUES (?, ?, ?, ?)
    ON CONFLICT DO NOTHING`;
  const DONE = 'UPDATE chat_inbox SET done_at = ? WHERE platform = ? AND event_id = ? AND done_at IS NULL';
  const OPEN = `
    SELECT platform, event_id, payload, received_at, attempts FROM chat_inbox
    WHERE platform = ? AND done_at IS NULL AND received_at <= ? ORDER BY received_at, ${rowOrder(db)} LIMIT ?`;
  const IS_DONE = 'SELECT 1 AS done FROM chat_inbox WHERE platform = ? AND event_id = ? AND done_at IS NOT NULL';
  const ATTEMPT = 'UPDATE chat_inbox SET attempts = attempts + 1 WHERE platform = ? AND event_id = ?';
  const PRUNE = 'DELETE FROM chat_inbox WHERE done_at IS NOT NULL AND received_at < ?';
  return {
    accept: async (platform, eventId, payload) => (await db.run(INSERT, [platform, eventId, payload, now()])).changes === 1,
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
      })),
    async countAttempt(platform, eventId) {
      await db.run(ATTEMPT, [platform, eventId]);
    },
    pruneDone: async (before) => (await db.run(PRUNE, [before])).changes,
  };
}
