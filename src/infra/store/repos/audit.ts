// Audit log of admin changes: append-only, newest first when listed.
import type { AuditEntry, AuditRepo } from '../../../core/ports.js';
import { clampLimit, parseJson, toJson, type RepoContext } from '../shared.js';
import type { Sync } from '../sqlite/asyncRepo.js';

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
    id: r.id,
    at: r.at,
    actor: r.actor,
    action: r.action,
    target: r.target,
    before: parseJson(r.before),
    after: parseJson(r.after),
  };
}

export function createAuditRepo({ db, now }: RepoContext): Sync<AuditRepo> {
  const insert = db.prepare<
    { at: string; actor: string; action: string; target: string; before: string | null; after: string | null },
    AuditRow
  >(`
    INSERT INTO audit_log (at, actor, action, target, before, after)
    VALUES (@at, @actor, @action, @target, @before, @after)
    RETURNING *`);
  const list = db.prepare<[number], AuditRow>('SELECT * FROM audit_log ORDER BY id DESC LIMIT ?');

  return {
    record(entry) {
      const row = insert.get({
        at: now(),
        actor: entry.actor,
        action: entry.action,
        target: entry.target,
        before: toJson(entry.before),
        after: toJson(entry.after),
      });
      if (!row) throw new Error('audit insert returned nothing');
      return toEntry(row);
    },
    list: (opts = {}) => list.all(clampLimit(opts.limit, 100)).map(toEntry),
  };
}
