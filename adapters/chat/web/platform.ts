// The web inbox as a chat platform behind the ChatPlatform port. Its messages already live in the
// store, which is what the console reads, so it shows nothing anywhere itself: it records the
// thread and a post per message like the other platforms (so delivery bookkeeping, "shown
// nowhere" and status notifications work unchanged). Live redraws come from the inbox events,
// published for every message whatever platform shows it (see ./events.ts).
import { PlatformError } from '../../../src/core/errors.js';
import type { ChatPlatform } from '../../../src/core/ports.js';

export const WEB_PLATFORM_ID = 'web';
/** The web inbox's one channel. */
export const WEB_CHANNEL = 'inbox';

export function createWebPlatform(): ChatPlatform {
  return {
    id: WEB_PLATFORM_ID,
    async createThread(conversation, channel) {
      if (channel !== WEB_CHANNEL) {
        throw new PlatformError({ platform: WEB_PLATFORM_ID, message: `the web inbox has one channel, "${WEB_CHANNEL}", not "${channel}"`, retryable: false });
      }
      // A conversation is its own thread in the inbox.
      return { threadId: conversation.id };
    },
    async post(_thread, view) {
      return { platformMessageId: `web:${view.message.id}` };
    },
    async showStatus() {
      // The console reads statuses from the store; the status event redraws it.
    },
  };
}
