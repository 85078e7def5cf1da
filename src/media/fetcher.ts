// Downloads the media an inbound message refers to (rows in status 'pending') into the store
// (media_files, beside the row), where any instance can serve it. A link that leads outside the provider, a type that differs from
// what the provider declared, or a file over the cap is refused with a human reason; the message
// itself is always kept. Called by the delivery job before a message is posted to chat.
import type { Logger } from 'pino';
import { pino } from 'pino';
import type { Store } from '../core/ports.js';
import type { MediaItem } from '../core/types.js';
import { parseDataUrl } from './dataUrl.js';
import { download } from './download.js';
import type { MediaSourcePolicy } from './hostRules.js';
import { keepDownloadedMedia } from './storedMedia.js';

export interface MediaFetcherDeps {
  store: Store;
  /** Where each provider's media may come from (from the provider factories' `mediaSource`). */
  sources: Record<string, MediaSourcePolicy | undefined>;
  /** Per-file cap; default: the policy's MMS total. */
  maxFileBytes?: number;
  /** Deadline of one file's whole download; default MEDIA_DOWNLOAD_DEADLINE_MS. */
  timeoutMs?: number;
  maxRedirects?: number;
  logger?: Logger;
  /** Optional counter hook (SmsMetrics.media). */
  onResult?: (provider: string, result: 'stored' | 'refused' | 'failed') => void;
}

export interface FetchOptions {
  /**
   * When false, a transient failure (5xx, timeout, network) leaves the row 'pending' so a job
   * retry can try again. When true (default) it ends 'failed' with the reason.
   */
  finalAttempt?: boolean;
}

export interface MediaFetcher {
  /** Every media row of the message after the attempt (stored, refused, failed or pending). */
  fetchPendingMedia(messageId: string, opts?: FetchOptions): Promise<MediaItem[]>;
}

export function createMediaFetcher(deps: MediaFetcherDeps): MediaFetcher {
  const log = deps.logger ?? pino({ level: 'silent' });

  return {
    async fetchPendingMedia(messageId, opts) {
      const finalAttempt = opts?.finalAttempt ?? true;
      const message = await deps.store.messages.get(messageId);
      if (!message) return [];
      const items = await deps.store.media.listForMessage(messageId);
      const pending = items.filter((m) => m.status === 'pending');
      if (pending.length === 0) return items;

      const policy = await deps.store.policy.get();
      const totalCap = policy.mms.maxTotalBytes;
      const fileCap = Math.min(deps.maxFileBytes ?? totalCap, totalCap);
      let used = items.filter((m) => m.status === 'stored').reduce((n, m) => n + m.size, 0);
      const provider = message.provider ?? 'unknown';
      const source = deps.sources[provider];

      for (const item of pending) {
        const refuse = async (status: 'refused' | 'failed', reason: string): Promise<void> => {
          await deps.store.media.update(item.id, { status, reason, path: null });
          deps.onResult?.(provider, status);
          log.warn({ messageId, mediaId: item.id, provider, status, reason }, 'inbound media not stored');
        };
        if (!item.sourceUrl) {
          await refuse('failed', 'media link missing');
          continue;
        }
        if (!source) {
          await refuse('refused', `media from ${provider} is not accepted`);
          continue;
        }
        const remaining = totalCap - used;
        if (remaining <= 0) {
          await refuse('refused', 'the message\'s media exceed the total size allowed');
          continue;
        }
        if (item.sourceUrl.startsWith('data:')) {
          const file = source.dataUrls ? parseDataUrl(item.sourceUrl) : null;
          const want = item.contentType && item.contentType !== 'application/octet-stream' ? item.contentType.toLowerCase() : null;
          if (!source.dataUrls) await refuse('refused', `inline (data:) media from ${provider} is not accepted`);
          else if (!file) await refuse('refused', 'the data: link holds no base64 file');
          else if (want && want !== file.contentType) await refuse('refused', `media content type ${file.contentType} differs from the declared ${want}`);
          else if (file.bytes.length > Math.min(fileCap, remaining)) await refuse('refused', 'the media file is larger than allowed');
          else {
            used += file.bytes.length;
            await keepDownloadedMedia(deps.store, item.id, file);
            deps.onResult?.(provider, 'stored');
            log.info({ messageId, mediaId: item.id, provider, size: file.bytes.length }, 'inbound media stored');
          }
          continue;
        }
        const result = await download({
          url: item.sourceUrl,
          source,
          declaredType: item.contentType || null,
          maxBytes: Math.min(fileCap, remaining),
          timeoutMs: deps.timeoutMs,
          maxRedirects: deps.maxRedirects ?? 5,
        });
        if (result.ok) {
          used += result.size;
          await keepDownloadedMedia(deps.store, item.id, result);
          deps.onResult?.(provider, 'stored');
          log.info({ messageId, mediaId: item.id, provider, size: result.size }, 'inbound media stored');
        } else if (result.transient && !finalAttempt) {
          log.warn({ messageId, mediaId: item.id, provider, reason: result.reason }, 'inbound media download will be retried');
        } else {
          await refuse(result.kind, result.reason);
        }
      }
      return deps.store.media.listForMessage(messageId);
    },
  };
}
