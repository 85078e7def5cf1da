// The chat inbox (migration 002): raw platform events stored before the platform is answered, so
// an event acknowledged just before a crash is handled after the restart instead of being lost.
// A platform's event id is unique per platform: storing it twice keeps the first copy.
import type { PlatformId } from '../../../core/types.js';
import type { RepoContext } from '../shared.js';
import type { Sync } from '../sqlite/asyncRepo.js';

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

export function createChatInboxRepo({ db, now }: RepoContext): Sync<ChatInboxRepo> {
  const insert = db.prepare<{ platform: string; eventId: string; payload: string; now: string }>(`
    INSERT INTO chat_inbox (platform, event_id, payload, received_at) VALUES (@platform, @eventId, @payload, @now)
    ON CONFLICT DO NOTHING`);
  const done = db.prepare<{ platform: string; eventId: string; now: string }>(
    'UPDATE chat_inbox SET done_at = @now WHERE platform = @platform AND event_id = @eventId AND done_at IS NULL',
  );
  const open = db.prepare<[string, string, number], InboxRow>(
    `SELECT platform, event_id, payload, received_at, attempts FROM chat_inbox
     WHERE platform = ? AND done_at IS NULL AND received_at <= ? ORDER BY received_at, rowid LIMIT ?`,
  );
  const attempt = db.prepare<[string, string]>('UPDATE chat_inbox SET attempts = attempts + 1 WHERE platform = ? AND event_id = ?');
  const prune = db.prepare<[string]>('DELETE FROM chat_inbox WHERE done_at IS NOT NULL AND received_at < ?');
  return {
    accept: (platform, eventId, payload) => insert.run({ platform, eventId, payload, now: now() }).changes === 1,
    markDone(platform, eventId) {
      done.run({ platform, eventId, now: now() });
    },
    listOpen: (platform, opts = {}) =>
      open
        .all(platform, opts.receivedBefore ?? '9999', opts.limit ?? 1000)
        .map((r) => ({ platform: r.platform, eventId: r.event_id, payload: r.payload, receivedAt: r.received_at, attempts: r.attempts })),
    countAttempt(platform, eventId) {
      attempt.run(platform, eventId);
    },
    pruneDone: (before) => prune.run(before).changes,
  };
}
