// Company policy: one row holding the admin's overrides as JSON. Reading merges them over
// DEFAULT_POLICY, so a field the admin never set follows the code's default. `mms` and
// `throughput` merge one level deep (a patch of mms.maxFiles keeps the other mms fields).
import type { PolicyRepo } from '../../../core/ports.js';
import { DEFAULT_POLICY, type Policy, type PolicyPatch } from '../../../core/types.js';
import type { DbContext } from '../shared.js';

/** Drops keys whose value is undefined (a spread would otherwise overwrite with undefined). */
function defined<T extends object>(obj: T | undefined): Partial<T> {
  if (!obj) return {};
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** `patch` over `base`, one level deep for the nested groups. */
export function mergePolicy<T extends PolicyPatch>(base: T, patch: PolicyPatch): T {
  const p = defined(patch);
  const merged: PolicyPatch = { ...base, ...p };
  if (p.mms !== undefined) merged.mms = { ...base.mms, ...defined(p.mms) } as Policy['mms'];
  if (p.throughput !== undefined) {
    merged.throughput = { ...base.throughput, ...defined(p.throughput) } as Policy['throughput'];
  }
  return merged as T;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

export function createPolicyRepo({ db, now }: DbContext): PolicyRepo {
  const READ = 'SELECT document FROM policy WHERE id = 1';
  // Makes sure the row exists and returns its document; the no-op update locks the row on
  // Postgres until the transaction ends, so two admins' patches never both merge over the same
  // document (one would be lost). SQLite's writer lock does the same there.
  const LOCK = `
    INSERT INTO policy (id, document, updated_at) VALUES (1, '{}', ?)
    ON CONFLICT (id) DO UPDATE SET document = policy.document
    RETURNING document`;
  const WRITE = 'UPDATE policy SET document = ?, updated_at = ? WHERE id = 1';

  // Every send reads the policy (eligibility at send time), and it changes perhaps once a month:
  // the merged policy is kept per stored document and handed out frozen, so a read is one
  // statement and a string comparison (a change by another connection shows at the next read).
  let cached: { document: string | null; policy: Policy } | null = null;
  const get = async (): Promise<Policy> => {
    const document = (await db.get<{ document: string }>(READ))?.document ?? null;
    if (cached?.document !== document) {
      const patch = document === null ? {} : (JSON.parse(document) as PolicyPatch);
      cached = { document, policy: deepFreeze(mergePolicy<Policy>(structuredClone(DEFAULT_POLICY), patch)) };
    }
    return cached.policy;
  };

  const update = (patch: PolicyPatch): Promise<Policy> =>
    db.transaction(async () => {
      const at = now();
      const row = await db.get<{ document: string }>(LOCK, [at]);
      const overrides = row ? (JSON.parse(row.document) as PolicyPatch) : {};
      await db.run(WRITE, [JSON.stringify(mergePolicy(overrides, patch)), at]);
      return get();
    });

  return { get, update };
}
