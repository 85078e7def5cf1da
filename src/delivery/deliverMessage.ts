// Delivery of one stored message to chat: the handler the delivery queue calls, in order per
// conversation (the delivery lane, src/app/deliverItem.ts), after fetchPendingMedia(messageId).
//
// For every mapped channel of the conversation's number that has no post of this message yet
// (message_posts), it finds or creates the conversation's thread in that channel (threads table,
// unique per conversation+channel), posts the message there and saves the post. Re-running it
// after a partial failure therefore only does what is missing: that is what makes the job safe to
// retry after a platform 429 without double posts and without reordering. A post (or thread root)
// whose platform call completed but whose record did not commit (a crash in between) is found on
// the platform rather than made twice: see postOnce.ts.
//
// A message written in chat already has its origin post saved (src/chat/handleReply.ts), so it is
// only mirrored to the other channels (rule 8). Unmapped numbers go to policy.fallback when set.

import type { Locks } from '../core/coordination.js';
import { PlatformError } from '../core/errors.js';
import { classifyKeyword, type KeywordFamily } from '../core/keywords.js';
import { formatForDisplay } from '../core/phone.js';
import { findsOwnPosts, type ChatMessageView, type ChatPlatform, type MessagePost, type Store } from '../core/ports.js';
import type { Conversation, Mapping, Message, PlatformId, ThreadRef } from '../core/types.js';
import { silentLogger, type ChatLogger } from './logger.js';
import { callOnce } from './postOnce.js';
import type { ChatRegistry } from './registry.js';

export interface DeliveryDeps {
  store: Store;
  registry: ChatRegistry;
  /**
   * Work on one conversation holds `delivery:<conversation id>` across every instance, so two
   * first messages delivered at once (another instance, a direct caller) never create two thread
   * roots, and a give-up never races a retry.
   */
  locks: Locks;
  logger?: ChatLogger;
}

export interface DeliveryTarget {
  platform: PlatformId;
  channel: string;
  /** True when the target is policy.fallback because the number has no mapping. */
  fallback: boolean;
}

export interface DeliveryResult {
  /** Posts made by this run. */
  posted: { platform: PlatformId; channel: string; platformMessageId: string }[];
  /** Targets that already had a post of this message (retry, or origin post of a chat reply). */
  skipped: DeliveryTarget[];
  /** Targets that failed for good (e.g. channel gone); retryable failures throw instead. */
  failed: { target: DeliveryTarget; error: string }[];
  /** True when the number has no mapping on any running platform and no fallback applies. */
  unrouted: boolean;
  /**
   * True when every target refused the message for good and no fallback took it: the reason is
   * kept on the message and it is listed with the unrouted ones (nothing drops out of sight).
   */
  notPosted: boolean;
}

/**
 * What a keyword message (rule 12: the whole message, trimmed, any case) means for the people in
 * the thread: an opt-out blocks their replies, so it must not pass as an ordinary "STOP".
 */
const KEYWORD_NOTICES: Record<Exclude<KeywordFamily, null>, string> = {
  stop: 'The contact opted out of texts from this number: replies here are refused until they text START, YES or UNSTOP.',
  start: 'The contact opted back in: replies here are sent again.',
  help: 'The contact asked for help or information (HELP/INFO). Your SMS provider may have sent its automatic help reply; answer here if they need more.',
};

/** Human notices shown with a message, whatever the platform. */
export function noticesFor(message: Message): string[] {
  const notices: string[] = [];
  const keyword = message.direction === 'inbound' ? classifyKeyword(message.body) : null;
  if (keyword) notices.push(KEYWORD_NOTICES[keyword]);
  if (message.direction === 'inbound' && message.otherRecipients.length > 0) {
    notices.push(
      // Numbers as people read them, like the thread root: "(310) 555-0199", "+44 20 7946 0958".
      `This message was also sent to ${message.otherRecipients.map((n) => formatForDisplay(n)).join(', ')}. Replies here go to the sender alone.`,
    );
  }
  for (const m of message.media) {
    if (m.status === 'refused' || m.status === 'failed') {
      notices.push(`A file (${m.contentType || 'unknown type'}) could not be kept: ${m.reason ?? 'no reason given'}.`);
    } else if (m.status === 'pending') {
      notices.push(`A file (${m.contentType || 'unknown type'}) has not been downloaded yet.`);
    }
  }
  return notices;
}

