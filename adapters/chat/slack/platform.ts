// Slack as a ChatPlatform: thread roots, messages (with pictures uploaded into the thread) and
// status marks. Called by src/delivery (deliverMessage, statusNotifier); knows nothing of queues.

import { PlatformError } from '../../../src/core/errors.js';
import type { ChatMessageView, ChatPlatform, MessagePost, OwnPostFinder } from '../../../src/core/ports.js';
import { DEFAULT_POLICY, type Conversation, type MediaItem, type Message, type ThreadRef } from '../../../src/core/types.js';
import { silentLogger, type ChatLogger } from '../../../src/delivery/logger.js';
import type { StoredMediaReader } from '../../../src/media/storedMedia.js';
import { platformCode, type SlackApi } from './api.js';
import {
  BRIDGE_EVENT_TYPE,
  PLATFORM_ID,
  escapeSlackText,
  platformMessageId,
  rootText,
  statusNotice,
  staleStatusReactions,
  statusReaction,
  tsOf,
} from './format.js';
import { findMessagePostTs, findThreadRootTs } from './ownPosts.js';
import type { ChannelPacer } from './pacer.js';
import { messagePost, type RichTextBlock } from './richText.js';

export interface SlackPlatformDeps {
  api: SlackApi;
  /** Reads a stored media file (from the store; see src/media/storedMedia.ts). */
  media: StoredMediaReader;
  /** The workspace id (auth.test), for platform message ids; may wait for start-up. */
  teamId: () => string | Promise<string>;
  pacer?: ChannelPacer | null;
  logger?: ChatLogger;
  /** Attempts per file upload before a notice replaces it. */
  uploadAttempts?: number;
  /** The policy's internal-note prefix now, named in each new thread's root ('' = no notes). */
  notePrefix?: () => string | Promise<string>;
}

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/bmp': 'bmp',
  'image/webp': 'webp',
  'video/mp4': 'mp4',
  'video/3gpp': '3gp',
  'audio/mpeg': 'mp3',
  'audio/mp4': 'm4a',
  'audio/amr': 'amr',
  'text/vcard': 'vcf',
  'text/x-vcard': 'vcf',
  'application/pdf': 'pdf',
};

