// Chat posts about to be made (schema 012): see PostIntentRepo in the core ports. begin() keeps the
// first attempt's row, so started_at is when the first attempt began.
import type { PostIntentKey, PostIntentRepo } from '../../../core/ports.js';
import type { DbContext } from '../shared.js';

export function createPostIntentRepo({ db, now }: DbContext): PostIntentRepo {
  const INSERT = `
    INSERT INTO chat_post_intents (kind, subject_id, platform, channel, started_at)
    VALUES (?, ?, ?, ?, ?)
    ON CONFLICT DO NOTHING
    RETURNING started_at`;
  const GET = 'SELECT started_at FROM chat_post_intents WHERE kind = ? AND subject_id = ? AND platform = ? AND channel = ?';
  const DELETE = 'DELETE FROM chat_post_intents WHERE kind = ? AND subject_id = ? AND platform = ? AND channel = ?';
  const params = (k: PostIntentKey) => [k.kind, k.subjectId, k.platform, k.channel];

  const begin = async (key: PostIntentKey): Promise<{ startedAt: string; earlier: boolean }> => {
    const inserted = await db.get<{ started_at: string }>(INSERT, [...params(key), now()]);
    if (inserted) return { startedAt: inserted.started_at, earlier: false };
    const stored = await db.get<{ started_at: string }>(GET, params(key));
    // Ended between the two statements (another attempt recorded its post): a fresh start.
    return stored ? { startedAt: stored.started_at, earlier: true } : begin(key);
  };

  return {
    begin,
    async end(key) {
      await db.run(DELETE, params(key));
    },
  };
}
