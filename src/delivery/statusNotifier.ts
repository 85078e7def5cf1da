// StatusNotifier: the send worker and the status-callback handler call statusChanged(message)
// after a status moved; every chat post of the message shows it (reaction, threaded notice).
// Failures here are logged and swallowed: showing a status must never make an SMS job retry
// (a retry could mean a second send).

import type { StatusNotifier, Store } from '../core/ports.js';
import type { Message } from '../core/types.js';
import { silentLogger, type ChatLogger } from './logger.js';
import type { ChatRegistry } from './registry.js';

export interface StatusNotifierDeps {
  store: Store;
  registry: ChatRegistry;
  logger?: ChatLogger;
}

export function createStatusNotifier(deps: StatusNotifierDeps): StatusNotifier {
  const log = deps.logger ?? silentLogger;
  return {
    async statusChanged(message: Message): Promise<void> {
      const posts = await deps.store.posts.listForMessage(message.id);
      for (const post of posts) {
        const platform = deps.registry.get(post.platform);
        if (!platform) continue;
        const thread = await deps.store.threads.get(message.conversationId, post.platform, post.channel);
        if (!thread) continue;
        try {
          await platform.showStatus(post, thread, message);
        } catch (err) {
          log.warn(
            { messageId: message.id, platform: post.platform, status: message.status, err: err instanceof Error ? err.message : String(err) },
            'status notice failed',
          );
        }
      }
    },
  };
}
