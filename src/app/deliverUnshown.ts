// A number just mapped to a channel (admin API, Slack `/sms map`): its inbound texts that no chat
// shows (the number was unmapped, or mapped only to a platform that is off) go to the delivery
// lane, oldest first, so the new channel shows them; delivery posts each where it is missing.
// Before this, such texts stayed listed as unrouted and were never posted anywhere.
//
// A text whose delivery is under way as the mapping commits may have read the mappings before it
// (and found nowhere to go): the lane holds one pending item per message, so it cannot be queued
// again until that item is done. Those are looked at again once their items have left the lane:
// never lost, though such a text (one arriving as the mapping commits) may then be posted after
// a later one.
import type { OutboxItem, OutboxRepo, TurnQueue } from '../core/ports.js';

export interface DeliverUnshownDeps {
  store: {
    outbox: Pick<OutboxRepo, 'add' | 'get' | 'findByMessage'>;
    transaction<T>(fn: () => Promise<T>): Promise<T>;
    inbox: { unshownInbound(number: string): Promise<Array<{ id: string; conversationId: string }>> };
  };
  queue: TurnQueue;
  logger?: { warn(obj: object, msg: string): void };
  /** How long to wait for deliveries under way before looking again (default 60 s). */
  settleMs?: number;
}

const POLL_MS = 100;

/** Queues the number's unshown inbound texts for delivery; returns how many. */
export async function deliverUnshown(deps: DeliverUnshownDeps, number: string): Promise<number> {
  const { queued, underWay } = await queueOnce(deps, number);
  if (underWay.length > 0) {
    void againWhenDone(deps, number, underWay).catch((err: unknown) =>
      deps.logger?.warn({ number, err: err instanceof Error ? err.message : String(err) }, 'delivering texts no chat showed: second look failed'),
    );
  }
  return queued;
}

async function queueOnce(deps: DeliverUnshownDeps, number: string): Promise<{ queued: number; underWay: number[] }> {
  const { outbox } = deps.store;
  const unshown = await deps.store.inbox.unshownInbound(number);
  const underWay: number[] = [];
  for (const m of unshown) {
    const pending = await outbox.findByMessage('deliver', m.id);
    if (pending && pending.state !== 'failed') underWay.push(pending.seq);
  }
  const items: OutboxItem[] = await deps.store.transaction(async () => {
    const out: OutboxItem[] = [];
    for (const m of unshown) out.push(await outbox.add('deliver', m.conversationId, m.id));
    return out;
  });
  const heads = new Map(items.map((i) => [i.conversationId, i]));
  await Promise.all([...heads.values()].map((i) => deps.queue.wake('deliver', i.conversationId, `m${i.seq}`)));
  return { queued: items.length, underWay };
}

async function againWhenDone(deps: DeliverUnshownDeps, number: string, seqs: number[]): Promise<void> {
  const until = Date.now() + (deps.settleMs ?? 60_000);
  let left = seqs;
  while (left.length > 0 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    const still: number[] = [];
    for (const seq of left) {
      const item = await deps.store.outbox.get(seq);
      if (item && item.state !== 'failed') still.push(seq);
    }
    left = still;
  }
  await queueOnce(deps, number);
}
