// Accept an outbound message from chat (issue 4, behaviour 1; rules 3, 6, 11): check eligibility,
// store it as 'queued' and hand it to the send queue. A refusal stores and queues nothing and
// returns every reason. Idempotent on the chat message id, so a retried chat event never sends
// twice. Co-worker messages (rule 6) never reach the queue or the provider.

import type { Refusal } from '../errors.js';
import { checkEligibility } from '../eligibility.js';
import { parsePhone } from '../phone.js';
import type { DeliveryQueue, OutboundQueue, Store } from '../ports.js';
import type { Conversation, MediaItem, Message, OutboundMedia, OutboundRequest } from '../types.js';
import { INTERNAL_PROVIDER, nowIso, type CoreDeps, type ProviderCapsLookup } from './deps.js';

export interface RequestOutboundDeps extends CoreDeps {
  queue: OutboundQueue;
  deliveries: DeliveryQueue;
  providerCaps: ProviderCapsLookup;
}

export type RequestOutboundResult =
  | { ok: true; message: Message; duplicate: boolean; internal: boolean }
  | { ok: false; refusals: Refusal[] };

export async function requestOutbound(deps: RequestOutboundDeps, req: OutboundRequest): Promise<RequestOutboundResult> {
  const { store } = deps;

  // A retried chat event (Slack retry, duplicate Teams activity) finds the message it created.
  // Its queue hand-off is repeated on purpose: enqueueSend / enqueueDelivery are idempotent by job
  // id, and a crash between the store commit and the enqueue would otherwise leave the message
  // 'queued' forever. Only a still-'queued' message is handed on again: once the worker has moved
  // it, the job exists or is done, and re-adding a removed completed job could send twice.
  if (req.platformMessageId) {
    const existing = store.messages.getByPlatformMessageId(req.platformMessageId);
    if (existing) return resume(deps, existing);
  }

  // Rule 11: the sending number is the channel's/conversation's provisioned number, never a
  // number the user picks. Chat adapters put it in `fromNumber`; it must be provisioned.
  const senderE164 = parsePhone(req.fromNumber).e164 ?? req.fromNumber.trim();
  const sender = store.numbers.get(senderE164);
  const policy = store.policy.get();
  const user = store.users.get(req.author.platform, req.author.userId);

  // Rule 6: a single recipient that is itself a number on this bridge is a co-worker.
  const recipientE164 = req.to.length === 1 ? parsePhone(req.to[0] as string).e164 : null;
  const coworker = recipientE164 !== null && recipientE164 !== senderE164 ? store.numbers.get(recipientE164) : null;

  const eligibility = checkEligibility({
    policy,
    user,
    sender,
    senderInput: req.fromNumber,
    recipients: req.to,
    isOptedOut: (number, contact) => store.optOuts.isOptedOut(number, contact),
    body: req.body,
    media: req.media.map((m) => ({ contentType: m.contentType, size: m.size })),
    provider: sender ? deps.providerCaps(sender.provider) : undefined,
    internal: coworker !== null,
  });
  if (!eligibility.allowed) return { ok: false, refusals: eligibility.refusals };
  if (sender === null) throw new Error('unreachable: eligibility allows only provisioned senders');

  const now = nowIso(deps.clock);
  const { segments } = eligibility;

  if (coworker !== null) {
    const stored = store.transaction(() => {
      const { conversation } = store.conversations.getOrCreate(sender.e164, coworker.e164);
      const inserted = store.messages.insert({
        conversationId: conversation.id,
        direction: 'internal',
        body: req.body,
        status: 'delivered',
        author: req.author,
        platformMessageId: req.platformMessageId,
        encoding: segments.encoding,
        segments: segments.segments,
        createdAt: now,
      });
      if (inserted.duplicate) return { duplicate: inserted.message, copy: null };
      const media = linkMedia(store, req.media, inserted.message.id);
      // The co-worker's copy, in their conversation with us. It points back at our copy through
      // (provider 'internal', providerMessageId = our id), which is unique, so a retry finds it.
      const theirs = store.conversations.getOrCreate(coworker.e164, sender.e164).conversation;
      const copy = store.messages.insert({
        conversationId: theirs.id,
        direction: 'internal',
        body: req.body,
        status: 'delivered',
        author: req.author,
        provider: INTERNAL_PROVIDER,
        providerMessageId: inserted.message.id,
        encoding: segments.encoding,
        segments: segments.segments,
        createdAt: now,
      }).message;
      for (const item of media) copyMedia(store, item, copy.id);
      return { duplicate: null, copy, mine: store.messages.get(inserted.message.id) ?? inserted.message };
    });
    if (stored.duplicate) return resume(deps, stored.duplicate);
    await deps.deliveries.enqueueDelivery(stored.copy.id, stored.copy.conversationId);
    return { ok: true, message: stored.mine, duplicate: false, internal: true };
  }

  const stored = store.transaction(() => {
    const { conversation } = store.conversations.getOrCreate(sender.e164, eligibility.to);
    const inserted = store.messages.insert({
      conversationId: conversation.id,
      direction: 'outbound',
      body: req.body,
      status: 'queued',
      author: req.author,
      provider: sender.provider,
      platformMessageId: req.platformMessageId,
      encoding: segments.encoding,
      segments: segments.segments,
      createdAt: now,
    });
    if (inserted.duplicate) return { message: inserted.message, conversation, duplicate: true };
    linkMedia(store, req.media, inserted.message.id);
    return { message: store.messages.get(inserted.message.id) ?? inserted.message, conversation, duplicate: false };
  });
  if (stored.duplicate) return resume(deps, stored.message);
  await deps.queue.enqueueSend(stored.message.id, stored.conversation.id);
  return { ok: true, message: stored.message, duplicate: false, internal: false };
}

