// Eligibility again when the send worker picks a message up (issue 4, behaviour 2): an opt-out
// or a policy switch that arrived while the message waited wins. On refusal the message ends
// 'refused' with every reason; on success the worker gets exactly what to send, always from the
// conversation's own number (rule 11: caller ID is never the user's choice).

import { ConflictError, NotFoundError, type Refusal } from '../core/errors.js';
import { checkEligibilityAsync } from '../core/eligibility.js';
import type { Message, OutboundSms } from '../core/types.js';
import { type CoreDeps, type ProviderCapsLookup } from './deps.js';

export type RecheckResult =
  | { ok: true; message: Message; sms: Omit<OutboundSms, 'mediaUrls'> }
  | { ok: false; refusals: Refusal[] };

/**
 * Throws NotFoundError for an unknown message, and ConflictError for one that is not an outbound
 * message still waiting to go ('queued' or 'sending'): a message already sent, failed or refused
 * is never sent again, and the worker should treat the job as done.
 */
export async function recheckAtSend(deps: CoreDeps & { providerCaps: ProviderCapsLookup }, messageId: string): Promise<RecheckResult> {
  const { store } = deps;
  return store.transaction(async (): Promise<RecheckResult> => {
    const message = await store.messages.get(messageId);
    if (!message) throw new NotFoundError(`Message ${messageId} does not exist.`);
    if (message.direction !== 'outbound') {
      throw new ConflictError(`Message ${messageId} is ${message.direction}, not an outbound SMS.`);
    }
    if (message.status !== 'queued' && message.status !== 'sending') {
      throw new ConflictError(`Message ${messageId} is already ${message.status}; it is not sent again.`);
    }
    const conversation = await store.conversations.get(message.conversationId);
    if (!conversation) throw new NotFoundError(`Conversation ${message.conversationId} does not exist.`);

    const sender = await store.numbers.get(conversation.number);
    const user = message.author ? await store.users.get(message.author.platform, message.author.userId) : null;
    const policy = await store.policy.get();
    const eligibility = await checkEligibilityAsync(
      {
        policy,
        user,
        sender,
        senderInput: conversation.number,
        recipients: [conversation.contact],
        body: message.body,
        media: message.media.map((m) => ({ contentType: m.contentType, size: m.size })),
        provider: deps.providerCaps(sender?.provider ?? message.provider ?? '') ?? undefined,
      },
      (number, contact) => store.optOuts.isOptedOut(number, contact),
    );

    if (!eligibility.allowed) {
      const first = eligibility.refusals[0];
      await store.messages.advanceStatus(message.id, 'refused', {
        reason: eligibility.refusals.map((r) => r.reason).join(' '),
        errorCode: first ? first.code : null,
      });
      return { ok: false, refusals: eligibility.refusals };
    }
    return {
      ok: true,
      message,
      sms: { messageId: message.id, from: conversation.number, to: eligibility.to, body: message.body },
    };
  });
}
