// Files attached to a Teams reply, on their way out as MMS.
//
// Teams puts pictures pasted into a reply on the activity as attachments whose contentUrl lives
// on the connector (the activity's serviceUrl host, needs the bot's token), and shared files as
// "file.download.info" attachments with a SharePoint download URL. We fetch them with the guarded
// downloader from src/media (host rules, no private addresses except a trusted loopback
// serviceUrl, byte cap, redirects re-checked), sending the bot's token only to the connector (when
// its serviceUrl is on the trusted hosts, see trust.ts) and to Teams/SharePoint hosts, and stage them as media rows (message_id NULL) that requestOutbound
// attaches to the outbound message, their bytes kept in the store with the row. Anything else is
// reported back and shown in the thread.

import type { Store } from '../../../src/core/ports.js';
import type { OutboundMedia } from '../../../src/core/types.js';
import { download } from '../../../src/media/download.js';
import { createStoredMedia } from '../../../src/media/storedMedia.js';
import { httpsHostRule, ruleFromUrl, type HostRule, type MediaSourcePolicy } from '../../../src/media/hostRules.js';
import type { TokenProvider } from './connector.js';
import { FILE_DOWNLOAD_INFO } from './activity.js';
import type { ServiceUrlPolicy } from './trust.js';

/** An attachment as it arrives on a Teams message activity. */
export interface TeamsAttachment {
  contentType?: string;
  contentUrl?: string;
  name?: string;
  content?: unknown;
}


/** Hosts where Teams keeps files people attach (besides the activity's own serviceUrl). */
const TEAMS_FILE_HOSTS: HostRule[] = [
  httpsHostRule('*.sharepoint.com'),
  httpsHostRule('*.sharepoint-df.com'),
  httpsHostRule('smba.trafficmanager.net'),
  httpsHostRule('*.botframework.com'),
  httpsHostRule('*.teams.microsoft.com'),
  httpsHostRule('*.asm.skype.com'),
];

const EXT_TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  bmp: 'image/bmp',
  webp: 'image/webp',
  mp4: 'video/mp4',
  pdf: 'application/pdf',
  vcf: 'text/vcard',
};

interface Candidate {
  name: string;
  url: string;
  declaredType: string | null;
}

/** Which attachments are files to send; the rest (the HTML copy of the text, cards) is not. */
export function fileCandidates(attachments: TeamsAttachment[] | undefined): { files: Candidate[]; unsupported: string[] } {
  const files: Candidate[] = [];
  const unsupported: string[] = [];
  (attachments ?? []).forEach((a, i) => {
    const type = (a.contentType ?? '').toLowerCase();
    if (type === 'text/html' || type === 'text/plain') return; // Teams' copy of the message text
    const name = a.name ?? `attachment ${i + 1}`;
    if (type === FILE_DOWNLOAD_INFO) {
      const c = (a.content ?? {}) as { downloadUrl?: string; fileType?: string };
      if (!c.downloadUrl) {
        unsupported.push(`${name}: Teams gave no download link`);
        return;
      }
      files.push({ name, url: c.downloadUrl, declaredType: c.fileType ? EXT_TYPES[c.fileType.toLowerCase()] ?? null : null });
      return;
    }
    if (type.startsWith('image/') || type.startsWith('video/') || type.startsWith('audio/') || type === 'application/pdf') {
      if (!a.contentUrl) {
        unsupported.push(`${name}: Teams gave no link to the file`);
        return;
      }
      // Teams often says "image/*"; the bytes' own type decides then.
      files.push({ name, url: a.contentUrl, declaredType: type.includes('*') ? null : type });
      return;
    }
    unsupported.push(`${name}: ${type || 'this kind of attachment'} cannot be sent by SMS/MMS`);
  });
  return { files, unsupported };
}

export interface StagedFiles {
  media: OutboundMedia[];
  /** Files that could not be taken, with why (shown in the thread). */
  problems: string[];
}

export async function stageReplyFiles(
  deps: { store: Store; maxBytes: number; getToken: TokenProvider; serviceUrls: ServiceUrlPolicy; timeoutMs?: number },
  serviceUrl: string,
  attachments: TeamsAttachment[] | undefined,
): Promise<StagedFiles> {
  const { files, unsupported } = fileCandidates(attachments);
  const problems = [...unsupported];
  const media: OutboundMedia[] = [];
  if (files.length === 0) return { media, problems };

  // The activity's connector is a file host only when it is one we trust: a serviceUrl on, say,
  // 127.0.0.1 would otherwise make its private address (and the bot's token) fair game.
  const hosts = deps.serviceUrls.allows(serviceUrl) ? [ruleFromUrl(serviceUrl), ...TEAMS_FILE_HOSTS] : TEAMS_FILE_HOSTS;
  const token = await deps.getToken(serviceUrl);
  const source: MediaSourcePolicy = {
    allowed: hosts,
    ...(token ? { authorization: `Bearer ${token}`, authHosts: hosts } : {}),
  };

  for (const f of files) {
    const result = await download({
      url: f.url,
      source,
      declaredType: f.declaredType,
      maxBytes: deps.maxBytes,
      timeoutMs: deps.timeoutMs ?? 30_000,
      maxRedirects: 3,
    });
    if (!result.ok) {
      // Kept on record like an inbound file that was not taken, with the reason.
      await deps.store.media.create({
        messageId: null as unknown as string,
        contentType: f.declaredType ?? 'application/octet-stream',
        size: 0,
        path: null,
        sourceUrl: f.url,
        status: result.kind,
        reason: result.reason,
      });
      problems.push(`${f.name}: ${result.reason.replace('media link pointed outside the provider', 'the link does not point to Teams')}`);
      continue;
    }
    // Staged: message_id stays NULL until requestOutbound attaches it to the message.
    const row = await createStoredMedia(deps.store, { messageId: null, contentType: result.contentType, sourceUrl: f.url }, result.bytes);
    media.push({ contentType: result.contentType, size: result.size, mediaId: row.id, name: f.name });
  }
  return { media, problems };
}
