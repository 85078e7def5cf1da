// Console sessions and one-time sign-in codes (migration 010). Secrets are hashed here, before
// any SQL sees them, so no caller can store one in the clear; lookups are by digest.
import { createHash, randomUUID } from 'node:crypto';
import type { ConsoleSession, ConsoleSessionRepo } from '../../../core/ports.js';
import type { DbContext } from '../shared.js';

/** Hex SHA-256: the secrets are 256-bit random values, so no salt or slow hash is needed. */
function digest(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

interface Row {
  id: string;
  name: string;
  created_at: string;
  last_seen_at: string;
  idle_expires_at: string;
  expires_at: string;
}

const earlier = (a: string, b: string): string => (a < b ? a : b);

const toSession = (r: Row): ConsoleSession => ({
  id: r.id,
  name: r.name,
  createdAt: r.created_at,
  expiresAt: earlier(r.idle_expires_at, r.expires_at),
});

const plus = (iso: string, ms: number): string => new Date(Date.parse(iso) + ms).toISOString();

export function createConsoleSessionRepo({ db, now }: DbContext): ConsoleSessionRepo {
  const COLUMNS = 'id, name, created_at, last_seen_at, idle_expires_at, expires_at';
  const INSERT = `INSERT INTO console_sessions (${COLUMNS}, token_hash) VALUES (?, ?, ?, ?, ?, ?, ?)`;
  const PURGE = 'DELETE FROM console_sessions WHERE idle_expires_at <= ? OR expires_at <= ?';
  const LIVE = `SELECT ${COLUMNS} FROM console_sessions WHERE token_hash = ? AND idle_expires_at > ? AND expires_at > ?`;
  const TOUCH = 'UPDATE console_sessions SET last_seen_at = ?, idle_expires_at = ? WHERE id = ?';
  const END = 'DELETE FROM console_sessions WHERE token_hash = ?';
  const PURGE_CODES = 'DELETE FROM console_sign_in_codes WHERE expires_at <= ?';
  const ADD_CODE = 'INSERT INTO console_sign_in_codes (code_hash, created_at, expires_at) VALUES (?, ?, ?)';
  // One statement: of two callers presenting the same code, exactly one deletes the row.
  const CONSUME = 'DELETE FROM console_sign_in_codes WHERE code_hash = ? AND expires_at > ? RETURNING code_hash';

  return {
    async create({ secret, name, idleMs, maxMs }) {
      const at = now();
      await db.run(PURGE, [at, at]);
      const row: Row = { id: randomUUID(), name, created_at: at, last_seen_at: at, idle_expires_at: plus(at, idleMs), expires_at: plus(at, maxMs) };
      await db.run(INSERT, [row.id, row.name, row.created_at, row.last_seen_at, row.idle_expires_at, row.expires_at, digest(secret)]);
      return toSession(row);
    },
    async use(secret, { idleMs, touchAfterMs }) {
      const at = now();
      const row = await db.get<Row>(LIVE, [digest(secret), at, at]);
      if (!row) return null;
      if (Date.parse(at) - Date.parse(row.last_seen_at) >= touchAfterMs) {
        row.last_seen_at = at;
        row.idle_expires_at = plus(at, idleMs);
        await db.run(TOUCH, [row.last_seen_at, row.idle_expires_at, row.id]);
      }
      return toSession(row);
    },
    end: async (secret) => (await db.run(END, [digest(secret)])).changes > 0,
    async addCode(code, ttlMs) {
      const at = now();
      await db.run(PURGE_CODES, [at]);
      const expiresAt = plus(at, ttlMs);
      await db.run(ADD_CODE, [digest(code), at, expiresAt]);
      return expiresAt;
    },
    consumeCode: async (code) => (await db.all(CONSUME, [digest(code), now()])).length === 1,
  };
}
