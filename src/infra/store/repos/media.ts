// Media files attached to messages. Rows are also read by the message repository, which returns
// every message with its media.
import { randomUUID } from 'node:crypto';
import type { MediaRepo } from '../../../core/ports.js';
import type { MediaItem } from '../../../core/types.js';
import type { RepoContext } from '../shared.js';
import type { Sync } from '../sqlite/asyncRepo.js';

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

export function createMediaRepo({ db, now }: RepoContext): Sync<MediaRepo> {
  // RETURNING: the created row comes back from the insert itself (no second SELECT).
  const insert = db.prepare<[Record<string, unknown>], MediaRow>(`
    INSERT INTO media (id, message_id, content_type, size, path, source_url, status, reason, created_at)
    VALUES (@id, @messageId, @contentType, @size, @path, @sourceUrl, @status, @reason, @now)
    RETURNING *`);
  const byId = db.prepare<[string], MediaRow>('SELECT * FROM media WHERE id = ?');
  const forMessage = db.prepare<[string], MediaRow>(
    'SELECT * FROM media WHERE message_id = ? ORDER BY created_at, rowid',
  );
  const updateRow = db.prepare(`
    UPDATE media SET path = @path, size = @size, content_type = @contentType, status = @status, reason = @reason
    WHERE id = @id`);

  // A chat file saved before its message existed is claimed once; a row that already belongs to
  // another message is never moved (the caller copies it instead).
  const claim = db.prepare(
    'UPDATE media SET message_id = @messageId WHERE id = @id AND (message_id IS NULL OR message_id = @messageId)',
  );

  const get = (id: string): MediaItem | null => {
    const row = byId.get(id);
    return row ? toMedia(row) : null;
  };

  const update = db.transaction((id: string, patch: Parameters<MediaRepo['update']>[1]) => {
    const current = get(id);
    if (!current) return null;
    updateRow.run({
      id,
      path: patch.path === undefined ? current.path : patch.path,
      size: patch.size ?? current.size,
      contentType: patch.contentType ?? current.contentType,
      status: patch.status ?? current.status,
      reason: patch.reason === undefined ? current.reason : patch.reason,
    });
    return get(id);
  });

  return {
    create(input) {
      const id = randomUUID();
      const created = insert.get({
        id,
        messageId: input.messageId,
        contentType: input.contentType,
        size: input.size,
        path: input.path,
        sourceUrl: input.sourceUrl,
        status: input.status,
        reason: input.reason,
        now: now(),
      });
      if (!created) throw new Error(`media ${id} vanished after insert`);
      return toMedia(created);
    },
    get,
    listForMessage: (messageId) => forMessage.all(messageId).map(toMedia),
    update: (id, patch) => update.immediate(id, patch),
    attach(mediaId, messageId) {
      return claim.run({ id: mediaId, messageId }).changes === 1 ? get(mediaId) : null;
    },
  };
}
