// Audit log of admin changes: append-only, newest first when listed.
import type { AuditEntry, AuditRepo } from '../../../core/ports.js';
import { clampLimit, parseJson, toJson, type DbContext } from '../shared.js';

interface AuditRow {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  before: string | null;
  after: string | null;
}

function toEntry(r: AuditRow): AuditEntry {
  return {
    // BIGINT identity on Postgres: a driver that hands it out as a string still gives a number here.
    id: Number(r.id),
    at: r.at,
    actor: r.actor,
    action: r.action,
    target: r.target,
    before: parseJson(r.before),
    after: parseJson(r.after),
  };
}

export function createAuditRepo({ db, now }: DbContext): AuditRepo {
  const INSERT = `
    INSERT INTO audit_log (at, actor, action, target, before, after)
    VALUES (?, ?, ?, ?, ?, ?)
    RETURNING *`;
  const LIST = 'SELECT * FROM audit_log ORDER BY id DESC LIMIT ?';

  return {
    async record(entry) {
      const row = await db.get<AuditRow>(INSERT, [
        now(),
        entry.actor,
        entry.action,
        entry.target,
        toJson(entry.before),
        toJson(entry.after),
      ]);
      if (!row) throw new Error('audit insert returned nothing');
      return toEntry(row);
    },
    list: async (opts = {}) => (await db.all<AuditRow>(LIST, [clampLimit(opts.limit, 100)])).map(toEntry),
  };
}
