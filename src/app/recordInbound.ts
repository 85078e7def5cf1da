// Record an inbound SMS/MMS (issue 3 inbound pipeline; rules 3, 7, 12): one transaction that
// stores the conversation, the message, its pending media, any opt-out change and its place in
// the conversation's chat delivery order (outbox), so a webhook is acknowledged only once all of
// it is durable, and messages are posted in the order the provider delivered them. Nothing is refused here: SMS switched off, an
// unknown number or a group message are still stored and shown (never lost).

import { classifyKeyword, type KeywordFamily } from '../core/keywords.js';
import { parsePhone } from '../core/phone.js';
import { countSegments } from '../core/segments.js';
import type { OutboxItem } from '../core/ports.js';
import type { Conversation, InboundSms, MediaItem, Message } from '../core/types.js';
import { nowIso, type CoreDeps } from './deps.js';

export interface RecordInboundResult {
  message: Message;
  conversation: Conversation;
  /** The provider retried a webhook we already stored: nothing was written this time. */
  duplicate: boolean;
  keyword: KeywordFamily;
  /** The number has at least one channel mapping; false means the message is listed as unrouted. */
  routed: boolean;
  /** Its chat delivery, still pending (null once done): the caller wakes the delivery worker. */
  delivery: OutboxItem | null;
}

/** E.164 when the text is a phone number; alphanumeric senders and short codes kept as sent. */
export function contactKey(from: string): string {
  return parsePhone(from).e164 ?? from.trim();
}

export async function recordInbound(deps: CoreDeps, sms: InboundSms): Promise<RecordInboundResult> {
  const { store } = deps;
  const to = parsePhone(sms.to).e164 ?? sms.to.trim();
  const contact = contactKey(sms.from);
  const keyword = classifyKeyword(sms.body);

  return store.transaction(async (): Promise<RecordInboundResult> => {
    const routed = (await store.mappings.list({ number: to })).length > 0;

    // A retried webhook changes nothing: no second conversation write, no second opt-out write.
    const existing = await store.messages.getByProviderId(sms.provider, sms.providerMessageId);
    if (existing) return duplicateResult(deps, existing, keyword, routed);

    const { conversation } = await store.conversations.getOrCreate(to, contact);
    const segments = countSegments(sms.body);
    const { message, duplicate } = await store.messages.insert({
      conversationId: conversation.id,
      direction: 'inbound',
      body: sms.body,
      status: 'received',
      provider: sms.provider,
      providerMessageId: sms.providerMessageId,
      encoding: segments.encoding,
      segments: segments.segments,
      otherRecipients: (sms.otherRecipients ?? []).map(contactKey).filter((r) => r !== '' && r !== to),
      createdAt: nowIso(deps.clock),
    });
    if (duplicate) return duplicateResult(deps, message, keyword, routed);

    // The created rows are the message's media: no second read of what this transaction wrote.
    const media: MediaItem[] = [];
    for (const ref of sms.media) {
      media.push(
        await store.media.create({
          messageId: message.id,
          contentType: ref.contentType ?? 'application/octet-stream',
          size: 0,
          path: null,
          sourceUrl: ref.url,
          status: 'pending',
          reason: null,
        }),
      );
    }

    // Rule 12: the keyword must be the whole message; the message itself is stored and shown too.
    if (keyword === 'stop' || keyword === 'start') {
      await store.optOuts.set(to, contact, keyword === 'stop', sms.body.trim().toUpperCase());
    }

    const delivery = await store.outbox.add('deliver', conversation.id, message.id);
    return {
      message: media.length > 0 ? { ...message, media } : message,
      conversation,
      duplicate: false,
      keyword,
      routed,
      delivery,
    };
  });
}

async function duplicateResult(
  deps: CoreDeps,
  message: Message,
  keyword: RecordInboundResult['keyword'],
  routed: boolean,
): Promise<RecordInboundResult> {
  const conversation = await deps.store.conversations.get(message.conversationId);
  if (!conversation) throw new Error(`Message ${message.id} refers to a missing conversation.`);
  const pending = await deps.store.outbox.findByMessage('deliver', message.id);
  return { message, conversation, duplicate: true, keyword, routed, delivery: pending?.state === 'failed' ? null : pending };
}