export function viewFor(message: Message, conversation: Conversation): ChatMessageView {
  return {
    message,
    conversation,
    origin: message.author ? { platform: message.author.platform, authorName: message.author.name ?? null } : null,
    notices: noticesFor(message),
  };
}

/**
 * Where a conversation's messages go: its number's mappings on running platforms, else fallback;
 * with only a catch-all platform running (the web inbox), there as well.
 */
export async function targetsFor(deps: DeliveryDeps, conversation: Conversation): Promise<DeliveryTarget[]> {
  const mappings: Mapping[] = await deps.store.mappings.list({ number: conversation.number });
  const live = mappings.filter((m) => deps.registry.has(m.platform));
  // No Slack and no Teams: every number shows in the web inbox, mapped or not (never unrouted).
  const everything = deps.registry.catchAll();
  if (everything) {
    const there = live.some((m) => m.platform === everything.platform && m.channel === everything.channel);
    return [...live.map((m) => ({ platform: m.platform, channel: m.channel, fallback: false })), ...(there ? [] : [{ ...everything, fallback: false }])];
  }
  if (live.length > 0) return live.map((m) => ({ platform: m.platform, channel: m.channel, fallback: false }));
  if (mappings.length > 0) return []; // mapped, but to a platform not running here: nothing to do now
  const { fallback } = await deps.store.policy.get();
  if (fallback && deps.registry.has(fallback.platform)) {
    return [{ platform: fallback.platform, channel: fallback.channel, fallback: true }];
  }
  return [];
}

/**
 * Finds the conversation's thread in a channel, creating the root once (postOnce.ts: a root made
 * by an attempt that died before saving it is found, not made again). Caller holds the lock.
 */
export async function ensureThread(
  deps: DeliveryDeps,
  platform: ChatPlatform,
  conversation: Conversation,
  channel: string,
): Promise<ThreadRef> {
  const existing = await deps.store.threads.get(conversation.id, platform.id, channel);
  if (existing) return existing;
  const intent = { kind: 'thread_root', subjectId: conversation.id, platform: platform.id, channel } as const;
  const find = findsOwnPosts(platform)
    ? async (since: string) => (await platform.findOwnThreadRoot(conversation.id, channel, since))?.threadId ?? null
    : null;
  const { value: threadId } = await callOnce(deps.store, intent, find, async () => (await platform.createThread(conversation, channel)).threadId, deps.logger ?? silentLogger);
  // save() keeps the first one if another process won a race; we then use the stored thread.
  return deps.store.transaction(async () => {
    const thread = await deps.store.threads.save({ conversationId: conversation.id, platform: platform.id, channel, threadId });
    await deps.store.postIntents.end(intent);
    return thread;
  });
}

