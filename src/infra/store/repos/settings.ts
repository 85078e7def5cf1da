// Values every instance on the database must agree on, made once by whichever instance needs one
// first (the media signing key when none is configured). Keyed text; never updated in place, so
// two instances starting at once end up with the same value (the first insert wins).
import type { DbContext } from '../shared.js';

export interface SettingsRepo {
  /** The value under `key`, or null. */
  get(key: string): Promise<string | null>;
  /**
   * Stores `value` under `key` unless a value is already there, and returns the value the store
   * holds afterwards: `value`, or the one another caller stored first.
   */
  putIfAbsent(key: string, value: string): Promise<string>;
}

export function createSettingsRepo({ db, now }: DbContext): SettingsRepo {
  const GET = 'SELECT value FROM settings WHERE key = ?';
  const INSERT = 'INSERT INTO settings (key, value, created_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING';

  const get = async (key: string): Promise<string | null> => (await db.get<{ value: string }>(GET, [key]))?.value ?? null;
  return {
    get,
    async putIfAbsent(key, value) {
      await db.run(INSERT, [key, value, now()]);
      const stored = await get(key);
      // Settings are never deleted, so the row read back is the one that won the insert.
      if (stored === null) throw new Error(`setting ${key} vanished after insert`);
      return stored;
    },
  };
}
