// Provisioned numbers. Removal is soft (removed_at) because conversations and messages keep
// referring to the number; get/list show only numbers in service, and creating a removed number
// again brings it back into service with the new settings.
import { ConflictError } from '../../../core/errors.js';
import type { NumberRepo } from '../../../core/ports.js';
import type { E164, NumberStatus, NumberType, ProvisionedNumber } from '../../../core/types.js';
import type { DbContext } from '../shared.js';

export interface NumberRow {
  e164: string;
  provider: string;
  type: NumberType;
  status: NumberStatus;
  country: string | null;
  segments_per_second: number | null;
  created_at: string;
  updated_at: string;
}

export function toNumber(r: NumberRow): ProvisionedNumber {
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

export function createNumberRepo({ db, now }: DbContext): NumberRepo {
  const GET_ACTIVE = 'SELECT * FROM numbers WHERE e164 = ? AND removed_at IS NULL';
  const LIST_ACTIVE = 'SELECT * FROM numbers WHERE removed_at IS NULL ORDER BY e164';
  // Inserts a new number, or revives a removed one; does nothing when the number is in service.
  const INSERT_OR_REVIVE = `
    INSERT INTO numbers (e164, provider, type, status, country, segments_per_second, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (e164) DO UPDATE SET
      provider = excluded.provider, type = excluded.type, status = excluded.status,
      country = excluded.country, segments_per_second = excluded.segments_per_second,
      created_at = excluded.created_at, updated_at = excluded.updated_at, removed_at = NULL
    WHERE numbers.removed_at IS NOT NULL`;
  // One statement applies the patch to the row as it is (a field not in the patch keeps its
  // value), so two concurrent patches of different fields never undo each other on Postgres.
  // segments_per_second can be patched to null: its own flag says whether it is in the patch.
  const UPDATE = `
    UPDATE numbers SET provider = COALESCE(CAST(? AS TEXT), provider), type = COALESCE(CAST(? AS TEXT), type),
      status = COALESCE(CAST(? AS TEXT), status),
      segments_per_second = CASE WHEN CAST(? AS INTEGER) = 1 THEN CAST(? AS DOUBLE PRECISION) ELSE segments_per_second END,
      updated_at = ?
    WHERE e164 = ? AND removed_at IS NULL`;
  const SOFT_REMOVE = 'UPDATE numbers SET removed_at = ?, updated_at = ? WHERE e164 = ? AND removed_at IS NULL';
  // A number out of service keeps no channel mappings (re-provisioning it means mapping it again).
  const REMOVE_MAPPINGS = 'UPDATE mappings SET removed_at = ? WHERE number = ? AND removed_at IS NULL';

  const get = async (e164: E164): Promise<ProvisionedNumber | null> => {
    const row = await db.get<NumberRow>(GET_ACTIVE, [e164]);
    return row ? toNumber(row) : null;
  };

  return {
    get,
    list: async () => (await db.all<NumberRow>(LIST_ACTIVE)).map(toNumber),
    async create(input) {
      const at = now();
      const info = await db.run(INSERT_OR_REVIVE, [
        input.e164,
        input.provider,
        input.type,
        input.status,
        input.country,
        input.segmentsPerSecond ?? null,
        at,
        at,
      ]);
      if (info.changes === 0) throw new ConflictError(`number ${input.e164} is already provisioned`);
      const created = await get(input.e164);
      if (!created) throw new Error(`number ${input.e164} vanished after insert`);
      return created;
    },
    update: (e164, patch) =>
      db.transaction(async () => {
        const setSps = patch.segmentsPerSecond !== undefined;
        const info = await db.run(UPDATE, [
          patch.provider ?? null,
          patch.type ?? null,
          patch.status ?? null,
          setSps ? 1 : 0,
          setSps ? patch.segmentsPerSecond ?? null : null,
          now(),
          e164,
        ]);
        return info.changes === 0 ? null : get(e164);
      }),
    remove: (e164) =>
      db.transaction(async () => {
        const at = now();
        const changed = (await db.run(SOFT_REMOVE, [at, at, e164])).changes > 0;
        if (changed) await db.run(REMOVE_MAPPINGS, [at, e164]);
        return changed;
      }),
  };
}
