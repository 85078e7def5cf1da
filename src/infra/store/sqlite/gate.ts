// One SQLite connection, many async callers. A transaction stays open across awaits, so while it
// is open every other caller waits its turn; calls made inside it (same async context) run at
// once. Without this, a statement from an unrelated request would silently join (and be rolled
// back with) someone else's transaction on the shared connection.
import { AsyncLocalStorage } from 'node:async_hooks';
import type Database from 'better-sqlite3';

interface TxScope {
  open: boolean;
  depth: number;
}

export class SqliteGate {
  private readonly scope = new AsyncLocalStorage<TxScope>();
  /** Resolves when the current holder (an open transaction) is done. */
  private tail: Promise<void> = Promise.resolve();
  private held = false;

  constructor(private readonly db: Database.Database) {}

  /** True when the caller runs inside this connection's open transaction. */
  inTransaction(): boolean {
    return this.scope.getStore()?.open === true;
  }

  /** Runs one synchronous piece of work on the connection when no other transaction holds it. */
  async run<T>(fn: () => T): Promise<T> {
    if (this.inTransaction() || !this.held) return fn();
    // Run while holding the turn: releasing it first and trying again let the next waiter take
    // it in between, so with two or more waiters each one went back to the end of the queue
    // forever (a livelock that grew the queue until the process ran out of memory).
    const release = await this.acquire();
    try {
      return fn();
    } finally {
      release();
    }
  }

  /** Runs fn in one transaction; a nested call is a savepoint (its failure undoes only its part). */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    const outer = this.scope.getStore();
    if (outer?.open) {
      const name = `sp${++outer.depth}`;
      this.db.exec(`SAVEPOINT ${name}`);
      try {
        const value = await fn();
        this.db.exec(`RELEASE ${name}`);
        return value;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
        throw err;
      }
    }
    const release = await this.acquire();
    const scope: TxScope = { open: true, depth: 0 };
    try {
      // IMMEDIATE takes the write lock up front, so two connections never deadlock upgrading a
      // read lock to a write lock.
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const value = await this.scope.run(scope, fn);
        this.db.exec('COMMIT');
        return value;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    } finally {
      scope.open = false;
      release();
    }
  }

  private async acquire(): Promise<() => void> {
    const before = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await before;
    this.held = true;
    return () => {
      this.held = false;
      release();
    };
  }
}
