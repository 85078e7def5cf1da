// Where the bytes of a stored media file live: in the store (media_files), so every instance on
// the database reads the same file. Rows an older version stored point at a file under
// DATA_DIR/media instead; those are still read from there, so an upgrade loses no file.
import { readFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { MediaFileRepo, Store } from '../core/ports.js';
import type { MediaItem } from '../core/types.js';

export interface StoredMediaReader {
  /** The file's bytes; null when the row is not 'stored' or no bytes can be found for it. */
  read(item: MediaItem): Promise<Buffer | null>;
}

export function storedMediaReader(deps: { files: MediaFileRepo; dataDir: string }): StoredMediaReader {
  const root = resolve(deps.dataDir);
  return {
    async read(item) {
      if (item.status !== 'stored') return null;
      const kept = await deps.files.get(item.id);
      if (kept) return kept;
      if (!item.path) return null;
      // A legacy path always lies under DATA_DIR; anything that would escape it is not read.
      const file = resolve(root, item.path);
      if (!file.startsWith(root + sep)) return null;
      try {
        return await readFile(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
  };
}

type MediaStore = Pick<Store, 'media' | 'mediaFiles' | 'transaction'>;

/**
 * Marks the pending row `mediaId` stored with these bytes: the bytes and the row's new status are
 * written in one transaction, so no instance ever sees a 'stored' row without its file.
 */
export function keepDownloadedMedia(
  store: MediaStore,
  mediaId: string,
  file: { bytes: Buffer; contentType: string },
): Promise<MediaItem | null> {
  return store.transaction(async () => {
    await store.mediaFiles.put(mediaId, file.bytes);
    return store.media.update(mediaId, { status: 'stored', path: null, size: file.bytes.length, contentType: file.contentType, reason: null });
  });
}

/** A new media row (a chat reply's file, not yet tied to a message) stored with its bytes in one transaction. */
export function createStoredMedia(
  store: MediaStore,
  input: { messageId: string | null; contentType: string; sourceUrl: string | null },
  bytes: Buffer,
): Promise<MediaItem> {
  return store.transaction(async () => {
    const row = await store.media.create({
      // Staged row: message_id stays NULL until requestOutbound attaches it (the schema allows
      // this for chat uploads; the MediaRepo type does not spell it, hence the cast).
      messageId: input.messageId as string,
      contentType: input.contentType,
      size: bytes.length,
      path: null,
      sourceUrl: input.sourceUrl,
      status: 'stored',
      reason: null,
    });
    await store.mediaFiles.put(row.id, bytes);
    return row;
  });
}
