// Small helpers every repository uses.
import { InvalidInputError } from '../../core/errors.js';
import type { Clock } from '../../core/ports.js';
import type { Db as SqlDb } from './db.js';

export function makeNow(clock: Clock): () => string {
  return () => clock.now().toISOString();
}

/** What each repository written on the engine-neutral Db (db.ts) receives. */
export interface DbContext {
  db: SqlDb;
  /** ISO timestamp from the injected clock. */
  now: () => string;
}

/**
 * The column that orders a table's rows by insertion: SQLite's rowid, the identity column `seq`
 * on Postgres (which has no rowid).
 */
export function rowOrder(db: SqlDb): string {
  return db.engine === 'sqlite' ? 'rowid' : 'seq';
}

/** True for a unique or primary-key violation: SQLite's constraint codes, Postgres' 23505. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

export function toBool(v: number): boolean {
  return v === 1;
}

export function fromBool(v: boolean): number {
  return v ? 1 : 0;
}

/** JSON column to value; a null column stays null. */
export function parseJson(text: string | null): unknown {
  return text === null ? null : (JSON.parse(text) as unknown);
}

/** Value to JSON column; undefined and null become SQL NULL. */
export function toJson(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

/** Clamp a caller's limit: SQLite treats a negative LIMIT as "no limit", which we never want here. */
export function clampLimit(limit: number | undefined, fallback: number, max = 1000): number {
  if (limit === undefined || !Number.isFinite(limit)) return fallback;
  return Math.max(1, Math.min(max, Math.floor(limit)));
}

/** A position in a (created_at, rowid) order, plus the paging run's rowid bound. */
export interface PagePosition {
  at: string;
  row: number;
  /** Highest rowid that existed when the paging run began: later inserts are not part of it. */
  top: number;
}

// Opaque to callers (base64url of JSON) so its shape can change; validated on the way back in.
export function encodeCursor(p: PagePosition): string {
  return Buffer.from(JSON.stringify([p.at, p.row, p.top]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): PagePosition {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(v) && v.length === 3 && typeof v[0] === 'string' &&
      Number.isSafeInteger(v[1]) && Number.isSafeInteger(v[2])
    ) {
      return { at: v[0], row: v[1] as number, top: v[2] as number };
    }
  } catch {
    // fall through: any malformed cursor is the same input error
  }
  throw new InvalidInputError('cursor: not a cursor this bridge handed out', 'cursor');
}

/**
 * `expr` folded to lower case for ASCII letters only, the way SQLite's LIKE and lower() fold:
 * lower() on SQLite; on Postgres (whose lower() also folds non-ASCII letters) the schema's
 * lower_ascii() function.
 */
export function foldAscii(db: SqlDb, expr: string): string {
  return db.engine === 'sqlite' ? `lower(${expr})` : `lower_ascii(${expr})`;
}

/** `text` with its ASCII letters in lower case (the JS side of foldAscii). */
export function lowerAscii(text: string): string {
  return text.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

/** LIKE pattern (use with ESCAPE '\') matching `text` literally anywhere: %, _ and \ escaped. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * SQL condition "expr is one of the strings of the JSON array bound to this `?`": one statement
 * (one cached text) for any number of values. json_each on SQLite, jsonb on Postgres.
 */
export function inJsonArray(db: SqlDb, expr: string): string {
  return db.engine === 'sqlite'
    ? `${expr} IN (SELECT value FROM json_each(?))`
    : `${expr} IN (SELECT jsonb_array_elements_text(CAST(? AS jsonb)))`;
}

/**
 * The variants of one query (optional filters present or not, a LIMIT or none), each built once
 * per repository and then reused: drivers cache prepared statements by SQL text, and a fixed
 * filter set lets each variant use its index (an `? IS NULL OR col = ?` form would not, and
 * Postgres cannot type a parameter used only in `? IS NULL`).
 */
export function sqlVariants<K extends string | number>(build: (key: K) => string): (key: K) => string {
  const built = new Map<K, string>();
  return (key) => {
    let sql = built.get(key);
    if (sql === undefined) {
      sql = build(key);
      built.set(key, sql);
    }
    return sql;
  };
}

/** A COUNT(*), MAX(seq) or other BIGINT result as a number (Postgres may hand BIGINT as text). */
export function toNumber(v: number | string | bigint | null | undefined, fallback = 0): number {
  return v === null || v === undefined ? fallback : Number(v);
}
