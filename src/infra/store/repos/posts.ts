// Where each message was posted in chat (message <-> Slack ts / Teams activity id). Saving the
// same (message, platform, channel) twice returns the first post, so a retried delivery job is
// harmless; a platform message id already tied to another message is a ConflictError.
import { ConflictError } from '../../../core/errors.js';
import type { MessagePost, MessagePostRepo } from '../../../core/ports.js';
import type { RepoContext } from '../shared.js';
import type { Sync } from '../sqlite/asyncRepo.js';

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

export function createPostRepo({ db, now }: RepoContext): Sync<MessagePostRepo> {
  const insertIgnore = db.prepare(`
    INSERT OR IGNORE INTO message_posts (message_id, platform, channel, platform_message_id, created_at)
    VALUES (@messageId, @platform, @channel, @platformMessageId, @now)`);
  const byMessageChannel = db.prepare<[string, string, string], PostRow>(
    'SELECT * FROM message_posts WHERE message_id = ? AND platform = ? AND channel = ?',
  );
  const forMessage = db.prepare<[string], PostRow>(
    'SELECT * FROM message_posts WHERE message_id = ? ORDER BY created_at, rowid',
  );
  const byPlatformId = db.prepare<[string, string], PostRow>(
    'SELECT * FROM message_posts WHERE platform = ? AND platform_message_id = ?',
  );

  const save = db.transaction((post: Omit<MessagePost, 'createdAt'>): MessagePost => {
    insertIgnore.run({ ...post, now: now() });
    const stored = byMessageChannel.get(post.messageId, post.platform, post.channel);
    if (!stored) {
      throw new ConflictError(
        `${post.platform} message ${post.platformMessageId} is already recorded for another message`,
      );
    }
    return toPost(stored);
  });

  return {
    save: (post) => save.immediate(post),
    listForMessage: (messageId) => forMessage.all(messageId).map(toPost),
    findByPlatformMessageId(platform, platformMessageId) {
      const row = byPlatformId.get(platform, platformMessageId);
      return row ? toPost(row) : null;
    },
  };
}
