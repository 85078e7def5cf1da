// Inbox updates within one process (tests, and a bridge that runs alone): publish calls every
// listener subscribed now.
import type { InboxEvents, InboxUpdate } from '../../core/ports.js';

export function memoryInboxEvents(): InboxEvents {
  const listeners = new Set<(u: InboxUpdate) => void>();
  return {
    async publish(update) {
      for (const l of [...listeners]) l(update);
    },
    async subscribe(listener) {
      listeners.add(listener);
      return async () => {
        listeners.delete(listener);
      };
    },
  };
}
