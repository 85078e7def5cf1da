// Db on a node-postgres Pool: the repositories' `?` placeholders are numbered ($1..$n) once per
// SQL text, and each text runs as a named prepared statement (parsed once per connection).
// A transaction checks out one connection and keeps it across awaits; calls made inside it (same
// async context, AsyncLocalStorage) run on that connection, calls from elsewhere use another one
// from the pool. A nested transaction is a savepoint.
//
// Where the engines differ in ways the repositories would notice, this driver makes Postgres
// behave like the SQLite driver:
// - BIGINT (COUNT(*), epoch-ms columns, identity keys) and NUMERIC (SUM, AVG) come back as JS
//   numbers, not strings (a per-pool type parser: the process-wide pg.types is left alone). A value
//   beyond Number.MAX_SAFE_INTEGER is an error, never a silently rounded number.
// - A boolean parameter is sent as 1/0, as SQLite stores it (booleans are INTEGER 0/1 columns on
//   both engines; '1'/'0' is also valid input for a Postgres boolean).
// - A failed statement inside a transaction aborts the whole transaction on Postgres ("current
//   transaction is aborted"), where on SQLite it undoes only itself. Plain writes are NOT guarded
//   (a savepoint around each one cost two extra round trips per statement, most of the send
//   path's): the few callers that catch a constraint error and go on wrap that one write in
//   `db.savepoint(fn)`, and the repositories write ON CONFLICT where a clash is expected.
// - Serialization failures and deadlocks (40001, 40P01) are NOT retried here: that would re-run the
//   caller's fn, which may have changed memory or recorded effects outside the database. They
//   reach the caller with their code (see isRetryableTransactionError).
//
// Why raw node-postgres and not a query builder (Kysely): the repositories are written once, as
// SQL, on the small Db interface, for both engines; a builder would be a second way to write them
// and costs time per query. Measured (SELECT * by primary key on a 10 000-row table, pool of 1,
// sequential, 2 000 queries x 9 interleaved rounds, 3 runs on a shared 2-core machine, pg 8.23,
// Kysely 0.29, PostgreSQL 15 on localhost), client CPU per query: raw pg unnamed statement
// 61-69 us, raw pg named prepared statement 44-51 us, this driver 50-59 us, Kysely 73-88 us
// (its builder and compiler alone 4-9 us; it sends unnamed statements, so the server also parses
// and plans each one). Wall time per query (median, load average ~15): named 145-305 us, this
// driver 262-335 us, unnamed 246-546 us, Kysely 217-626 us.
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import type { Db, RunResult, SqlParam } from '../db.js';

export interface PostgresDbOptions {
  /** postgres:// or postgresql:// URL. */
  connectionString: string;
  /** Pool size (default 10). */
  max?: number;
  /** Name shown in pg_stat_activity. */
  applicationName?: string;
}

export interface PostgresDb extends Db {
  readonly engine: 'postgres';
  /** The pool, for diagnostics and tests. */
  readonly pool: pg.Pool;
}

interface TxScope {
  client: pg.PoolClient;
  open: boolean;
  depth: number;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

function toSafeNumber(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) && /^-?\d+$/.test(text)) {
    throw new RangeError(`postgres: integer ${text} is beyond JavaScript's safe range`);
  }
  return n;
}

function typeParsers(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  types.setTypeParser(INT8_OID, 'text', toSafeNumber);
  types.setTypeParser(NUMERIC_OID, 'text', (v: string) => Number(v));
  return types;
}

/**
 * SQL with `?` placeholders -> SQL with $1..$n. Question marks inside string literals ('...',
 * E'...'), quoted identifiers ("..."), dollar-quoted bodies ($tag$...$tag$) and comments (--, /* *\/)
 * are left alone.
 */
export function numberPlaceholders(sql: string): { text: string; count: number } {
  let out = '';
  let n = 0;
  let i = 0;
  const len = sql.length;
  while (i < len) {
    const c = sql[i]!;
    if (c === '?') {
      out += `$${++n}`;
      i++;
      continue;
    }
    let end = i + 1;
    if (c === "'") {
      // E'..' strings take backslash escapes; standard strings only double the quote.
      const prev = i > 0 ? sql[i - 1]! : '';
      const escapes = (prev === 'E' || prev === 'e') && (i < 2 || !/[\w$]/.test(sql[i - 2]!));
      while (end < len) {
        const d = sql[end]!;
        if (escapes && d === '\\') end += 2;
        else if (d === "'" && sql[end + 1] === "'") end += 2;
        else if (d === "'") {
          end++;
          break;
        } else end++;
      }
    } else if (c === '"') {
      while (end < len) {
        if (sql[end] === '"' && sql[end + 1] === '"') end += 2;
        else if (sql[end] === '"') {
          end++;
          break;
        } else end++;
      }
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      end = nl === -1 ? len : nl;
    } else if (c === '/' && sql[i + 1] === '*') {
      // Postgres block comments nest.
      let depth = 1;
      end = i + 2;
      while (end < len && depth > 0) {
        if (sql[end] === '/' && sql[end + 1] === '*') {
          depth++;
          end += 2;
        } else if (sql[end] === '*' && sql[end + 1] === '/') {
          depth--;
          end += 2;
        } else end++;
      }
    } else if (c === '$' && !(i > 0 && /[\w$]/.test(sql[i - 1]!))) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        end = close === -1 ? len : close + tag[0].length;
      }
    }
    out += sql.slice(i, end);
    i = end;
  }
  return { text: out, count: n };
}

