// Microsoft Teams as a ChatPlatform: what delivery (src/delivery/deliverMessage.ts) and status
// notices (src/delivery/statusNotifier.ts) call.
//
// - createThread: a proactive new conversation in the mapped channel (POST /v3/conversations with
//   the channel in channelData); the root activity id is the thread id.
// - post: into the thread, whose conversation id is "<channel id>;messageid=<root id>".
// - showStatus: a message the bot posted is updated in place (PUT); a reply a person wrote in
//   Teams cannot be edited by the bot, so its status goes in one notice reply under it, updated
//   in place as the status moves (queued, sent, delivered, failed with the reason).
// Throttling (429) and 5xx come back as retryable PlatformErrors with retryAfterMs; the delivery
// job waits and retries in order.

import type { ChatMessageView, ChatPlatform, MessagePost, Store } from '../../../src/core/ports.js';
import type { Conversation, MediaItem, Message, ThreadRef } from '../../../src/core/types.js';
import { PlatformError } from '../../../src/core/errors.js';
import { viewFor } from '../../../src/delivery/deliverMessage.js';
import { TEAMS_PLATFORM, type BotConnectorClient, type OutgoingActivity } from './connector.js';
import type { TeamsChannels } from './channels.js';
import { renderMessage, renderRoot, renderStatusLine } from './format.js';

/** Conversation id of a channel thread. */
export function threadConversationId(channelId: string, rootId: string): string {
  return `${channelId};messageid=${rootId}`;
}

/** Platform-qualified message id stored in message_posts / messages: "teams:<conv>:<activity>". */
export function teamsMessageId(conversationId: string, activityId: string): string {
  return `teams:${conversationId}:${activityId}`;
}

export function parseTeamsMessageId(id: string): { conversationId: string; activityId: string } | null {
  if (!id.startsWith('teams:')) return null;
  const rest = id.slice('teams:'.length);
  const cut = rest.lastIndexOf(':');
  if (cut <= 0 || cut === rest.length - 1) return null;
  return { conversationId: rest.slice(0, cut), activityId: rest.slice(cut + 1) };
}

interface ShownStatus {
  /** Notice under a person's reply; null for our own posts (updated in place). */
  activityId: string | null;
  line: string;
}

export interface TeamsPlatformOptions {
  connector: BotConnectorClient;
  channels: TeamsChannels;
  store: Store;
  signMediaUrl: (mediaId: string, ttlSeconds: number) => string;
  /** Lifetime of picture links handed to Teams (clients fetch them when showing the message). */
  mediaUrlTtlSeconds?: number;
  /** Bounded memory of status notices under people's replies (message id -> notice activity). */
  maxRememberedNotices?: number;
}

export class TeamsPlatform implements ChatPlatform {
  readonly id = TEAMS_PLATFORM;
  private readonly connector: BotConnectorClient;
  private readonly channels: TeamsChannels;
  private readonly store: Store;
  private readonly sign: (mediaId: string, ttlSeconds: number) => string;
  private readonly ttl: number;
  private readonly maxNotices: number;
  /**
   * "<message id>|<channel>" -> what we show for it: the status notice under a person's reply
   * (activity id) or the last status line rendered on our own post. In memory and bounded: after
   * a restart a later status posts a fresh notice instead of updating the old one.
   */
  private readonly notices = new Map<string, ShownStatus>();
  /** Serialises status work per message so two updates never create two notices. */
  private readonly statusTails = new Map<string, Promise<unknown>>();

  constructor(opts: TeamsPlatformOptions) {
    this.connector = opts.connector;
    this.channels = opts.channels;
    this.store = opts.store;
    this.sign = opts.signMediaUrl;
    this.ttl = opts.mediaUrlTtlSeconds ?? 7 * 24 * 3600;
    this.maxNotices = opts.maxRememberedNotices ?? 10_000;
  }

  async createThread(conversation: Conversation, channel: string): Promise<{ threadId: string }> {
    const ref = await this.channels.require(channel);
    const activity = renderRoot(conversation, (await this.store.policy.get()).internalNotePrefix);
    const { activityId } = await this.connector.createConversation(ref.serviceUrl, {
      isGroup: true,
      channelData: { channel: { id: channel }, ...(ref.tenantId ? { tenant: { id: ref.tenantId } } : {}) },
      activity,
      ...(ref.tenantId ? { tenantId: ref.tenantId } : {}),
      ...(ref.botId ? { bot: { id: ref.botId, ...(ref.botName ? { name: ref.botName } : {}) } } : {}),
    });
    return { threadId: activityId };
  }

