// Apply a provider status callback (issue 3/4): statuses move forward only, because callbacks
// arrive out of order (a late 'sent' never overwrites 'delivered') and providers retry them.

import { canAdvance } from '../status.js';
import type { Store } from '../ports.js';
import type { DeliveryUpdate, Message } from '../types.js';
import type { CoreDeps } from './deps.js';

/**
 * A receipt that echoes our id but is about another send of the message: one made before an
 * admin resend, arriving late. It must not move (or give a provider id to) the resent message.
 */
function fromAnotherSend(store: Store, message: Message, update: DeliveryUpdate): boolean {
  // The current send recorded its provider id: a receipt naming another id is about another send.
  if (message.providerMessageId !== null) {
    return message.provider === update.provider && message.providerMessageId !== update.providerMessageId;
  }
  // Nothing recorded yet (a resend queued or in flight): an older generation than the message's.
  const current = store.messages.resendCount?.(message.id);
  return update.resend !== undefined && current !== undefined && update.resend < current;
}

export function applyDeliveryUpdate(deps: CoreDeps, update: DeliveryUpdate): { message: Message | null; changed: boolean } {
  const { store } = deps;
  return store.transaction(() => {
    // 8x8 echoes our id (clientMessageId): its callback may beat the send response that records
    // the provider id, so our id is tried first and the provider id is recorded from it.
    let message = update.messageId ? store.messages.get(update.messageId) : null;
    if (message && fromAnotherSend(store, message, update)) return { message, changed: false };
    if (message && message.providerMessageId === null && update.providerMessageId) {
      store.messages.setProviderMessageId(message.id, update.provider, update.providerMessageId);
      message = store.messages.get(message.id);
    }
    message ??= store.messages.getByProviderId(update.provider, update.providerMessageId);
    if (!message) return { message: null, changed: false };
    // Inbound and co-worker messages have no delivery to track.
    if (message.direction !== 'outbound') return { message, changed: false };
    if (!canAdvance(message.status, update.status)) return { message, changed: false };

    const updated = store.messages.advanceStatus(message.id, update.status, {
      reason: update.reason ?? null,
      errorCode: update.errorCode ?? null,
    });
    if (!updated) return { message: store.messages.get(message.id), changed: false };
    return { message: updated, changed: true };
  });
}
