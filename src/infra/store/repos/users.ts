// Per-user profile policy (rule 7). A user with no row is allowed to send and is not an admin;
// upsert starts from those defaults and changes only the fields given.
import type { UserRepo } from '../../../core/ports.js';
import type { UserPolicy } from '../../../core/types.js';
import { toBool, type DbContext } from '../shared.js';

export interface UserRow {
  platform: string;
  user_id: string;
  sms_enabled: number;
  admin: number;
  updated_at: string;
}

export function toUser(r: UserRow): UserPolicy {
  return {
    platform: r.platform,
    userId: r.user_id,
    smsEnabled: toBool(r.sms_enabled),
    admin: toBool(r.admin),
    updatedAt: r.updated_at,
  };
}

const boolParam = (v: boolean | undefined): number | null => (v === undefined ? null : v ? 1 : 0);

export function createUserRepo({ db, now }: DbContext): UserRepo {
  const GET = 'SELECT * FROM users WHERE platform = ? AND user_id = ?';
  const LIST = 'SELECT * FROM users ORDER BY platform, user_id';
  const PAGE = `
    SELECT * FROM users
    WHERE CAST(? AS TEXT) IS NULL OR platform > ? OR (platform = ? AND user_id > ?)
    ORDER BY platform, user_id
    LIMIT ?`;
  // A null flag keeps the stored value (or the default for a new user). The CASTs give Postgres
  // the parameters' type; the existing row's columns are qualified (unqualified is ambiguous there).
  const UPSERT = `
    INSERT INTO users (platform, user_id, sms_enabled, admin, updated_at)
    VALUES (?, ?, COALESCE(CAST(? AS INTEGER), 1), COALESCE(CAST(? AS INTEGER), 0), ?)
    ON CONFLICT (platform, user_id) DO UPDATE SET
      sms_enabled = COALESCE(CAST(? AS INTEGER), users.sms_enabled),
      admin = COALESCE(CAST(? AS INTEGER), users.admin),
      updated_at = excluded.updated_at
    RETURNING *`;

  return {
    async get(platform, userId) {
      const row = await db.get<UserRow>(GET, [platform, userId]);
      return row ? toUser(row) : null;
    },
    async upsert(platform, userId, patch) {
      const sms = boolParam(patch.smsEnabled);
      const admin = boolParam(patch.admin);
      const row = await db.get<UserRow>(UPSERT, [platform, userId, sms, admin, now(), sms, admin]);
      if (!row) throw new Error(`user ${platform}/${userId} upsert returned nothing`);
      return toUser(row);
    },
    list: async () => (await db.all<UserRow>(LIST)).map(toUser),
    async page({ limit, after }) {
      const p = after?.platform ?? null;
      const u = after?.userId ?? null;
      return (await db.all<UserRow>(PAGE, [p, p, p, u, limit])).map(toUser);
    },
  };
}
