// A person's reply in a conversation's Teams thread goes out as SMS/MMS.
//
// The app manifest asks for the ChannelMessage.Read.Group resource-specific permission, so Teams
// sends the bot every channel message, not only @mentions. Most are ordinary channel talk: only a
// reply inside a thread the bridge created (threads table) is bridged; everything else is ignored
// silently. An @mention of the bot is stripped; `//` notes stay internal; the platform message id
// "teams:<conversation id>:<activity id>" makes a redelivered activity a no-op (the core is
// idempotent on it, and we skip file downloads and notices for one any instance has handled or is
// still handling).

import type { Locks } from '../../../src/core/coordination.js';
import { PlatformError } from '../../../src/core/errors.js';
import { givePlaceUp, handleChatReply, reserveReplyPlace } from '../../../src/chat/handleReply.js';
import type { ChatServiceDeps } from '../../../src/chat/types.js';
import type { ChatLogger } from '../../../src/delivery/logger.js';
import type { ChatInboxRepo } from '../../../src/infra/store/index.js';
import type { TokenProvider } from './connector.js';
import { TEAMS_PLATFORM } from './connector.js';
import { authorOf, channelDataOf, isFromBot, locateMessage, referenceFrom, type ActivityLike } from './activity.js';
import type { TeamsChannels } from './channels.js';
import type { ServiceUrlPolicy } from './trust.js';
import { renderChannelNotMapped, renderNotice, renderRefusals, stripBotMention, teamsHtmlToPlain } from './format.js';
import { teamsMessageId, type TeamsPlatform } from './platform.js';
import { fileCandidates, stageReplyFiles } from './replyFiles.js';

export interface ReplyDeps {
  chat: ChatServiceDeps;
  platform: TeamsPlatform;
  channels: TeamsChannels;
  getToken: TokenProvider;
  /** Which activity serviceUrls files may be fetched from (with the bot's token). */
  serviceUrls: ServiceUrlPolicy;
  /** Per-file cap for files attached to replies (read per reply: the policy may change). */
  maxFileBytes: () => Promise<number>;
  logger: ChatLogger;
  /** One handling of an activity at a time, across instances (Teams redelivers to any of them). */
  locks: Locks;
  /** Where handled activities are marked done, so a redelivery anywhere knows. */
  inbox: ChatInboxRepo;
}

export type ReplyOutcome =
  | 'ignored' // not a reply in a conversation thread, or from a bot
  | 'note'
  | 'duplicate'
  | 'queued'
  | 'refused'
  | 'channel-not-mapped'; // the thread's channel no longer shows the number: nothing sent

/** The reply's text as it goes out: bot mention removed, Teams HTML to plain text. */
export function replyText(a: ActivityLike): string {
  // Teams sometimes leaves `text` empty and carries the message as a text/html attachment.
  const html = a.attachments?.find((x) => x.contentType === 'text/html' && typeof x.content === 'string')?.content as string | undefined;
  const raw = a.text && a.text.trim() !== '' ? a.text : html ?? '';
  return teamsHtmlToPlain(stripBotMention(raw, a.entities, a.recipient.id));
}

/** Tries of one notice when Teams answers 429/5xx or our pacer holds it back (first one included). */
export const NOTICE_ATTEMPTS = 4;
/** Longest wait between two tries of a notice. */
const NOTICE_MAX_WAIT_MS = 10_000;

/**
 * Shows a notice. It must never undo or repeat the send, so a failure never reaches the caller;
 * but a refusal is stored nowhere else, so a notice Teams turned away for now (429, 5xx, our own
 * pacing) is tried again in the background, after Retry-After or a growing pause, before it is
 * given up with a log line.
 */
async function safely(deps: ReplyDeps, what: string, fn: () => Promise<unknown>, attempt = 1): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const retryable = err instanceof PlatformError && err.retryable;
    const message = err instanceof Error ? err.message : String(err);
    if (!retryable || attempt >= NOTICE_ATTEMPTS) {
      deps.logger.warn({ err: message, attempt }, `teams: ${what} failed`);
      return;
    }
    const waitMs = Math.min(NOTICE_MAX_WAIT_MS, err.retryAfterMs ?? 500 * 2 ** (attempt - 1));
    setTimeout(() => void safely(deps, what, fn, attempt + 1), waitMs).unref();
  }
}

/**
 * Teams redelivers an activity it got no answer for in time, to any instance, and a reply with
 * files can take longer than that (the downloads). The activity's handling holds a shared lock, so
 * a redelivery waits for the first handling and then finds the reply stored: the core answers it
 * as a duplicate (its send woken again, nothing downloaded or posted twice). A reply refused
 * before it was stored is not known to the core: its handling is marked done in the chat inbox,
 * so a redelivery does not post a second refusal. Should the first handling fail (nothing stored
 * or marked), the redelivery does the work itself.
 */
export async function handleReplyActivity(deps: ReplyDeps, a: ActivityLike): Promise<ReplyOutcome> {
  if (isFromBot(a) || !a.id) return 'ignored';
  const key = teamsMessageId(a.conversation.id, a.id);
  return deps.locks.withLock(`teams:reply:${key}`, async () => {
    if (await deps.inbox.isDone(TEAMS_PLATFORM, key)) return 'duplicate';
    const outcome = await handleReply(deps, a, key);
    if (outcome === 'refused' || outcome === 'channel-not-mapped') await markHandled(deps, key);
    return outcome;
  });
}

