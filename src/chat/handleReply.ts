// A human reply written in a conversation's chat thread, on any platform: goes out as SMS/MMS
// through core requestOutbound (all eligibility checks there), from the conversation's own number
// to its contact (rule 11: the user never picks the sending number).
//
// A reply in a thread whose channel is no longer mapped to the conversation's number is not
// sent (channel-not-mapped); each adapter renders that as a notice.
//
// The chat message itself is the message's post in that channel (message_posts), so status
// reactions land on it and delivery only mirrors it to the other mapped channels (rule 8).

import { requestOutbound } from '../core/index.js';
import type { ChatReplyInput, ChatReplyResult, ChatServiceDeps } from './types.js';

/** True when the text is an internal note (policy.internalNotePrefix, default `//`). */
export function isInternalNote(text: string, prefix: string): boolean {
  return prefix.length > 0 && text.trimStart().startsWith(prefix);
}

export async function handleChatReply(deps: ChatServiceDeps, input: ChatReplyInput): Promise<ChatReplyResult> {
  const policy = deps.store.policy.get();
  if (isInternalNote(input.text, policy.internalNotePrefix)) return { kind: 'note' };

  const thread = deps.store.threads.findByThread(input.platform, input.channel, input.threadId);
  if (!thread) return { kind: 'not-a-conversation' };
  const conversation = deps.store.conversations.get(thread.conversationId);
  if (!conversation) return { kind: 'not-a-conversation' };
  // Mappings move and go: a thread left behind in a channel that no longer shows this number
  // must not keep sending from it. Checked here, once, for every platform.
  const mapped = deps.store.mappings.list({ number: conversation.number, platform: input.platform, channel: input.channel });
  if (mapped.length === 0) return { kind: 'channel-not-mapped', number: conversation.number };

  const outcome = await requestOutbound(deps, {
    fromNumber: conversation.number,
    to: [conversation.contact],
    body: input.text,
    media: input.files,
    author: { platform: input.platform, userId: input.userId, name: input.userName },
    platformMessageId: input.platformMessageId,
  });
  if (!outcome.ok) return { kind: 'refused', refusals: outcome.refusals };

  const { message } = outcome;
  // The chat message is this message's post in this channel. A retried chat event (a duplicate)
  // whose first attempt stopped before this point (the queue was down when it was handed on) does
  // the rest now, so the mirror into the other channels is not lost; when the post is recorded,
  // everything after it was done too.
  const recorded = deps.store.posts.findByPlatformMessageId(input.platform, input.platformMessageId);
  if (recorded?.messageId !== message.id) {
    // Unique indexes make a racing duplicate harmless: a failure here means it is recorded.
    if (!recorded) {
      try {
        deps.store.posts.save({
          messageId: message.id,
          platform: input.platform,
          channel: input.channel,
          platformMessageId: input.platformMessageId,
        });
      } catch (err) {
        deps.logger?.warn({ messageId: message.id, err: String(err) }, 'origin post already recorded');
      }
    } else {
      deps.logger?.warn({ messageId: message.id, other: recorded.messageId }, 'origin post id belongs to another message');
    }
    // Mirror into the conversation's other mapped channels (Teams <-> Slack), in order.
    await deps.deliveries.enqueueDelivery(message.id, message.conversationId);
  }
  // Read again: the send worker may have moved the status while we recorded the post.
  const fresh = deps.store.messages.get(message.id) ?? message;
  return { kind: 'queued', message: fresh, duplicate: outcome.duplicate, internal: outcome.internal };
}