  async post(thread: ThreadRef, view: ChatMessageView): Promise<{ platformMessageId: string }> {
    const ref = await this.channels.require(thread.channel);
    const conversationId = threadConversationId(thread.channel, thread.threadId);
    const { id } = await this.connector.sendToConversation(ref.serviceUrl, conversationId, renderMessage(view, this.linker()));
    const line = view.message.direction === 'inbound' ? null : renderStatusLine(view.message);
    if (line) this.remember(`${view.message.id}|${thread.channel}`, { activityId: null, line });
    return { platformMessageId: teamsMessageId(conversationId, id) };
  }

  async showStatus(post: MessagePost, thread: ThreadRef, message: Message): Promise<void> {
    // "sending" lasts a moment; showing it would only spend the thread's rate budget.
    if (message.status === 'sending' || message.status === 'received') return;
    const key = `${message.id}|${post.channel}`;
    const previous = this.statusTails.get(key) ?? Promise.resolve();
    const run = previous.then(() => this.showStatusNow(post, thread, message, key));
    const tail = run.catch(() => undefined);
    this.statusTails.set(key, tail);
    try {
      await run;
    } finally {
      if (this.statusTails.get(key) === tail) this.statusTails.delete(key);
    }
  }

  /** A notice in a conversation's thread (refusals, attachments that could not go). */
  async notify(channel: string, rootId: string, activity: OutgoingActivity): Promise<string> {
    const ref = await this.channels.require(channel);
    const { id } = await this.connector.sendToConversation(ref.serviceUrl, threadConversationId(channel, rootId), activity);
    return id;
  }

  private async showStatusNow(post: MessagePost, thread: ThreadRef, given: Message, key: string): Promise<void> {
    // Always show the latest status: the reply handler and the send worker may call in either
    // order, and a stale "queued" must never overwrite "sent".
    const message = (await this.store.messages.get(given.id)) ?? given;
    const line = renderStatusLine(message);
    if (line === null) return;
    const parsed = parseTeamsMessageId(post.platformMessageId);
    if (!parsed) throw new PlatformError({ platform: TEAMS_PLATFORM, message: `not a Teams message id: ${post.platformMessageId}`, retryable: false });
    const ref = await this.channels.require(post.channel);

    const writtenHere = message.platformMessageId === post.platformMessageId;
    if (!writtenHere) {
      // Our own post of the message (e.g. a reply written in Slack, mirrored here): update it.
      const conversation = await this.store.conversations.get(message.conversationId);
      if (!conversation) return;
      if (this.notices.get(key)?.line === line) return; // already showing this status
      await this.connector.updateActivity(ref.serviceUrl, parsed.conversationId, parsed.activityId, renderMessage(viewFor(message, conversation), this.linker()));
      this.remember(key, { activityId: null, line });
      return;
    }

    // A person's reply: one notice under it, updated in place.
    const activity: OutgoingActivity = { type: 'message', textFormat: 'xml', text: line };
    const known = this.notices.get(key);
    if (known?.line === line) return; // already showing this status
    const conversationId = threadConversationId(thread.channel, thread.threadId);
    if (known?.activityId) {
      try {
        await this.connector.updateActivity(ref.serviceUrl, conversationId, known.activityId, activity);
        this.remember(key, { activityId: known.activityId, line });
        return;
      } catch (err) {
        // The notice was deleted by someone: post a fresh one below.
        if (!(err instanceof PlatformError) || err.retryable) throw err;
      }
    }
    const { id } = await this.connector.sendToConversation(ref.serviceUrl, conversationId, activity);
    this.remember(key, { activityId: id, line });
  }

  private remember(key: string, shown: ShownStatus): void {
    this.notices.delete(key);
    this.notices.set(key, shown);
    while (this.notices.size > this.maxNotices) {
      const oldest = this.notices.keys().next().value;
      if (oldest === undefined) break;
      this.notices.delete(oldest);
    }
  }

  private linker(): (m: MediaItem) => string {
    return (m) => this.sign(m.id, this.ttl);
  }
}

