// Per-user profile policy (rule 7). A user with no row is allowed to send and is not an admin;
// upsert starts from those defaults and changes only the fields given.
import type { UserRepo } from '../../../core/ports.js';
import type { UserPolicy } from '../../../core/types.js';
import { toBool, type RepoContext } from '../shared.js';
import type { Sync } from '../sqlite/asyncRepo.js';

interface UserRow {
  platform: string;
  user_id: string;
  sms_enabled: number;
  admin: number;
  updated_at: string;
}

function toUser(r: UserRow): UserPolicy {
  return {
    platform: r.platform,
    userId: r.user_id,
    smsEnabled: toBool(r.sms_enabled),
    admin: toBool(r.admin),
    updatedAt: r.updated_at,
  };
}

const boolParam = (v: boolean | undefined): number | null => (v === undefined ? null : v ? 1 : 0);

export function createUserRepo({ db, now }: RepoContext): Sync<UserRepo> {
  const get = db.prepare<[string, string], UserRow>('SELECT * FROM users WHERE platform = ? AND user_id = ?');
  const list = db.prepare<[], UserRow>('SELECT * FROM users ORDER BY platform, user_id');
  const upsert = db.prepare<
    { platform: string; userId: string; smsEnabled: number | null; admin: number | null; now: string },
    UserRow
  >(`
    INSERT INTO users (platform, user_id, sms_enabled, admin, updated_at)
    VALUES (@platform, @userId, COALESCE(@smsEnabled, 1), COALESCE(@admin, 0), @now)
    ON CONFLICT (platform, user_id) DO UPDATE SET
      sms_enabled = COALESCE(@smsEnabled, sms_enabled),
      admin = COALESCE(@admin, admin),
      updated_at = @now
    RETURNING *`);

  return {
    get(platform, userId) {
      const row = get.get(platform, userId);
      return row ? toUser(row) : null;
    },
    upsert(platform, userId, patch) {
      const row = upsert.get({
        platform,
        userId,
        smsEnabled: boolParam(patch.smsEnabled),
        admin: boolParam(patch.admin),
        now: now(),
      });
      if (!row) throw new Error(`user ${platform}/${userId} upsert returned nothing`);
      return toUser(row);
    },
    list: () => list.all().map(toUser),
  };
}
