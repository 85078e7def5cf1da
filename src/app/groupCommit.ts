// Group commit for the send worker's store writes. A SQLite commit costs far more than the
// statements in it (measured here: ~120-250 us per single-message transaction, ~40 us per message
// when 32 share one), and the worker runs many sends at once. Writes queued during one event-loop
// turn therefore run in ONE transaction. Every caller still waits for the commit before it goes
// on, so durability is unchanged: the ledger row is on disk before the provider call, the 'sent'
// record before the job completes. Cost: at most one event-loop turn of latency. The items of a
// batch run one after the other inside the transaction (each awaited before the next starts).
// Isolation of a failing write: the batch first runs optimistically with no savepoint per item
// (a savepoint is two more statements and a new transaction wrapper per item, the bulk of the
// cost of a small write). If any item throws, the whole batch is rolled back and every item runs
// again in its own transaction, so a failing one is undone alone and rejects only its caller,
// exactly as with a savepoint each. Items must therefore be plain store work that may run twice
// (their first run is rolled back): no side effect outside the store except logging.
import { AsyncResource } from 'node:async_hooks';

export interface GroupCommit {
  run<T>(fn: () => Promise<T>): Promise<T>;
}

interface Pending {
  fn: () => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export function createGroupCommit(
  store: { transaction<T>(fn: () => Promise<T>): Promise<T> },
  opts: { maxBatch?: number } = {},
): GroupCommit {
  const maxBatch = opts.maxBatch ?? 64;
  let pending: Pending[] = [];
  let scheduled = false;
  // A batch runs in the async context the group commit was made in, never in a caller's: a
  // caller inside a store transaction must not pull other callers' writes into it.
  const context = new AsyncResource('GroupCommit');
  const flushDetached = (): void => void context.runInAsyncScope(flush);

  async function flush(): Promise<void> {
    scheduled = false;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    let values: unknown[];
    try {
      // One after the other: a transaction's store calls never run concurrently.
      values = await store.transaction(async () => {
        const out: unknown[] = [];
        for (const item of batch) out.push(await item.fn());
        return out;
      });
    } catch (error) {
      const only = batch.length === 1 ? batch[0] : undefined;
      if (only) {
        only.reject(error);
        return;
      }
      // One item (or the commit) failed: nothing of the batch is stored. Each on its own now.
      for (const item of batch) {
        try {
          item.resolve(await store.transaction(item.fn));
        } catch (error) {
          item.reject(error);
        }
      }
      return;
    }
    batch.forEach((item, i) => item.resolve(values[i]));
  }

  return {
    run<T>(fn: () => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        pending.push({ fn, resolve: resolve as (v: unknown) => void, reject });
        if (pending.length >= maxBatch) flushDetached();
        else if (!scheduled) {
          scheduled = true;
          setImmediate(flushDetached);
        }
      });
    },
  };
}
