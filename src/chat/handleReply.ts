// A human reply written in a conversation's chat thread, on any platform: goes out as SMS/MMS
// through core requestOutbound (all eligibility checks there), from the conversation's own number
// to its contact (rule 11: the user never picks the sending number).
//
// Order: the reply takes its place in the conversation's order (OutboxRepo.reserve) before its
// slow preparation (author name, file downloads, which `prepare` does), so replies go out in the
// order they were written. A platform whose events are stored before they are acknowledged
// (Slack's chat inbox) reserves the place even earlier, at that store (reserveReplyPlace).
//
// Checks that need no download come first (rule 13.9): a thread that is not a conversation, a
// channel no longer mapped to the number, an author or a policy that refuses, cost no download.
// The chat message itself is the message's post in that channel (message_posts), so status
// reactions land on it and delivery only mirrors it to the other mapped channels (rule 8).

import { checkOutbound, requestOutbound } from '../app/requestOutbound.js';
import type { Store } from '../core/ports.js';
import type { PlatformId } from '../core/types.js';
import type { ChatReplyInput, ChatReplyResult, ChatServiceDeps, PreparedReply } from './types.js';

/** True when the text is an internal note (policy.internalNotePrefix, default `//`). */
export function isInternalNote(text: string, prefix: string): boolean {
  return prefix.length > 0 && text.trimStart().startsWith(prefix);
}

/** Refusals that only the prepared text can settle (its length): not judged on the raw text. */
const TEXT_DEPENDENT = new Set(['too_many_segments', 'empty_message']);

/**
 * Takes the conversation's next place for a reply written in one of its threads, before anything
 * slow happens; null when the thread is not a conversation's or the text is an internal note.
 * Idempotent on the chat message id.
 */
export async function reserveReplyPlace(
  store: Store,
  owner: string,
  reply: { platform: PlatformId; channel: string; threadId: string; rawText: string; platformMessageId: string },
): Promise<string | null> {
  if (isInternalNote(reply.rawText, (await store.policy.get()).internalNotePrefix)) return null;
  const thread = await store.threads.findByThread(reply.platform, reply.channel, reply.threadId);
  if (!thread) return null;
  await store.outbox.reserve(['send', 'deliver'], thread.conversationId, reply.platformMessageId, owner);
  return thread.conversationId;
}

/** A reserved place nothing will fill: given up, and the items behind it may go on. */
export async function givePlaceUp(deps: Pick<ChatServiceDeps, 'store' | 'queue'>, slotKey: string): Promise<void> {
  for (const item of await deps.store.outbox.release(slotKey)) await deps.queue.wake(item.lane, item.conversationId, `m${item.seq}`);
}

export async function handleChatReply(
  deps: ChatServiceDeps,
  input: ChatReplyInput,
  prepare: () => Promise<PreparedReply>,
): Promise<ChatReplyResult> {
  const { store } = deps;
  const slotKey = input.platformMessageId;
  const giveUp = (): Promise<void> => givePlaceUp(deps, slotKey);
  const conversationId = await reserveReplyPlace(store, deps.owner, input);
  if (conversationId === null) {
    await giveUp(); // reserved before the prefix changed, say
    return isInternalNote(input.rawText, (await store.policy.get()).internalNotePrefix) ? { kind: 'note' } : { kind: 'not-a-conversation' };
  }
  const conversation = await store.conversations.get(conversationId);
  if (!conversation) {
    await giveUp();
    return { kind: 'not-a-conversation' };
  }
  const author = { platform: input.platform, userId: input.userId };
  const place = { slotKey, originPost: { platform: input.platform, channel: input.channel, platformMessageId: input.platformMessageId } };
  const request = { fromNumber: conversation.number, to: [conversation.contact], platformMessageId: input.platformMessageId };

  // A platform retry of a reply stored before: nothing is prepared again (no second download).
  if (await store.messages.getByPlatformMessageId(input.platformMessageId)) {
    const again = await requestOutbound(deps, { ...request, body: '', media: [], author }, place);
    return again.ok ? { kind: 'queued', message: again.message, duplicate: true, internal: again.internal, problems: [] } : { kind: 'refused', refusals: again.refusals };
  }
  // Mappings move and go: a thread left behind in a channel that no longer shows this number
  // must not keep sending from it. Checked here, once, for every platform.
  if ((await store.mappings.list({ number: conversation.number, platform: input.platform, channel: input.channel })).length === 0) {
    await giveUp();
    return { kind: 'channel-not-mapped', number: conversation.number };
  }
  const { eligibility } = await checkOutbound(deps, { ...request, body: input.rawText, media: input.declaredFiles, author });
  // Refused whatever the prepared text will be: every reason comes back (the length as written).
  const refusals = eligibility.allowed ? [] : eligibility.refusals;
  if (refusals.some((r) => !TEXT_DEPENDENT.has(r.code))) {
    await giveUp();
    return { kind: 'refused', refusals };
  }

  // Should preparing fail, the place stays reserved: the platform's retry (or the chat inbox's
  // replay) prepares the reply again in its place.
  const prepared = await prepare();
  if (prepared.problems.length > 0 && !prepared.sendWithoutThem) {
    await giveUp();
    return { kind: 'files-failed', problems: prepared.problems };
  }
  const outcome = await requestOutbound(
    deps,
    { ...request, body: prepared.text, media: prepared.files, author: { ...author, name: prepared.userName } },
    place,
  );
  if (!outcome.ok) return { kind: 'refused', refusals: outcome.refusals };
  // Read again: the send worker may have moved the status already.
  const fresh = (await store.messages.get(outcome.message.id)) ?? outcome.message;
  return { kind: 'queued', message: fresh, duplicate: outcome.duplicate, internal: outcome.internal, problems: prepared.problems };
}