/** A message this chat event already created: hand it on again if it never left, report it. */
async function resume(deps: RequestOutboundDeps, message: Message): Promise<RequestOutboundResult> {
  if (message.direction === 'internal') {
    const copy = deps.store.messages.getByProviderId(INTERNAL_PROVIDER, message.id);
    if (copy) await deps.deliveries.enqueueDelivery(copy.id, copy.conversationId);
    return { ok: true, message, duplicate: true, internal: true };
  }
  if (message.status === 'queued') await deps.queue.enqueueSend(message.id, message.conversationId);
  return { ok: true, message, duplicate: true, internal: false };
}

/**
 * Media rows for an outbound message. A file the adapter already downloaded (mediaId) is moved
 * onto the message (or copied, when the store cannot attach it: no `attach`, or it belongs to
 * another message already); one it could not download is
 * recorded as pending so the record shows it and the send worker can say why it did not go.
 */
function linkMedia(store: Store, media: OutboundMedia[], messageId: string): MediaItem[] {
  const out: MediaItem[] = [];
  for (const m of media) {
    const stored = m.mediaId ? store.media.get(m.mediaId) : null;
    if (stored && m.mediaId) {
      const attached = store.media.attach?.(m.mediaId, messageId) ?? copyMedia(store, stored, messageId);
      if (attached) {
        out.push(attached);
        continue;
      }
    }
    out.push(
      store.media.create({
        messageId,
        contentType: m.contentType,
        size: m.size,
        path: null,
        sourceUrl: null,
        status: 'pending',
        reason: null,
      }),
    );
  }
  return out;
}

function copyMedia(store: Store, item: MediaItem, messageId: string): MediaItem {
  return store.media.create({
    messageId,
    contentType: item.contentType,
    size: item.size,
    path: item.path,
    sourceUrl: item.sourceUrl,
    status: item.status,
    reason: item.reason,
  });
}

/** For callers that only have a conversation: the request rule 11 allows (its own number). */
export function requestFromConversation(
  conversation: Conversation,
  input: Omit<OutboundRequest, 'fromNumber' | 'to'>,
): OutboundRequest {
  return { ...input, fromNumber: conversation.number, to: [conversation.contact] };
}