export async function deliverMessage(deps: DeliveryDeps, messageId: string): Promise<DeliveryResult> {
  const log = deps.logger ?? silentLogger;
  const result = emptyResult();
  const first = await deps.store.messages.get(messageId);
  if (!first) {
    log.warn({ messageId }, 'delivery: message not found');
    return result;
  }
  const conversation = await deps.store.conversations.get(first.conversationId);
  if (!conversation) {
    log.warn({ messageId, conversationId: first.conversationId }, 'delivery: conversation not found');
    return result;
  }

  return deps.locks.withLock(conversationLockName(conversation.id), async () => {
    // Read again inside the lock: media or status may have moved while waiting.
    const message = (await deps.store.messages.get(messageId)) ?? first;
    const targets = await targetsFor(deps, conversation);
    if (targets.length === 0) {
      result.unrouted = true;
      log.info({ messageId, number: conversation.number }, 'delivery: no chat target (unrouted)');
      // Mapped, but only to platforms not turned on here: shown nowhere, so it is listed with the
      // unrouted messages with the reason (a later start with the platform on posts it).
      const off = [...new Set((await deps.store.mappings.list({ number: conversation.number })).map((m) => m.platform))];
      if (off.length > 0 && message.direction === 'inbound' && (await deps.store.posts.listForMessage(message.id)).length === 0) {
        await markShownNowhere(deps, message, `not posted: its number is mapped to ${off.join(' and ')}, which is not turned on on this bridge`, result);
      }
      return result;
    }
    const posts = await deps.store.posts.listForMessage(message.id);
    const view = viewFor(message, conversation);
    for (const target of targets) {
      if (posts.some((p) => p.platform === target.platform && p.channel === target.channel)) {
        result.skipped.push(target);
        continue;
      }
      await postTo(deps, target, message, conversation, view, result, log);
    }
    // Shown nowhere: every channel refused it for good (e.g. the bot was removed from it).
    if (message.direction === 'inbound' && result.posted.length === 0 && result.skipped.length === 0 && result.failed.length > 0) {
      const why = result.failed.map((f) => `${f.target.platform} ${f.target.channel}: ${f.error}`).join('; ');
      const taken = (t: { platform: string; channel: string }) => targets.some((x) => x.platform === t.platform && x.channel === t.channel);
      await toFallbackElseNotPosted(deps, message, conversation, why, taken, result, log);
    }
    return result;
  });
}

/**
 * An inbound message no channel took: posted to the fallback channel with the reason, when one is
 * configured and is not among the channels that just failed (`failedThere`), else kept with the
 * reason and listed with the unrouted ones. A retryable failure of the fallback post throws (the
 * caller decides: the delivery job retries, a give-up records it as not posted).
 */
async function toFallbackElseNotPosted(
  deps: DeliveryDeps,
  message: Message,
  conversation: Conversation,
  why: string,
  failedThere: (t: { platform: string; channel: string }) => boolean,
  result: DeliveryResult,
  log: ChatLogger,
): Promise<void> {
  const { fallback } = await deps.store.policy.get();
  if (fallback && deps.registry.has(fallback.platform) && !failedThere(fallback)) {
    const view = viewFor(message, conversation);
    const notice = `Could not be posted to its channel (${why}).`;
    await postTo(deps, { ...fallback, fallback: true }, message, conversation, { ...view, notices: [...view.notices, notice] }, result, log);
  }
  if (result.posted.length === 0) await markShownNowhere(deps, message, `not posted to any chat channel (${why})`, result);
}

/** Kept with the reason and listed with the unrouted messages (until posted after all). */
async function markShownNowhere(deps: DeliveryDeps, message: Message, reason: string, result: DeliveryResult): Promise<void> {
  await deps.store.messages.markNotPosted(message.id, reason);
  result.notPosted = true;
}

/** The lock every delivery step of one conversation holds. */
export const conversationLockName = (conversationId: string): string => `delivery:${conversationId}`;

const emptyResult = (): DeliveryResult => ({ posted: [], skipped: [], failed: [], unrouted: false, notPosted: false });

/**
 * The delivery job gave up (retries used up on 5xx/timeouts, or the job stalled too often): an
 * inbound message shown nowhere must not drop out of sight. It goes to the fallback channel with
 * the reason when one is configured (and is not one of the channels that just failed), else it is
 * kept with the reason and listed with the unrouted messages. A message already posted somewhere
 * is visible there; nothing more to do.
 */
