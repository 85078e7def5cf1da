// Group commit for the send worker's SQLite writes. A SQLite commit costs far more than the
// statements in it (measured here: ~120-250 us per single-message transaction, ~40 us per message
// when 32 share one), and the worker runs many sends at once. Writes queued during one event-loop
// turn therefore run in ONE transaction, each inside its own savepoint (a failing one is rolled
// back alone and rejects only its caller). Every caller still waits for the commit before it goes
// on, so durability is unchanged: the ledger row is on disk before the provider call, the 'sent'
// record before the job completes. Cost: at most one event-loop turn of latency.
export interface GroupCommit {
  run<T>(fn: () => T): Promise<T>;
}

interface Pending {
  fn: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export function createGroupCommit(store: { transaction<T>(fn: () => T): T }, opts: { maxBatch?: number } = {}): GroupCommit {
  const maxBatch = opts.maxBatch ?? 64;
  let pending: Pending[] = [];
  let scheduled = false;

  function flush(): void {
    scheduled = false;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    const results: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      store.transaction(() => {
        for (const item of batch) {
          try {
            results.push({ ok: true, value: store.transaction(item.fn) });
          } catch (error) {
            results.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // The commit itself failed: nothing of the batch is stored.
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const r = results[i];
      if (r?.ok) item.resolve(r.value);
      else item.reject(r ? r.error : new Error('group commit lost a result'));
    });
  }

  return {
    run<T>(fn: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        pending.push({ fn, resolve: resolve as (v: unknown) => void, reject });
        if (pending.length >= maxBatch) flush();
        else if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}
