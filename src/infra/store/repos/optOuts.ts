// Opt-outs per (our number, contact): STOP-family sets, START-family clears (rule 12). The row is
// kept on START (opted_out = 0) so the last keyword stays on record.
import type { OptOutRepo } from '../../../core/ports.js';
import { fromBool, type DbContext } from '../shared.js';

export function createOptOutRepo({ db, now }: DbContext): OptOutRepo {
  const GET = 'SELECT opted_out FROM opt_outs WHERE number = ? AND contact = ?';
  const UPSERT = `
    INSERT INTO opt_outs (number, contact, opted_out, keyword, updated_at)
    VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (number, contact) DO UPDATE SET
      opted_out = excluded.opted_out, keyword = excluded.keyword, updated_at = excluded.updated_at`;

  // Keyset paging on the primary key (number, contact); the row-value comparison is written out
  // because SQLite and Postgres both run it as a range scan this way.
  const LIST = `
    SELECT number, contact, keyword, updated_at FROM opt_outs
    WHERE opted_out = 1
      AND (CAST(? AS TEXT) IS NULL OR number = ?)
      AND (CAST(? AS TEXT) IS NULL OR number > ? OR (number = ? AND contact > ?))
    ORDER BY number, contact
    LIMIT ?`;

  return {
    async listOptedOut({ number, limit, after }) {
      const n = number ?? null;
      const an = after?.number ?? null;
      const ac = after?.contact ?? null;
      const rows = await db.all<{ number: string; contact: string; keyword: string | null; updated_at: string }>(LIST, [n, n, an, an, an, ac, limit]);
      return rows.map((r) => ({ number: r.number, contact: r.contact, keyword: r.keyword, since: r.updated_at }));
    },
    isOptedOut: async (number, contact) => (await db.get<{ opted_out: number }>(GET, [number, contact]))?.opted_out === 1,
    async set(number, contact, optedOut, keyword) {
      await db.run(UPSERT, [number, contact, fromBool(optedOut), keyword, now()]);
    },
  };
}