/** Best effort: without the mark, a redelivery posts the notice once more (nothing is sent). */
async function markHandled(deps: ReplyDeps, key: string): Promise<void> {
  try {
    await deps.inbox.accept(TEAMS_PLATFORM, key, '{}');
    await deps.inbox.markDone(TEAMS_PLATFORM, key);
  } catch (err) {
    deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'teams: handled reply not marked done');
  }
}

async function handleReply(deps: ReplyDeps, a: ActivityLike, platformMessageId: string): Promise<ReplyOutcome> {
  const where = locateMessage(a);
  if (!where) return 'ignored';
  // Any channel message tells us the channel's current reference (serviceUrl can move, and a team
  // that installed the app before the bridge kept references is learned this way).
  if (channelDataOf(a).team?.id) {
    await deps.channels.save(referenceFrom(a, { id: where.channel, name: channelDataOf(a).channel?.name ?? null }));
  }
  // A new top-level post names itself as the root of its conversation id: not a reply.
  if (!where.rootId || where.rootId === a.id) return 'ignored';
  const { store } = deps.chat;
  const thread = await store.threads.findByThread(TEAMS_PLATFORM, where.channel, where.rootId);
  if (!thread) return 'ignored';
  const rootId = where.rootId;

  const text = replyText(a);
  const result = await handleChatReply(
    deps.chat,
    {
      platform: TEAMS_PLATFORM,
      channel: where.channel,
      threadId: rootId,
      userId: authorOf(a).userId,
      rawText: text,
      // Sizes are not on Teams attachments: the type alone is checked before the download.
      declaredFiles: fileCandidates(a.attachments).files.map((f) => ({ contentType: f.declaredType ?? 'image/jpeg', size: 0 })),
      platformMessageId,
    },
    // Only once the reply may go: files are downloaded with the bot's token.
    async () => {
      const staged = await stageReplyFiles({ store, maxBytes: await deps.maxFileBytes(), getToken: deps.getToken, serviceUrls: deps.serviceUrls }, a.serviceUrl, a.attachments);
      return { text, userName: authorOf(a).userName, files: staged.media, problems: staged.problems, sendWithoutThem: true };
    },
  );

  switch (result.kind) {
    case 'note':
      return 'note';
    case 'not-a-conversation':
      return 'ignored';
    case 'files-failed':
    case 'refused': {
      const notice = result.kind === 'refused' ? renderRefusals(result.refusals) : renderNotice(`Not sent: ${result.problems.join('; ')}`);
      await safely(deps, 'refusal notice', () => deps.platform.notify(where.channel, rootId, notice));
      return 'refused';
    }
    case 'channel-not-mapped':
      await safely(deps, 'not-mapped notice', () => deps.platform.notify(where.channel, rootId, renderChannelNotMapped(result.number)));
      return 'channel-not-mapped';
    case 'queued': {
      if (result.duplicate) return 'duplicate';
      if (result.problems.length > 0) {
        await safely(deps, 'attachment notice', () => deps.platform.notify(where.channel, rootId, renderNotice(`Not attached to the SMS: ${result.problems.join('; ')}`)));
      }
      const post = await store.posts.findByPlatformMessageId(TEAMS_PLATFORM, platformMessageId);
      if (post) await safely(deps, 'status notice', () => deps.platform.showStatus(post, thread, result.message));
      return 'queued';
    }
  }
}

/**
 * A reply in a conversation thread takes its place in the conversation's order as soon as its
 * request is authenticated, before anything slow (the Application's pipeline, file downloads):
 * Teams does not wait for one activity's answer before sending the next. Returns the place's key,
 * or null when the activity is not such a reply.
 */
export async function reserveTeamsReply(deps: Pick<ReplyDeps, 'chat'>, a: ActivityLike): Promise<string | null> {
  if (a.type !== 'message' || isFromBot(a) || !a.id) return null;
  const where = locateMessage(a);
  if (!where?.rootId || where.rootId === a.id) return null;
  const key = teamsMessageId(a.conversation.id, a.id);
  const reserved = await reserveReplyPlace(deps.chat.store, deps.chat.owner, {
    platform: TEAMS_PLATFORM,
    channel: where.channel,
    threadId: where.rootId,
    rawText: replyText(a),
    platformMessageId: key,
  });
  return reserved ? key : null;
}

/** A place reserved for a reply whose handling failed: given up (Teams' retry takes a new one). */
export async function releaseTeamsReply(deps: Pick<ReplyDeps, 'chat'>, key: string): Promise<void> {
  await givePlaceUp(deps.chat, key);
}

/** Edits and deletes of a reply already sent: SMS cannot be changed, so say so. */
export async function handleEditOrDelete(deps: ReplyDeps, a: ActivityLike): Promise<void> {
  if (isFromBot(a) || !a.id) return;
  const where = locateMessage(a);
  if (!where?.rootId) return;
  const message = await deps.chat.store.messages.getByPlatformMessageId(teamsMessageId(a.conversation.id, a.id));
  if (!message || message.direction === 'inbound') return;
  const text =
    a.type === 'messageDelete'
      ? 'Deleting the reply in Teams does not recall the SMS.'
      : 'Edits are not sent: an SMS cannot be changed once sent. Write a new reply instead.';
  await safely(deps, 'edit notice', () => deps.platform.notify(where.channel, where.rootId!, renderNotice(text)));
}
