// Files attached to a Slack reply, on their way to MMS: fetched with the bot token (url_private
// needs it), kept in the store (row and bytes in one transaction) as media rows not yet tied to a
// message (staged),
// then handed to requestOutbound, which attaches them to the outbound message. A file that cannot
// be fetched is reported back (the reply is then not sent, and the thread says why).

import type { Store } from '../../../src/core/ports.js';
import type { OutboundMedia } from '../../../src/core/types.js';
import { createStoredMedia } from '../../../src/media/storedMedia.js';
import type { SlackApi } from './api.js';

/** The part of a Slack message event's `files[]` entry we use. */
export interface SlackEventFile {
  id?: string;
  name?: string;
  mimetype?: string;
  size?: number;
  url_private?: string;
  url_private_download?: string;
}

export interface StagedFiles {
  media: OutboundMedia[];
  /** Files that could not be fetched, with why (shown in the thread). */
  problems: string[];
}

export async function stageReplyFiles(
  deps: { store: Store; api: SlackApi; maxBytes: number },
  files: SlackEventFile[],
): Promise<StagedFiles> {
  const media: OutboundMedia[] = [];
  const problems: string[] = [];
  for (const f of files) {
    const name = f.name ?? f.id ?? 'file';
    const url = f.url_private_download ?? f.url_private;
    if (!url) {
      problems.push(`${name}: Slack gave no link to the file`);
      continue;
    }
    if (typeof f.size === 'number' && f.size > deps.maxBytes) {
      // Too big to go as MMS: not fetched, but passed on so the rules refuse it with the reason.
      media.push({ contentType: f.mimetype ?? 'application/octet-stream', size: f.size, name });
      continue;
    }
    try {
      const { bytes, contentType } = await deps.api.downloadFile(url, deps.maxBytes);
      const type = (f.mimetype ?? contentType ?? 'application/octet-stream').split(';')[0]?.trim() ?? 'application/octet-stream';
      // Staged: message_id stays NULL until requestOutbound attaches it to the message.
      const row = await createStoredMedia(deps.store, { messageId: null, contentType: type, sourceUrl: url }, bytes);
      media.push({ contentType: type, size: bytes.length, mediaId: row.id, name });
    } catch (err) {
      problems.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { media, problems };
}
