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

  return {
    isOptedOut: async (number, contact) => (await db.get<{ opted_out: number }>(GET, [number, contact]))?.opted_out === 1,
    async set(number, contact, optedOut, keyword) {
      await db.run(UPSERT, [number, contact, fromBool(optedOut), keyword, now()]);
    },
  };
}
