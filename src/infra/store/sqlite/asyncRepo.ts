// The repositories' SQLite code is synchronous (better-sqlite3); the Store port is asynchronous.
// asyncRepo wraps a synchronous repository so each call waits for the connection's gate (see
// gate.ts) and answers with a promise.
import type { SqliteGate } from './gate.js';

type AnyFn = (...args: never[]) => unknown;

/** The synchronous shape of an async repository interface (what the SQLite code implements). */
export type Sync<T> = {
  [K in keyof T]: NonNullable<T[K]> extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : T[K];
};

export function asyncRepo<T extends object>(repo: Sync<T>, gate: SqliteGate): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(repo)) {
    out[key] = typeof value === 'function' ? (...args: never[]) => gate.run(() => (value as AnyFn)(...args)) : value;
  }
  return out as T;
}
