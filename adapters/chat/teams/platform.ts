// Microsoft Teams as a ChatPlatform: what delivery (src/delivery/deliverMessage.ts) and status
// notices (src/delivery/statusNotifier.ts) call.
//
// - createThread: a proactive new conversation in the mapped channel (POST /v3/conversations with
//   the channel in channelData); the root activity id is the thread id.
// - post: into the thread, whose conversation id is "<channel id>;messageid=<root id>".
// - showStatus: a message the bot posted is updated in place (PUT); a reply a person wrote in
//   Teams cannot be edited by the bot, so its status goes in one notice reply under it, updated
//   in place as the status moves (queued, sent, delivered, failed with the reason). Which notice
//   that is lives in the store (status_notices) and status work on a message holds a shared lock,
//   so whichever bridge instance handles the next status updates the one notice.
// Throttling (429) and 5xx come back as retryable PlatformErrors with retryAfterMs; the delivery
// job waits and retries in order.

import type { Locks } from '../../../src/core/coordination.js';
import type { ChatMessageView, ChatPlatform, MessagePost, Store } from '../../../src/core/ports.js';
import type { Conversation, MediaItem, Message, ThreadRef } from '../../../src/core/types.js';
import { PlatformError } from '../../../src/core/errors.js';
import { viewFor } from '../../../src/delivery/deliverMessage.js';
import type { ShownStatus, StatusNoticeRepo } from '../../../src/infra/store/index.js';
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

export interface TeamsPlatformOptions {
  connector: BotConnectorClient;
  channels: TeamsChannels;
  store: Store;
  /** What each message shows as its status here: the notice under a person's reply, or our post's line. */
  notices: StatusNoticeRepo;
  /** Status work on one message holds `status:<message id>|<channel>` across instances. */
  locks: Locks;
  signMediaUrl: (mediaId: string, ttlSeconds: number) => string;
  /** Lifetime of picture links handed to Teams (clients fetch them when showing the message). */
  mediaUrlTtlSeconds?: number;
}

export class TeamsPlatform implements ChatPlatform {
  readonly id = TEAMS_PLATFORM;
  private readonly connector: BotConnectorClient;
  private readonly channels: TeamsChannels;
  private readonly store: Store;
  private readonly sign: (mediaId: string, ttlSeconds: number) => string;
  private readonly ttl: number;
  private readonly notices: StatusNoticeRepo;
  private readonly locks: Locks;

  constructor(opts: TeamsPlatformOptions) {
    this.connector = opts.connector;
    this.channels = opts.channels;
    this.store = opts.store;
    this.sign = opts.signMediaUrl;
    this.ttl = opts.mediaUrlTtlSeconds ?? 7 * 24 * 3600;
    this.notices = opts.notices;
    this.locks = opts.locks;
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
    // Best effort: the post is made and must be saved by the caller; without this row the next
    // status only updates our post once more.
    if (line) await this.remember(view.message.id, thread.channel, { activityId: null, line }).catch(() => undefined);
    return { platformMessageId: teamsMessageId(conversationId, id) };
  }

  async showStatus(post: MessagePost, thread: ThreadRef, message: Message): Promise<void> {
    // "sending" lasts a moment; showing it would only spend the thread's rate budget.
    if (message.status === 'sending' || message.status === 'received') return;
    // Two updates of one message (the reply handler, the send worker; any instance) one after the
    // other: run together, both would find no notice and post one each.
    await this.locks.withLock(`status:${message.id}|${post.channel}`, () => this.showStatusNow(post, thread, message));
  }

  /** A notice in a conversation's thread (refusals, attachments that could not go). */
  async notify(channel: string, rootId: string, activity: OutgoingActivity): Promise<string> {
    const ref = await this.channels.require(channel);
    const { id } = await this.connector.sendToConversation(ref.serviceUrl, threadConversationId(channel, rootId), activity);
    return id;
  }

  private async showStatusNow(post: MessagePost, thread: ThreadRef, given: Message): Promise<void> {
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
      if ((await this.shown(message.id, post.channel))?.line === line) return; // already showing this status
      await this.connector.updateActivity(ref.serviceUrl, parsed.conversationId, parsed.activityId, renderMessage(viewFor(message, conversation), this.linker()));
      await this.remember(message.id, post.channel, { activityId: null, line });
      return;
    }

    // A person's reply: one notice under it, updated in place.
    const activity: OutgoingActivity = { type: 'message', textFormat: 'xml', text: line };
    const known = await this.shown(message.id, post.channel);
    if (known?.line === line) return; // already showing this status
    const conversationId = threadConversationId(thread.channel, thread.threadId);
    if (known?.activityId) {
      try {
        await this.connector.updateActivity(ref.serviceUrl, conversationId, known.activityId, activity);
        await this.remember(message.id, post.channel, { activityId: known.activityId, line });
        return;
      } catch (err) {
        // The notice was deleted by someone: post a fresh one below.
        if (!(err instanceof PlatformError) || err.retryable) throw err;
      }
    }
    const { id } = await this.connector.sendToConversation(ref.serviceUrl, conversationId, activity);
    await this.remember(message.id, post.channel, { activityId: id, line });
  }

  private shown(messageId: string, channel: string): Promise<ShownStatus | null> {
    return this.notices.get(messageId, TEAMS_PLATFORM, channel);
  }

  private remember(messageId: string, channel: string, shown: ShownStatus): Promise<void> {
    return this.notices.save(messageId, TEAMS_PLATFORM, channel, shown);
  }

  private linker(): (m: MediaItem) => string {
    return (m) => this.sign(m.id, this.ttl);
  }
}

