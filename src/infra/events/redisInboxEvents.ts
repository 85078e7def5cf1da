// Inbox updates across instances through Redis pub/sub on `<QUEUE_PREFIX>:inbox-events`. Every
// instance keeps at most one subscriber connection (a connection in subscribe mode can do
// nothing else), opened when its first listener arrives and closed when its last one leaves; the
// updates are fanned out to the listeners in process. Publishing uses the bridge's own connection.
import type { Redis } from 'ioredis';
import type { InboxEvents, InboxUpdate } from '../../core/ports.js';
import type { Logger } from '../../logger.js';

export const inboxEventsChannel = (prefix: string): string => `${prefix}:inbox-events`;

export interface RedisInboxEvents extends InboxEvents {
  /** Listeners subscribed in this process now (tests check that a closed stream let go). */
  listenerCount(): number;
  /** Drops every listener and closes the subscriber connection (shutdown). */
  close(): Promise<void>;
}

export function redisInboxEvents(own: Redis, prefix: string, logger?: Logger): RedisInboxEvents {
  const channel = inboxEventsChannel(prefix);
  const listeners = new Set<(u: InboxUpdate) => void>();
  let sub: Redis | null = null;
  let ready: Promise<void> | null = null;

  const deliver = (ch: string, text: string): void => {
    if (ch !== channel) return;
    let update: InboxUpdate;
    try {
      update = JSON.parse(text) as InboxUpdate;
    } catch {
      return;
    }
    for (const l of [...listeners]) {
      try {
        l(update);
      } catch (err) {
        logger?.warn({ err: (err as Error).message }, 'inbox events: a listener failed');
      }
    }
  };

  const open = (): Promise<void> => {
    if (ready) return ready;
    const conn = own.duplicate({ connectionName: 'smsb-inbox-events', lazyConnect: true });
    conn.on('error', () => undefined); // ioredis reconnects and resubscribes on its own
    conn.on('message', deliver);
    sub = conn;
    ready = conn.subscribe(channel).then(
      () => undefined,
      (err: unknown) => {
        // Not subscribed (Redis away): the next listener tries again.
        if (sub === conn) {
          sub = null;
          ready = null;
        }
        conn.disconnect();
        throw err;
      },
    );
    return ready;
  };

  const shut = async (): Promise<void> => {
    const conn = sub;
    sub = null;
    ready = null;
    if (!conn) return;
    try {
      await conn.quit();
    } catch {
      conn.disconnect();
    }
  };

  return {
    async publish(update) {
      try {
        await own.publish(channel, JSON.stringify(update));
      } catch (err) {
        logger?.warn({ err: (err as Error).message, conversationId: update.conversationId }, 'inbox events: publish failed');
      }
    },
    async subscribe(listener) {
      listeners.add(listener);
      try {
        await open();
      } catch (err) {
        listeners.delete(listener);
        throw err;
      }
      let done = false;
      return async () => {
        if (done) return;
        done = true;
        listeners.delete(listener);
        if (listeners.size === 0) await shut();
      };
    },
    listenerCount: () => listeners.size,
    async close() {
      listeners.clear();
      await shut();
    },
  };
}
