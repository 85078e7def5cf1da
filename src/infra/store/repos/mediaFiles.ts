// The bytes of stored media files (table media_files, one row per stored media row). MMS files
// are a few MB at most, so a file is written and read whole: BLOB on SQLite, BYTEA on Postgres,
// a Buffer on both sides.
import type { MediaFileRepo } from '../../../core/ports.js';
import type { DbContext } from '../shared.js';

export function createMediaFileRepo({ db, now }: DbContext): MediaFileRepo {
  const PUT = `
    INSERT INTO media_files (media_id, bytes, created_at) VALUES (?, ?, ?)
    ON CONFLICT (media_id) DO UPDATE SET bytes = excluded.bytes`;
  const GET = 'SELECT bytes FROM media_files WHERE media_id = ?';

  return {
    async put(mediaId, bytes) {
      await db.run(PUT, [mediaId, bytes, now()]);
    },
    async get(mediaId) {
      const row = await db.get<{ bytes: Buffer | Uint8Array }>(GET, [mediaId]);
      if (!row) return null;
      return Buffer.isBuffer(row.bytes) ? row.bytes : Buffer.from(row.bytes);
    },
  };
}
