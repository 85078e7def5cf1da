// The one database interface the repositories are written against, so each query is written
// once for both engines. SQL uses `?` placeholders (the Postgres driver numbers them), RETURNING
// instead of last-insert ids, and ON CONFLICT for idempotent inserts.

export type SqlParam = string | number | bigint | boolean | null | Buffer | Uint8Array;

export type Engine = 'sqlite' | 'postgres';

export interface RunResult {
  /** Rows inserted, updated or deleted. */
  changes: number;
}

export interface Db {
  readonly engine: Engine;
  /** Every row. */
  all<T = Record<string, unknown>>(sql: string, params?: readonly SqlParam[]): Promise<T[]>;
  /** The first row, or undefined. */
  get<T = Record<string, unknown>>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined>;
  run(sql: string, params?: readonly SqlParam[]): Promise<RunResult>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Runs fn in one transaction. Calls made inside fn (in its async context) join it; a nested call
   * is a savepoint. Calls from elsewhere never join it: they wait (SQLite) or use another
   * connection (Postgres).
   */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Runs fn, ONE statement whose failure (a constraint violation) the caller catches and goes on
   * from. Inside a transaction that failure then undoes only the statement, on both engines: a
   * SQLite statement is atomic on its own (fn runs as is); on Postgres a failed statement aborts
   * the whole transaction, so there fn runs under a savepoint (two more round trips). Any other
   * failed statement inside a transaction must end it (the error reaches transaction()).
   */
  savepoint<T>(fn: () => Promise<T>): Promise<T>;
  inTransaction(): boolean;
  close(): Promise<void>;
}
