// Media files attached to messages. Rows are also read by the message repository, which returns
// every message with its media.
import { randomUUID } from 'node:crypto';
import type { MediaRepo } from '../../../core/ports.js';
import type { MediaItem } from '../../../core/types.js';
import { rowOrder, sqlVariants, type DbContext } from '../shared.js';

export interface MediaRow {
  id: string;
  message_id: string;
  content_type: string;
  size: number;
  path: string | null;
  source_url: string | null;
  status: MediaItem['status'];
  reason: string | null;
  created_at: string;
}

export function toMedia(r: MediaRow): MediaItem {
  return {
    id: r.id,
    messageId: r.message_id,
    contentType: r.content_type,
    size: r.size,
    path: r.path,
    sourceUrl: r.source_url,
    status: r.status,
    reason: r.reason,
    createdAt: r.created_at,
  };
}

export function createMediaRepo({ db, now }: DbContext): MediaRepo {
  // RETURNING: the created row comes back from the insert itself (no second SELECT).
  const INSERT = `
    INSERT INTO media (id, message_id, content_type, size, path, source_url, status, reason, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    RETURNING *`;
  const BY_ID = 'SELECT * FROM media WHERE id = ?';
  const FOR_MESSAGE = `SELECT * FROM media WHERE message_id = ? ORDER BY created_at, ${rowOrder(db)}`;
  // One statement (no read-modify-write): size, content type and status keep their value when
  // not given (null); path and reason, which may be set to null, are written only when given
  // (bit 1 path, bit 2 reason). Params: size, content type, status[, path][, reason], id.
  const update = sqlVariants<number>(
    (key) => `
    UPDATE media SET size = COALESCE(?, size), content_type = COALESCE(?, content_type), status = COALESCE(?, status)${
      key & 1 ? ', path = ?' : ''
    }${key & 2 ? ', reason = ?' : ''}
    WHERE id = ?
    RETURNING *`,
  );
  // A chat file saved before its message existed is claimed once; a row that already belongs to
  // another message is never moved (the caller copies it instead). Params: message id, id, message id.
  const CLAIM = 'UPDATE media SET message_id = ? WHERE id = ? AND (message_id IS NULL OR message_id = ?) RETURNING *';

  return {
    async create(input) {
      const id = randomUUID();
      const created = await db.get<MediaRow>(INSERT, [
        id,
        input.messageId,
        input.contentType,
        input.size,
        input.path,
        input.sourceUrl,
        input.status,
        input.reason,
        now(),
      ]);
      if (!created) throw new Error(`media ${id} vanished after insert`);
      return toMedia(created);
    },
    async get(id) {
      const row = await db.get<MediaRow>(BY_ID, [id]);
      return row ? toMedia(row) : null;
    },
    listForMessage: async (messageId) => (await db.all<MediaRow>(FOR_MESSAGE, [messageId])).map(toMedia),
    async update(id, patch) {
      const params: Array<string | number | null> = [patch.size ?? null, patch.contentType ?? null, patch.status ?? null];
      if (patch.path !== undefined) params.push(patch.path);
      if (patch.reason !== undefined) params.push(patch.reason);
      params.push(id);
      const row = await db.get<MediaRow>(update((patch.path !== undefined ? 1 : 0) + (patch.reason !== undefined ? 2 : 0)), params);
      return row ? toMedia(row) : null;
    },
    async attach(mediaId, messageId) {
      const row = await db.get<MediaRow>(CLAIM, [messageId, mediaId, messageId]);
      return row ? toMedia(row) : null;
    },
  };
}
