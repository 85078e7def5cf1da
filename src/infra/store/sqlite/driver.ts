// Db on one better-sqlite3 connection: statements are prepared once and cached; the gate keeps
// other callers out of an open transaction.
import type Database from 'better-sqlite3';
import type { Db, RunResult, SqlParam } from '../db.js';
import { SqliteGate } from './gate.js';

type Bound = string | number | bigint | null | Buffer;

function bind(params: readonly SqlParam[] | undefined): Bound[] {
  if (!params) return [];
  return params.map((p) =>
    typeof p === 'boolean' ? (p ? 1 : 0) : p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p) : (p as Bound),
  );
}

export function sqliteDb(conn: Database.Database, gate = new SqliteGate(conn)): Db & { gate: SqliteGate } {
  const cache = new Map<string, Database.Statement>();
  const prepare = (sql: string): Database.Statement => {
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = conn.prepare(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  };
  return {
    engine: 'sqlite',
    gate,
    all: <T>(sql: string, params?: readonly SqlParam[]) => gate.run(() => prepare(sql).all(...bind(params)) as T[]),
    get: <T>(sql: string, params?: readonly SqlParam[]) => gate.run(() => prepare(sql).get(...bind(params)) as T | undefined),
    run: (sql: string, params?: readonly SqlParam[]) =>
      gate.run((): RunResult => {
        const stmt = prepare(sql);
        // A statement that returns rows (RETURNING) must be read with all(); run() refuses it.
        if (stmt.reader) return { changes: stmt.all(...bind(params)).length };
        return { changes: stmt.run(...bind(params)).changes };
      }),
    exec: (sql: string) => gate.run(() => void conn.exec(sql)),
    transaction: (fn) => gate.transaction(fn),
    // One failed SQLite statement undoes only itself: no savepoint needed.
    savepoint: (fn) => fn(),
    inTransaction: () => gate.inTransaction(),
    async close() {
      if (conn.open) conn.close();
    },
  };
}
