// Where each message was posted in chat (message <-> Slack ts / Teams activity id). Saving the
// same (message, platform, channel) twice returns the first post, so a retried delivery job is
// harmless; a platform message id already tied to another message is a ConflictError.
import { ConflictError } from '../../../core/errors.js';
import type { MessagePost, MessagePostRepo } from '../../../core/ports.js';
import { rowOrder, type DbContext } from '../shared.js';

interface PostRow {
  message_id: string;
  platform: string;
  channel: string;
  platform_message_id: string;
  created_at: string;
}

function toPost(r: PostRow): MessagePost {
  return {
    messageId: r.message_id,
    platform: r.platform,
    channel: r.channel,
    platformMessageId: r.platform_message_id,
    createdAt: r.created_at,
  };
}

export function createPostRepo({ db, now }: DbContext): MessagePostRepo {
  // Either unique key may already hold a row: nothing is inserted and nothing returned.
  const INSERT = `
    INSERT INTO message_posts (message_id, platform, channel, platform_message_id, created_at)
    VALUES (?, ?, ?, ?, ?)
    ON CONFLICT DO NOTHING
    RETURNING *`;
  const BY_MESSAGE_CHANNEL = 'SELECT * FROM message_posts WHERE message_id = ? AND platform = ? AND channel = ?';
  const FOR_MESSAGE = `SELECT * FROM message_posts WHERE message_id = ? ORDER BY created_at, ${rowOrder(db)}`;
  const BY_PLATFORM_ID = 'SELECT * FROM message_posts WHERE platform = ? AND platform_message_id = ?';

  return {
    async save(post) {
      const inserted = await db.get<PostRow>(INSERT, [post.messageId, post.platform, post.channel, post.platformMessageId, now()]);
      if (inserted) return toPost(inserted);
      // Already saved for this (message, platform, channel): the first post stands. Otherwise the
      // platform message id belongs to another message.
      const stored = await db.get<PostRow>(BY_MESSAGE_CHANNEL, [post.messageId, post.platform, post.channel]);
      if (!stored) {
        throw new ConflictError(
          `${post.platform} message ${post.platformMessageId} is already recorded for another message`,
        );
      }
      return toPost(stored);
    },
    listForMessage: async (messageId) => (await db.all<PostRow>(FOR_MESSAGE, [messageId])).map(toPost),
    async findByPlatformMessageId(platform, platformMessageId) {
      const row = await db.get<PostRow>(BY_PLATFORM_ID, [platform, platformMessageId]);
      return row ? toPost(row) : null;
    },
  };
}
