// Provisioned numbers. Removal is soft (removed_at) because conversations and messages keep
// referring to the number; get/list show only numbers in service, and creating a removed number
// again brings it back into service with the new settings.
import { ConflictError } from '../../../core/errors.js';
import type { NumberRepo } from '../../../core/ports.js';
import type { E164, NumberStatus, NumberType, ProvisionedNumber } from '../../../core/types.js';
import type { RepoContext } from '../shared.js';
import type { Sync } from '../sqlite/asyncRepo.js';

interface NumberRow {
  e164: string;
  provider: string;
  type: NumberType;
  status: NumberStatus;
  country: string | null;
  segments_per_second: number | null;
  created_at: string;
  updated_at: string;
}

function toNumber(r: NumberRow): ProvisionedNumber {
  return {
    e164: r.e164,
    provider: r.provider,
    type: r.type,
    status: r.status,
    country: r.country,
    segmentsPerSecond: r.segments_per_second,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function createNumberRepo({ db, now }: RepoContext): Sync<NumberRepo> {
  const getActive = db.prepare<[string], NumberRow>(
    'SELECT * FROM numbers WHERE e164 = ? AND removed_at IS NULL',
  );
  const listActive = db.prepare<[], NumberRow>(
    'SELECT * FROM numbers WHERE removed_at IS NULL ORDER BY e164',
  );
  // Inserts a new number, or revives a removed one; does nothing when the number is in service.
  const insertOrRevive = db.prepare(`
    INSERT INTO numbers (e164, provider, type, status, country, segments_per_second, created_at, updated_at)
    VALUES (@e164, @provider, @type, @status, @country, @sps, @now, @now)
    ON CONFLICT (e164) DO UPDATE SET
      provider = excluded.provider, type = excluded.type, status = excluded.status,
      country = excluded.country, segments_per_second = excluded.segments_per_second,
      created_at = excluded.created_at, updated_at = excluded.updated_at, removed_at = NULL
    WHERE numbers.removed_at IS NOT NULL`);
  const updateRow = db.prepare(`
    UPDATE numbers SET provider = @provider, type = @type, status = @status,
      segments_per_second = @sps, updated_at = @now
    WHERE e164 = @e164 AND removed_at IS NULL`);
  const softRemove = db.prepare(
    'UPDATE numbers SET removed_at = @now, updated_at = @now WHERE e164 = @e164 AND removed_at IS NULL',
  );
  // A number out of service keeps no channel mappings (re-provisioning it means mapping it again).
  const removeMappings = db.prepare(
    'UPDATE mappings SET removed_at = @now WHERE number = @e164 AND removed_at IS NULL',
  );

  const get = (e164: E164): ProvisionedNumber | null => {
    const row = getActive.get(e164);
    return row ? toNumber(row) : null;
  };

  const update = db.transaction((e164: E164, patch: Parameters<NumberRepo['update']>[1]) => {
    const current = get(e164);
    if (!current) return null;
    updateRow.run({
      e164,
      provider: patch.provider ?? current.provider,
      type: patch.type ?? current.type,
      status: patch.status ?? current.status,
      sps: patch.segmentsPerSecond === undefined ? current.segmentsPerSecond : patch.segmentsPerSecond,
      now: now(),
    });
    return get(e164);
  });

  const remove = db.transaction((e164: E164): boolean => {
    const at = now();
    const changed = softRemove.run({ e164, now: at }).changes > 0;
    if (changed) removeMappings.run({ e164, now: at });
    return changed;
  });

  return {
    get,
    list: () => listActive.all().map(toNumber),
    create(input) {
      const info = insertOrRevive.run({
        e164: input.e164,
        provider: input.provider,
        type: input.type,
        status: input.status,
        country: input.country,
        sps: input.segmentsPerSecond ?? null,
        now: now(),
      });
      if (info.changes === 0) throw new ConflictError(`number ${input.e164} is already provisioned`);
      const created = get(input.e164);
      if (!created) throw new Error(`number ${input.e164} vanished after insert`);
      return created;
    },
    update: (e164, patch) => update.immediate(e164, patch),
    remove: (e164) => remove.immediate(e164),
  };
}
