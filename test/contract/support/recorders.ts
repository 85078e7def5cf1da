// In-memory stand-ins for the queue and notifier ports, recording what the SMS edge hands on.
import type { DeliveryQueue, StatusNotifier } from '../../../src/core/ports.js';
import type { Message } from '../../../src/core/types.js';

/** Like BullMQ with jobId = message id: a second enqueue of the same message is dropped. */
export class RecordingDeliveryQueue implements DeliveryQueue {
  readonly calls: Array<{ messageId: string; conversationId: string }> = [];
  readonly jobs = new Map<string, string>();
  failNext = false;

  async enqueueDelivery(messageId: string, conversationId: string): Promise<void> {
    this.calls.push({ messageId, conversationId });
    if (this.failNext) {
      this.failNext = false;
      throw new Error('redis down');
    }
    if (!this.jobs.has(messageId)) this.jobs.set(messageId, conversationId);
  }
}

export class RecordingNotifier implements StatusNotifier {
  readonly changes: Array<{ id: string; status: string }> = [];
  async statusChanged(message: Message): Promise<void> {
    this.changes.push({ id: message.id, status: message.status });
  }
}
