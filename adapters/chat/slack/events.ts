// Slack message events in conversation threads: human replies go out as SMS (files as MMS);
// internal notes, bots (ours included) and ordinary threads are left alone; edits and deletes of
// replies that were already sent get a notice, never a second SMS.

import { handleChatReply } from '../../../src/chat/handleReply.js';
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

/** The reply a message event is, when it is a person's reply in a thread (else null). */
export function replyOf(
  e: SlackMessageEvent,
  teamId: string,
  botUserId: string | null,
): { platform: string; channel: string; threadId: string; userId: string; rawText: string; platformMessageId: string } | null {
  if (!HUMAN_SUBTYPES.has(e.subtype) || isFromBridgeOrBot(e, botUserId)) return null;
  const { channel, user, ts, thread_ts: threadTs } = e;
  if (!channel || !user || !ts || !threadTs || threadTs === ts) return null;
  return { platform: PLATFORM_ID, channel, threadId: threadTs, userId: user, rawText: e.text ?? '', platformMessageId: platformMessageId(teamId, channel, ts) };
}

export async function handleMessageEvent(
  deps: SlackHandlerDeps,
  event: SlackMessageEvent,
  meta: { teamId: string; eventId: string | null },
): Promise<void> {
  if (meta.eventId && !(await deps.seenEvents.first(meta.eventId))) return; // Slack retry of an event we took
  if (event.subtype === 'message_changed' || event.subtype === 'message_deleted') {
    return handleEditOrDelete(deps, event, meta.teamId);
  }
  // Joins, topic changes, bots (ours included: no echo loops) and top-level posts are not replies.
  const reply = replyOf(event, meta.teamId, deps.identity.botUserId);
  if (!reply) return;
  const { channel, threadId: threadTs, userId: user, rawText: text } = reply;
  const ts = event.ts as string;
  const result = await handleChatReply(
    deps.chat,
    { ...reply, declaredFiles: (event.files ?? []).map((f) => ({ contentType: f.mimetype ?? 'application/octet-stream', size: f.size ?? 0 })) },
    // Only once the reply may go: files are fetched with the bot token, names looked up.
    async () => {
      const policy = await deps.chat.store.policy.get();
      const staged = await stageReplyFiles({ store: deps.chat.store, api: deps.api, maxBytes: policy.mms.maxTotalBytes }, event.files ?? []);
      return {
        // The contact gets what the user saw, not Slack's markup (&amp;, <@U1>, <url|label>).
        text: await slackToPlainText(text, (id) => deps.userNames.get(id)),
        userName: await deps.userNames.get(user),
        files: staged.media,
        problems: staged.problems,
        sendWithoutThem: false,
      };
    },
  );
  const thread = await deps.chat.store.threads.findByThread(PLATFORM_ID, channel, threadTs);
  if (thread) await renderReplyResult(deps, thread, channel, ts, result);
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
    case 'files-failed':
      await deps.platform.notice(
        thread,
        `:no_entry_sign: Not sent: a file could not be fetched from Slack, so the SMS did not go:\n${result.problems.map((p) => `• ${escapeSlackText(p)}`).join('\n')}`,
      );
      await deps.api.addReaction(channel, ts, 'no_entry_sign').catch(() => undefined);
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
  const message = await deps.chat.store.messages.getByPlatformMessageId(platformMessageId(teamId, channel, before.ts));
  if (!message || message.direction === 'inbound') return;
  const thread = await deps.chat.store.threads.get(message.conversationId, PLATFORM_ID, channel);
  if (!thread) return;
  const text =
    event.subtype === 'message_changed'
      ? ':pencil2: SMS cannot be edited: the contact keeps the text as it was sent. Write a new reply to correct it.'
      : ':wastebasket: Deleting a reply in Slack does not unsend the SMS: the contact keeps it.';
  await deps.platform.notice(thread, text);
}