export async function giveUpDelivery(deps: DeliveryDeps, messageId: string, reason: string): Promise<'fallback' | 'not_posted' | 'visible'> {
  const log = deps.logger ?? silentLogger;
  const first = await deps.store.messages.get(messageId);
  const conversation = first ? await deps.store.conversations.get(first.conversationId) : null;
  if (!first || !conversation || first.direction !== 'inbound') return 'visible';
  return deps.locks.withLock(conversationLockName(conversation.id), async () => {
    const message = (await deps.store.messages.get(messageId)) ?? first;
    if ((await deps.store.posts.listForMessage(message.id)).length > 0) return 'visible';
    // The channels that just failed: the number's mappings, or the fallback itself when unmapped.
    const mapped = await deps.store.mappings.list({ number: conversation.number });
    const failedThere = (t: { platform: string; channel: string }) =>
      mapped.length === 0 || mapped.some((m) => m.platform === t.platform && m.channel === t.channel);
    const result = emptyResult();
    try {
      await toFallbackElseNotPosted(deps, message, conversation, reason, failedThere, result, log);
    } catch (err) {
      // The fallback is failing for now too: nothing retries any more, so it is listed.
      log.error({ messageId, err: (err as Error).message }, 'delivery: fallback post failed too');
      await markShownNowhere(deps, message, `not posted to any chat channel (${reason})`, result);
    }
    return result.posted.length > 0 ? 'fallback' : 'not_posted';
  });
}

/** Posts to one target, recording the post; a permanent refusal is noted in `result.failed`. */
async function postTo(
  deps: DeliveryDeps,
  target: DeliveryTarget,
  message: Message,
  conversation: Conversation,
  view: ChatMessageView,
  result: DeliveryResult,
  log: ChatLogger,
): Promise<void> {
  const platform = deps.registry.get(target.platform);
  if (!platform) return;
  try {
    const thread = await ensureThread(deps, platform, conversation, target.channel);
    const intent = { kind: 'message', subjectId: message.id, platform: platform.id, channel: target.channel } as const;
    const find = findsOwnPosts(platform) ? (since: string) => platform.findOwnPost(thread, message.id, since) : null;
    const { value: { platformMessageId } } = await callOnce(deps.store, intent, find, () => platform.post(thread, view), log);
    const post = await deps.store.transaction(async () => {
      const saved = await deps.store.posts.save({ messageId: message.id, platform: platform.id, channel: target.channel, platformMessageId });
      await deps.store.postIntents.end(intent);
      return saved;
    });
    result.posted.push({ platform: platform.id, channel: target.channel, platformMessageId });
    if (message.direction !== 'inbound') await showCurrentStatus(deps, platform, post, thread, message.id, log);
  } catch (err) {
    // Retryable (429, 5xx, timeout): stop here and let the job retry later. Later targets and
    // later messages of this conversation wait, which keeps the order in every thread.
    if (err instanceof PlatformError && err.retryable) throw err;
    // Not a platform's answer (the store failed after the post, say): not a refusal of the
    // message. The job retries, and the retry finds a post made meanwhile (postOnce.ts).
    if (!(err instanceof PlatformError)) throw err;
    const error = err.message;
    log.error({ messageId: message.id, platform: target.platform, channel: target.channel, err: error }, 'delivery: post failed for good');
    result.failed.push({ target, error });
  }
}

/**
 * A message written in chat may have been sent (or refused, or failed) before this post existed,
 * so the status notifier had nowhere to show it: show where it stands now. A status that moves
 * after the post was saved reaches it through the notifier as usual.
 */
async function showCurrentStatus(
  deps: DeliveryDeps,
  platform: ChatPlatform,
  post: MessagePost,
  thread: ThreadRef,
  messageId: string,
  log: ChatLogger,
): Promise<void> {
  const fresh = await deps.store.messages.get(messageId);
  if (!fresh) return;
  try {
    await platform.showStatus(post, thread, fresh);
  } catch (err) {
    log.warn({ messageId, platform: platform.id, err: err instanceof Error ? err.message : String(err) }, 'status after post failed');
  }
}

/** The delivery queue's injected handler, with the media fetch step in front when provided. */
export function createDeliverHandler(
  deps: DeliveryDeps & {
    /** Told when a run made a message's first post (no channel had it before): its way into chat ends. */
    onFirstPost?: (messageId: string) => void | Promise<void>;
  },
): (messageId: string) => Promise<void> {
  return async (messageId: string) => {
    const result = await deliverMessage(deps, messageId);
    if (result.posted.length > 0 && result.skipped.length === 0) await deps.onFirstPost?.(messageId);
  };
}
