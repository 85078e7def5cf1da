// A number just mapped to a channel (admin API, Slack `/sms map`): its inbound texts that no chat
// shows (the number was unmapped, or mapped only to a platform that is off) go to the delivery
// lane, oldest first, so the new channel shows them; delivery posts each where it is missing.
// Before this, such texts stayed listed as unrouted and were never posted anywhere.
import type { OutboxItem, OutboxRepo, TurnQueue } from '../core/ports.js';

export interface DeliverUnshownDeps {
  store: {
    outbox: Pick<OutboxRepo, 'add'>;
    transaction<T>(fn: () => Promise<T>): Promise<T>;
    inbox: { unshownInbound(number: string): Promise<Array<{ id: string; conversationId: string }>> };
  };
  queue: TurnQueue;
}

/** Queues the number's unshown inbound texts for delivery; returns how many. */
export async function deliverUnshown(deps: DeliverUnshownDeps, number: string): Promise<number> {
  const items: OutboxItem[] = await deps.store.transaction(async () => {
    const out: OutboxItem[] = [];
    // add() returns the pending item when the message already waits in the lane (no double).
    for (const m of await deps.store.inbox.unshownInbound(number)) out.push(await deps.store.outbox.add('deliver', m.conversationId, m.id));
    return out;
  });
  const conversations = new Map(items.map((i) => [i.conversationId, i]));
  await Promise.all([...conversations.values()].map((i) => deps.queue.wake('deliver', i.conversationId, `m${i.seq}`)));
  return items.length;
}
