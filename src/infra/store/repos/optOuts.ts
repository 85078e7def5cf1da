// Opt-outs per (our number, contact): STOP-family sets, START-family clears (rule 12). The row is
// kept on START (opted_out = 0) so the last keyword stays on record.
import type { OptOutRepo } from '../../../core/ports.js';
import { fromBool, type RepoContext } from '../shared.js';
import type { Sync } from '../sqlite/asyncRepo.js';

export function createOptOutRepo({ db, now }: RepoContext): Sync<OptOutRepo> {
  const get = db.prepare<[string, string], { opted_out: number }>(
    'SELECT opted_out FROM opt_outs WHERE number = ? AND contact = ?',
  );
  const upsert = db.prepare(`
    INSERT INTO opt_outs (number, contact, opted_out, keyword, updated_at)
    VALUES (@number, @contact, @optedOut, @keyword, @now)
    ON CONFLICT (number, contact) DO UPDATE SET
      opted_out = excluded.opted_out, keyword = excluded.keyword, updated_at = excluded.updated_at`);

  return {
    isOptedOut: (number, contact) => get.get(number, contact)?.opted_out === 1,
    set(number, contact, optedOut, keyword) {
      upsert.run({ number, contact, optedOut: fromBool(optedOut), keyword, now: now() });
    },
  };
}
