// In-memory stand-ins for the queue and notifier ports, recording what the SMS edge hands on.
import type { Lane, StatusNotifier, TurnQueue } from '../../../src/core/ports.js';
import type { Message } from '../../../src/core/types.js';

/** Records wake-ups; like BullMQ with a stable job id, a second wake-up with the same token is one job. */
export class RecordingTurnQueue implements TurnQueue {
  readonly calls: Array<{ lane: Lane; conversationId: string; token: string }> = [];
  readonly jobs = new Set<string>();
  /** Wake-ups are lost (Redis away) while true: the outbox still holds the work. */
  dropping = false;

  async wake(lane: Lane, conversationId: string, token: string): Promise<void> {
    this.calls.push({ lane, conversationId, token });
    if (!this.dropping) this.jobs.add(`${lane}/${conversationId}.${token}`);
  }
}

export class RecordingNotifier implements StatusNotifier {
  readonly changes: Array<{ id: string; status: string }> = [];
  async statusChanged(message: Message): Promise<void> {
    this.changes.push({ id: message.id, status: message.status });
  }
}
