// Number -> chat channel mappings. Soft removal keeps the row for the record; uniqueness holds
// only among active rows (partial unique index), so a channel can be mapped again later.
import { randomUUID } from 'node:crypto';
import { ConflictError } from '../../../core/errors.js';
import type { MappingRepo } from '../../../core/ports.js';
import type { Mapping } from '../../../core/types.js';
import { isUniqueViolation, type RepoContext } from '../shared.js';
import type { Sync } from '../sqlite/asyncRepo.js';

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

export function createMappingRepo({ db, now }: RepoContext): Sync<MappingRepo> {
  const insert = db.prepare(
    'INSERT INTO mappings (id, number, platform, channel, created_at) VALUES (@id, @number, @platform, @channel, @now)',
  );
  const getActive = db.prepare<[string], MappingRow>(
    'SELECT * FROM mappings WHERE id = ? AND removed_at IS NULL',
  );
  const listActive = db.prepare<{ number: string | null; platform: string | null; channel: string | null }, MappingRow>(`
    SELECT * FROM mappings
    WHERE removed_at IS NULL
      AND (@number IS NULL OR number = @number)
      AND (@platform IS NULL OR platform = @platform)
      AND (@channel IS NULL OR channel = @channel)
    ORDER BY created_at, rowid`);
  const softRemove = db.prepare('UPDATE mappings SET removed_at = @now WHERE id = @id AND removed_at IS NULL');

  return {
    create(input) {
      const id = randomUUID();
      try {
        insert.run({ id, number: input.number, platform: input.platform, channel: input.channel, now: now() });
      } catch (err) {
        if (isUniqueViolation(err)) {
          throw new ConflictError(`${input.number} is already mapped to ${input.platform} channel ${input.channel}`);
        }
        throw err;
      }
      const row = getActive.get(id);
      if (!row) throw new Error(`mapping ${id} vanished after insert`);
      return toMapping(row);
    },
    get(id) {
      const row = getActive.get(id);
      return row ? toMapping(row) : null;
    },
    list(filter = {}) {
      return listActive
        .all({ number: filter.number ?? null, platform: filter.platform ?? null, channel: filter.channel ?? null })
        .map(toMapping);
    },
    remove: (id) => softRemove.run({ id, now: now() }).changes > 0,
  };
}
