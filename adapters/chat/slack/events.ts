// Slack message events in conversation threads: human replies go out as SMS (files as MMS);
// internal notes, bots (ours included) and ordinary threads are left alone; edits and deletes of
// replies that were already sent get a notice, never a second SMS.

import { handleChatReply, isInternalNote } from '../../../src/chat/handleReply.js';
import type { ThreadRef } from '../../../src/core/types.js';
import { BRIDGE_EVENT_TYPE, PLATFORM_ID, channelNotMappedText, escapeSlackText, platformMessageId, refusalText, slackToPlainText, statusReaction } from './format.js';
import type { SlackHandlerDeps } from './context.js';
import { stageReplyFiles, type SlackEventFile } from './replyFiles.js';

/** The fields of a Slack `message` event the bridge reads. */
export interface SlackMessageEvent {
  type?: string;
  subtype?: string;
  channel?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts?: string;
  thread_ts?: string;
  files?: SlackEventFile[];
  metadata?: { event_type?: string };
  message?: SlackMessageEvent;
  previous_message?: SlackMessageEvent;
  deleted_ts?: string;
}

/** Subtypes that are a person writing (a plain reply, with files, or also sent to the channel). */
const HUMAN_SUBTYPES = new Set([undefined, 'file_share', 'thread_broadcast']);

export function isFromBridgeOrBot(e: SlackMessageEvent, botUserId: string | null): boolean {
  return Boolean(e.bot_id) || e.metadata?.event_type === BRIDGE_EVENT_TYPE || (botUserId !== null && e.user === botUserId);
}

export async function handleMessageEvent(
  deps: SlackHandlerDeps,
  event: SlackMessageEvent,
  meta: { teamId: string; eventId: string | null },
): Promise<void> {
  if (meta.eventId && !deps.seenEvents.add(meta.eventId)) return; // Slack retry of an event we took
  if (event.subtype === 'message_changed' || event.subtype === 'message_deleted') {
    return handleEditOrDelete(deps, event, meta.teamId);
  }
  if (!HUMAN_SUBTYPES.has(event.subtype)) return; // joins, topic changes, bot_message, ...
  if (isFromBridgeOrBot(event, deps.identity.botUserId)) return; // never bridge bots (no echo loops)
  const { channel, user, ts, thread_ts: threadTs } = event;
  if (!channel || !user || !ts || !threadTs || threadTs === ts) return; // not a reply in a thread

  const thread = deps.chat.store.threads.findByThread(PLATFORM_ID, channel, threadTs);
  if (!thread) return; // an ordinary thread, not a conversation
  const pmid = platformMessageId(meta.teamId, channel, ts);
  // A retry of a reply stored before: its files were attached then. It still goes through the
  // reply handler, which hands it on again in case the first attempt stopped before the queue.
  const retry = deps.chat.store.messages.getByPlatformMessageId(pmid) !== null;

  const policy = deps.chat.store.policy.get();
  const text = event.text ?? '';
  if (isInternalNote(text, policy.internalNotePrefix)) return; // `//` note: stays in chat

  const staged = retry
    ? { media: [], problems: [] }
    : await stageReplyFiles({ store: deps.chat.store, api: deps.api, dataDir: deps.dataDir, maxBytes: policy.mms.maxTotalBytes }, event.files ?? []);
  if (staged.problems.length > 0) {
    await deps.platform.notice(
      thread,
      `:no_entry_sign: Not sent: a file could not be fetched from Slack, so the SMS did not go:\n${staged.problems.map((p) => `• ${escapeSlackText(p)}`).join('\n')}`,
    );
    await deps.api.addReaction(channel, ts, 'no_entry_sign').catch(() => undefined);
    return;
  }

  const userName = await deps.userNames.get(user);
  const result = await handleChatReply(deps.chat, {
    platform: PLATFORM_ID,
    channel,
    threadId: threadTs,
    userId: user,
    userName,
    // The contact gets what the user saw, not Slack's markup (&amp;, <@U1>, <url|label>).
    text: await slackToPlainText(text, (id) => deps.userNames.get(id)),
    files: staged.media,
    platformMessageId: pmid,
  });
  await renderReplyResult(deps, thread, channel, ts, result);
}

async function renderReplyResult(
  deps: SlackHandlerDeps,
  thread: ThreadRef,
  channel: string,
  ts: string,
  result: Awaited<ReturnType<typeof handleChatReply>>,
): Promise<void> {
  switch (result.kind) {
    case 'note':
    case 'not-a-conversation':
      return;
    case 'refused':
      await deps.api.addReaction(channel, ts, 'no_entry_sign').catch(() => undefined);
      await deps.platform.notice(thread, refusalText(result.refusals));
      return;
    case 'channel-not-mapped':
      // The thread outlived its mapping (handleChatReply checks it for every platform).
      await deps.api.addReaction(channel, ts, 'no_entry_sign').catch(() => undefined);
      await deps.platform.notice(thread, channelNotMappedText(result.number));
      return;
    case 'queued': {
      if (result.duplicate) return;
      const reaction = statusReaction(result.message.status);
      if (reaction) {
        await deps.api.addReaction(channel, ts, reaction).catch((err: unknown) => {
          deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'slack reaction failed');
        });
      }
      return;
    }
  }
}

async function handleEditOrDelete(deps: SlackHandlerDeps, event: SlackMessageEvent, teamId: string): Promise<void> {
  const channel = event.channel;
  const before = event.previous_message;
  if (!channel || !before?.ts) return;
  const after = event.message;
  if (event.subtype === 'message_changed') {
    // Only text changes by a person: unfurls and our own updates also arrive as message_changed.
    if (!after || isFromBridgeOrBot(after, deps.identity.botUserId) || (after.text ?? '') === (before.text ?? '')) return;
  }
  const message = deps.chat.store.messages.getByPlatformMessageId(platformMessageId(teamId, channel, before.ts));
  if (!message || message.direction === 'inbound') return;
  const thread = deps.chat.store.threads.get(message.conversationId, PLATFORM_ID, channel);
  if (!thread) return;
  const text =
    event.subtype === 'message_changed'
      ? ':pencil2: SMS cannot be edited: the contact keeps the text as it was sent. Write a new reply to correct it.'
      : ':wastebasket: Deleting a reply in Slack does not unsend the SMS: the contact keeps it.';
  await deps.platform.notice(thread, text);
}
