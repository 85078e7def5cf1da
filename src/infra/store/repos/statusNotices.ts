// What a chat platform shows as a message's status in one channel: the status line last rendered
// and, for Teams, the notice activity under a person's reply that carries it. In the store, so
// every bridge instance updates the one notice instead of posting its own.
import type { PlatformId } from '../../../core/types.js';
import type { DbContext } from '../shared.js';

export interface ShownStatus {
  /** The notice under a person's reply; null when the status is shown on our own post. */
  activityId: string | null;
  /** The status line shown now. */
  line: string;
}

export interface StatusNoticeRepo {
  get(messageId: string, platform: PlatformId, channel: string): Promise<ShownStatus | null>;
  /** Records what is shown now (insert or replace). */
  save(messageId: string, platform: PlatformId, channel: string, shown: ShownStatus): Promise<void>;
}

interface NoticeRow {
  activity_id: string | null;
  shown_line: string;
}

export function createStatusNoticeRepo({ db, now }: DbContext): StatusNoticeRepo {
  const GET = 'SELECT activity_id, shown_line FROM status_notices WHERE message_id = ? AND platform = ? AND channel = ?';
  const SAVE = `
    INSERT INTO status_notices (message_id, platform, channel, activity_id, shown_line, updated_at)
    VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (message_id, platform, channel) DO UPDATE SET
      activity_id = excluded.activity_id, shown_line = excluded.shown_line, updated_at = excluded.updated_at`;
  return {
    async get(messageId, platform, channel) {
      const row = await db.get<NoticeRow>(GET, [messageId, platform, channel]);
      return row ? { activityId: row.activity_id, line: row.shown_line } : null;
    },
    async save(messageId, platform, channel, shown) {
      await db.run(SAVE, [messageId, platform, channel, shown.activityId, shown.line, now()]);
    },
  };
}
