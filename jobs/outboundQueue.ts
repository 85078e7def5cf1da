// The OutboundQueue port on BullMQ (issue 4): `enqueueSend` puts the message in its
// conversation's lane; the head of a lane gets job `send-<messageId>` in the `send` queue under
// QUEUE_PREFIX, and messages behind it get theirs when they become the head, or are sent in place
// by the job before them (lanes.ts). Every step is idempotent, so a retried chat event or a
// duplicate enqueue sends nothing twice.
import type { Redis } from 'ioredis';
import type { OutboundQueue } from '../src/core/ports.js';
import { createOrderedQueue, type OrderedQueue } from './orderedQueue.js';

export const SEND_QUEUE = 'send';
export const SEND_KIND = 'send';

export interface BullOutboundQueue extends OutboundQueue {
  readonly ordered: OrderedQueue;
  close(): Promise<void>;
}

export function createOutboundQueue(opts: { connection: Redis; prefix: string; attempts?: number }): BullOutboundQueue {
  const ordered = createOrderedQueue({ ...opts, name: SEND_QUEUE, kind: SEND_KIND });
  return {
    ordered,
    enqueueSend: (messageId, conversationId) => ordered.enqueue(messageId, conversationId),
    close: () => ordered.close(),
  };
}
