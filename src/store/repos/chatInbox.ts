// The chat inbox (migration 002): raw platform events stored before the platform is answered, so
// an event acknowledged just before a crash is handled after the restart instead of being lost.
// A platform's event id is unique per platform: storing it twice keeps the first copy.
import type { PlatformId } from '../../core/types.js';
import type { RepoContext } from '../shared.js';

export interface InboxEvent {
  platform: PlatformId;
  eventId: string;
  /** The event as received (raw JSON text). */
  payload: string;
  receivedAt: string;
}

export interface ChatInboxRepo {
  /** Stores the event; false when it was stored before (a platform retry). */
  accept(platform: PlatformId, eventId: string, payload: string): boolean;
  /** The event was handled (whatever the outcome): it is not replayed. */
  markDone(platform: PlatformId, eventId: string): void;
  /** Events stored but never marked done, oldest first. */
  listOpen(platform: PlatformId, limit?: number): InboxEvent[];
  /** Forgets handled events received before `before` (ISO); returns how many. */
  pruneDone(before: string): number;
}

interface InboxRow {
  platform: string;
  event_id: string;
  payload: string;
  received_at: string;
}

export function createChatInboxRepo({ db, now }: RepoContext): ChatInboxRepo {
  const insert = db.prepare<{ platform: string; eventId: string; payload: string; now: string }>(`
    INSERT INTO chat_inbox (platform, event_id, payload, received_at) VALUES (@platform, @eventId, @payload, @now)
    ON CONFLICT DO NOTHING`);
  const done = db.prepare<{ platform: string; eventId: string; now: string }>(
    'UPDATE chat_inbox SET done_at = @now WHERE platform = @platform AND event_id = @eventId AND done_at IS NULL',
  );
  const open = db.prepare<[string, number], InboxRow>(
    'SELECT platform, event_id, payload, received_at FROM chat_inbox WHERE platform = ? AND done_at IS NULL ORDER BY received_at, rowid LIMIT ?',
  );
  const prune = db.prepare<[string]>('DELETE FROM chat_inbox WHERE done_at IS NOT NULL AND received_at < ?');
  return {
    accept: (platform, eventId, payload) => insert.run({ platform, eventId, payload, now: now() }).changes === 1,
    markDone(platform, eventId) {
      done.run({ platform, eventId, now: now() });
    },
    listOpen: (platform, limit = 1000) =>
      open.all(platform, limit).map((r) => ({ platform: r.platform, eventId: r.event_id, payload: r.payload, receivedAt: r.received_at })),
    pruneDone: (before) => prune.run(before).changes,
  };
}