function bind(params: readonly SqlParam[] | undefined): unknown[] {
  if (!params) return [];
  return params.map((p) =>
    typeof p === 'boolean' ? (p ? 1 : 0) : p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p) : p,
  );
}

/** Distinct SQL texts given a prepared-statement name; past it (generated SQL) texts run unnamed. */
const MAX_NAMED = 1000;

/** True for the errors a caller may answer by running its whole transaction again. */
export function isRetryableTransactionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40001' || code === '40P01';
}

export function postgresDb(opts: PostgresDbOptions): PostgresDb {
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? 'sms-bridge',
    types: typeParsers(),
  });
  // An idle connection the server dropped (restart, admin kill) must not crash the process; the
  // pool discards it and the next query opens a new one.
  pool.on('error', () => {});

  const scope = new AsyncLocalStorage<TxScope>();
  interface Statement {
    text: string;
    name: string | undefined;
  }
  const statements = new Map<string, Statement>();
  const statement = (sql: string): Statement => {
    let s = statements.get(sql);
    if (!s) {
      s = {
        text: numberPlaceholders(sql).text,
        name: statements.size < MAX_NAMED ? `s${statements.size + 1}` : undefined,
      };
      statements.set(sql, s);
    }
    return s;
  };
  let closed: Promise<void> | null = null;

  // Not async on the common path (no transaction): one promise, pg's own.
  const query = (sql: string, params: readonly SqlParam[] | undefined): Promise<pg.QueryResult> => {
    const s = statement(sql);
    const config: pg.QueryConfig = { text: s.text, values: bind(params) };
    if (s.name) config.name = s.name;
    const tx = scope.getStore();
    return tx?.open ? tx.client.query(config) : pool.query(config);
  };

  const db: PostgresDb = {
    engine: 'postgres',
    pool,
    all: <T>(sql: string, params?: readonly SqlParam[]) => query(sql, params).then((r) => r.rows as T[]),
    get: <T>(sql: string, params?: readonly SqlParam[]) => query(sql, params).then((r) => r.rows[0] as T | undefined),
    run: (sql: string, params?: readonly SqlParam[]): Promise<RunResult> =>
      query(sql, params).then((r) => ({ changes: r.rowCount ?? 0 })),
    async exec(sql: string) {
      const tx = scope.getStore();
      if (tx?.open) await tx.client.query(sql);
      else await pool.query(sql);
    },
    async transaction<T>(fn: () => Promise<T>): Promise<T> {
      const outer = scope.getStore();
      if (outer?.open) {
        const name = `sp${++outer.depth}`;
        await outer.client.query(`SAVEPOINT ${name}`);
        try {
          const value = await fn();
          await outer.client.query(`RELEASE SAVEPOINT ${name}`);
          return value;
        } catch (err) {
          await outer.client.query(`ROLLBACK TO SAVEPOINT ${name}; RELEASE SAVEPOINT ${name}`);
          throw err;
        } finally {
          outer.depth--;
        }
      }
      const client = await pool.connect();
      const tx: TxScope = { client, open: true, depth: 0 };
      let broken: Error | undefined;
      try {
        try {
          await client.query('BEGIN');
        } catch (err) {
          broken = err as Error;
          throw err;
        }
        try {
          const value = await scope.run(tx, fn);
          await client.query('COMMIT');
          return value;
        } catch (err) {
          try {
            // Harmless when COMMIT itself failed (the server already ended the transaction).
            await client.query('ROLLBACK');
          } catch (rollbackErr) {
            // The connection is unusable: drop it rather than hand it to the next caller.
            broken = rollbackErr as Error;
          }
          throw err;
        }
      } finally {
        tx.open = false;
        client.release(broken);
      }
    },
    async savepoint<T>(fn: () => Promise<T>): Promise<T> {
      const tx = scope.getStore();
      if (!tx?.open) return fn();
      await tx.client.query('SAVEPOINT stmt');
      try {
        const value = await fn();
        await tx.client.query('RELEASE SAVEPOINT stmt');
        return value;
      } catch (err) {
        await tx.client.query('ROLLBACK TO SAVEPOINT stmt; RELEASE SAVEPOINT stmt');
        throw err;
      }
    },
    inTransaction: () => scope.getStore()?.open === true,
    close() {
      closed ??= pool.end();
      return closed;
    },
  };
  return db;
}
