// Live inbox updates for every message, whichever platform (if any) shows it: a message is
// announced once its delivery step ran (inbound texts with their media fetched; replies written
// in Slack, Teams or the web inbox alike), and every status change the send worker or a delivery
// receipt makes is announced beside the chat notices. Publishing never fails the step it follows.
import type { InboxEvents, StatusNotifier, Store } from '../core/ports.js';

/** The delivery handler, then a `message` update for the message it handled. */
export function announcingDeliver(
  deliver: (messageId: string) => Promise<void>,
  deps: { store: Pick<Store, 'messages'>; events: InboxEvents },
): (messageId: string) => Promise<void> {
  return async (messageId) => {
    await deliver(messageId);
    const message = await deps.store.messages.get(messageId);
    if (message) await deps.events.publish({ type: 'message', conversationId: message.conversationId, message });
  };
}

/** The chat status notices, then a `status` update. */
export function announcingNotifier(inner: StatusNotifier, events: InboxEvents): StatusNotifier {
  return {
    async statusChanged(message) {
      await inner.statusChanged(message);
      await events.publish({ type: 'status', conversationId: message.conversationId, message });
    },
  };
}