export function fileNameFor(item: MediaItem, index: number): string {
  const ext = EXTENSIONS[item.contentType.split(';')[0]?.trim().toLowerCase() ?? ''] ?? 'bin';
  return `sms-${item.messageId.slice(0, 8)}-${index + 1}.${ext}`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class SlackChatPlatform implements ChatPlatform, OwnPostFinder {
  readonly id = PLATFORM_ID;
  private readonly log: ChatLogger;

  constructor(private readonly deps: SlackPlatformDeps) {
    this.log = deps.logger ?? silentLogger;
  }

  private meta(payload: Record<string, string>): { event_type: string; event_payload: Record<string, string> } {
    return { event_type: BRIDGE_EVENT_TYPE, event_payload: payload };
  }

  async createThread(conversation: Conversation, channel: string): Promise<{ threadId: string }> {
    await this.deps.pacer?.take(channel);
    const { ts } = await this.deps.api.postMessage({
      channel,
      text: rootText(conversation, (await this.deps.notePrefix?.()) ?? DEFAULT_POLICY.internalNotePrefix),
      metadata: this.meta({ kind: 'root', conversation_id: conversation.id }),
    });
    return { threadId: ts };
  }

  async post(thread: ThreadRef, view: ChatMessageView): Promise<{ platformMessageId: string }> {
    // The workspace id first: once the text is in the thread, nothing may fail and make the job
    // post it a second time (auth.test can fail while Slack is coming back).
    const teamId = await this.deps.teamId();
    const send = async (content: { text: string; blocks: RichTextBlock[] }) => {
      await this.deps.pacer?.take(thread.channel);
      return this.deps.api.postMessage({
        channel: thread.channel,
        thread_ts: thread.threadId,
        ...content,
        metadata: this.meta({ kind: 'message', message_id: view.message.id }),
      });
    };
    let ts: string;
    try {
      ({ ts } = await send(messagePost(view)));
    } catch (err) {
      // Slack refused the blocks (a link it does not take, say): the same post with every link as
      // plain text, which it always takes, rather than a message missing from its thread.
      if (platformCode(err) !== 'invalid_blocks') throw err;
      this.log.warn({ messageId: view.message.id, err: err instanceof Error ? err.message : String(err) }, 'slack refused the post\'s blocks; posting it without links');
      ({ ts } = await send(messagePost(view, { links: false })));
    }
    // From here on the message is in the thread; a file that fails now must not make the job
    // post the text again, so files are retried here and then replaced by a notice.
    const files = view.message.media.filter((m) => m.status === 'stored');
    for (const [i, item] of files.entries()) {
      const problem = await this.uploadWithRetry(thread, item, i);
      if (problem) await this.notice(thread, `:warning: A file (${escapeSlackText(item.contentType)}) could not be posted here: ${escapeSlackText(problem)}.`);
    }
    return { platformMessageId: platformMessageId(teamId, thread.channel, ts) };
  }

  async findOwnPost(thread: ThreadRef, messageId: string, since: string): Promise<{ platformMessageId: string } | null> {
    const teamId = await this.deps.teamId();
    const ts = await findMessagePostTs(this.deps.api, thread.channel, thread.threadId, messageId, since);
    return ts ? { platformMessageId: platformMessageId(teamId, thread.channel, ts) } : null;
  }

  async findOwnThreadRoot(conversationId: string, channel: string, since: string): Promise<{ threadId: string } | null> {
    const ts = await findThreadRootTs(this.deps.api, channel, conversationId, since);
    return ts ? { threadId: ts } : null;
  }

  /** Returns null when uploaded, else the human reason it could not be. */
  private async uploadWithRetry(thread: ThreadRef, item: MediaItem, index: number): Promise<string | null> {
    let bytes: Buffer | null;
    try {
      bytes = await this.deps.media.read(item);
    } catch {
      bytes = null;
    }
    if (!bytes) return 'the stored file could not be read';
    if (bytes.length === 0) return 'the file is empty';
    const attempts = this.deps.uploadAttempts ?? 3;
    let last = 'upload failed';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        await this.deps.api.uploadFile({
          channel: thread.channel,
          threadTs: thread.threadId,
          filename: fileNameFor(item, index),
          title: fileNameFor(item, index),
          bytes,
          contentType: item.contentType,
        });
        return null;
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
        const retryable = err instanceof PlatformError && err.retryable;
        this.log.warn({ mediaId: item.id, attempt, err: last }, 'slack file upload failed');
        if (!retryable || attempt === attempts) break;
        const wait = err instanceof PlatformError && err.retryAfterMs !== null ? err.retryAfterMs : 500 * attempt;
        await sleep(Math.min(wait, 30_000));
      }
    }
    return last;
  }

  /** A threaded notice from the bridge; best effort (logged when it fails). */
  async notice(thread: ThreadRef, text: string): Promise<void> {
    try {
      await this.deps.api.postMessage({ channel: thread.channel, thread_ts: thread.threadId, text, metadata: this.meta({ kind: 'notice' }) });
    } catch (err) {
      this.log.warn({ channel: thread.channel, err: err instanceof Error ? err.message : String(err) }, 'slack notice failed');
    }
  }

  async showStatus(post: MessagePost, thread: ThreadRef, message: Message): Promise<void> {
    const ts = tsOf(post.platformMessageId);
    if (!ts) return;
    const reaction = statusReaction(message.status);
    if (reaction) {
      // The new mark first, then the old ones off: the reply always shows a status.
      await this.deps.api.addReaction(post.channel, ts, reaction);
      for (const stale of staleStatusReactions(message.status)) await this.deps.api.removeReaction(post.channel, ts, stale);
    }
    const text = statusNotice(message);
    if (text) {
      await this.deps.api.postMessage({ channel: thread.channel, thread_ts: thread.threadId, text, metadata: this.meta({ kind: 'status', message_id: message.id }) });
    }
  }
}
