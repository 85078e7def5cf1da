// Number -> chat channel mappings. Soft removal keeps the row for the record; uniqueness holds
// only among active rows (partial unique index), so a channel can be mapped again later.
import { randomUUID } from 'node:crypto';
import { ConflictError } from '../../../core/errors.js';
import type { MappingRepo } from '../../../core/ports.js';
import type { Mapping } from '../../../core/types.js';
import { rowOrder, type DbContext } from '../shared.js';

interface MappingRow {
  id: string;
  number: string;
  platform: string;
  channel: string;
  created_at: string;
}

function toMapping(r: MappingRow): Mapping {
  return { id: r.id, number: r.number, platform: r.platform, channel: r.channel, createdAt: r.created_at };
}

export function createMappingRepo({ db, now }: DbContext): MappingRepo {
  // ON CONFLICT DO NOTHING (any unique index, here the partial one over active rows) instead of
  // catching the violation: on Postgres a failed statement would abort a caller's transaction.
  const INSERT = `
    INSERT INTO mappings (id, number, platform, channel, created_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT DO NOTHING
    RETURNING *`;
  const GET_ACTIVE = 'SELECT * FROM mappings WHERE id = ? AND removed_at IS NULL';
  const LIST_ACTIVE = `
    SELECT * FROM mappings
    WHERE removed_at IS NULL
      AND (CAST(? AS TEXT) IS NULL OR number = ?)
      AND (CAST(? AS TEXT) IS NULL OR platform = ?)
      AND (CAST(? AS TEXT) IS NULL OR channel = ?)
    ORDER BY created_at, ${rowOrder(db)}`;
  const SOFT_REMOVE = 'UPDATE mappings SET removed_at = ? WHERE id = ? AND removed_at IS NULL';

  return {
    async create(input) {
      const row = await db.get<MappingRow>(INSERT, [randomUUID(), input.number, input.platform, input.channel, now()]);
      if (!row) throw new ConflictError(`${input.number} is already mapped to ${input.platform} channel ${input.channel}`);
      return toMapping(row);
    },
    async get(id) {
      const row = await db.get<MappingRow>(GET_ACTIVE, [id]);
      return row ? toMapping(row) : null;
    },
    async list(filter = {}) {
      const number = filter.number ?? null;
      const platform = filter.platform ?? null;
      const channel = filter.channel ?? null;
      return (await db.all<MappingRow>(LIST_ACTIVE, [number, number, platform, platform, channel, channel])).map(toMapping);
    },
    remove: async (id) => (await db.run(SOFT_REMOVE, [now(), id])).changes > 0,
  };
}
