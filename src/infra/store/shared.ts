// Small helpers every repository uses.
import type Database from 'better-sqlite3';
import { InvalidInputError } from '../../core/errors.js';
import type { Clock } from '../../core/ports.js';
import type { Db as SqlDb } from './db.js';

export type Db = Database.Database;

/** What each repository factory receives: the connection and the time source. */
export interface RepoContext {
  db: Db;
  /** ISO timestamp from the injected clock. */
  now: () => string;
}

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
 * `expr` with ASCII letters folded to lower case, for case-insensitive matching that means the
 * same on both engines: SQLite's lower() folds ASCII only, Postgres' lower() folds every letter,
 * so Postgres uses the schema's lower_ascii(text) function instead.
 */
export function foldAscii(db: SqlDb, expr: string): string {
  return db.engine === 'sqlite' ? `lower(${expr})` : `lower_ascii(${expr})`;
}
