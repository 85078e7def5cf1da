// Apply a provider status callback (issue 3/4): statuses move forward only, because callbacks
// arrive out of order (a late 'sent' never overwrites 'delivered') and providers retry them.
// A receipt only ever moves a message its own provider carried (issue 13).

import { canAdvance } from '../core/status.js';
import type { Store } from '../core/ports.js';
import type { DeliveryUpdate, Message, ProviderId } from '../core/types.js';
import type { CoreDeps } from './deps.js';

export interface DeliveryUpdateResult {
  /** The message the receipt is about; null when unknown or carried by another provider. */
  message: Message | null;
  changed: boolean;
  /**
   * Set when the receipt names (by our echoed id) a message another provider carried: the
   * receipt is ignored and nothing changes. `carriedBy`: that provider (null: none yet).
   */
  otherProvider?: { messageId: string; carriedBy: ProviderId | null };
}

/**
 * The provider that carried the message: its latest send call's (the ledger knows it before the
 * provider's answer is recorded, and after a number moved to another provider), else its own.
 */
async function carrierOf(store: Store, message: Message): Promise<ProviderId | null> {
  return (await store.messages.sentThrough(message.id)) ?? message.provider;
}

/**
 * A receipt that echoes our id but is about another send of the message: one made before an
 * admin resend, arriving late. It must not move (or give a provider id to) the resent message.
 */
async function fromAnotherSend(store: Store, message: Message, update: DeliveryUpdate): Promise<boolean> {
  // The current send recorded its provider id: a receipt naming another id is about another send.
  if (message.providerMessageId !== null) {
    return message.provider === update.provider && message.providerMessageId !== update.providerMessageId;
  }
  // Nothing recorded yet (a resend queued or in flight): an older generation than the message's.
  const current = await store.messages.resendCount(message.id);
  return update.resend !== undefined && update.resend < current;
}

export async function applyDeliveryUpdate(deps: CoreDeps, update: DeliveryUpdate): Promise<DeliveryUpdateResult> {
  const { store } = deps;
  return store.transaction(async (): Promise<DeliveryUpdateResult> => {
    // 8x8 echoes our id (clientMessageId): its callback may beat the send response that records
    // the provider id, so our id is tried first and the provider id is recorded from it.
    let message = update.messageId ? await store.messages.get(update.messageId) : null;
    if (message) {
      // Our ids are no secret to other providers' webhooks: a receipt naming a message another
      // provider carried would move it (say, a sent Twilio message to "failed: opted out").
      const carriedBy = await carrierOf(store, message);
      if (carriedBy !== update.provider) return { message: null, changed: false, otherProvider: { messageId: message.id, carriedBy } };
    }
    if (message && (await fromAnotherSend(store, message, update))) return { message, changed: false };
    if (message && message.providerMessageId === null && update.providerMessageId) {
      await store.messages.setProviderMessageId(message.id, update.provider, update.providerMessageId);
      message = await store.messages.get(message.id);
    }
    // Looked up under the receipt's own provider: never another provider's message.
    message ??= await store.messages.getByProviderId(update.provider, update.providerMessageId);
    if (!message) return { message: null, changed: false };
    // Inbound and co-worker messages have no delivery to track.
    if (message.direction !== 'outbound') return { message, changed: false };
    if (!canAdvance(message.status, update.status)) return { message, changed: false };

    const updated = await store.messages.advanceStatus(message.id, update.status, {
      reason: update.reason ?? null,
      errorCode: update.errorCode ?? null,
    });
    if (!updated) return { message: await store.messages.get(message.id), changed: false };
    return { message: updated, changed: true };
  });
}
