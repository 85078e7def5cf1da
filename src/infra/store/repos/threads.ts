// Chat threads of a conversation: one per (conversation, platform, channel), created once.
import type { ThreadRepo } from '../../../core/ports.js';
import type { ThreadRef } from '../../../core/types.js';
import type { RepoContext } from '../shared.js';
import type { Sync } from '../sqlite/asyncRepo.js';

interface ThreadRow {
  conversation_id: string;
  platform: string;
  channel: string;
  thread_id: string;
  created_at: string;
}

function toThread(r: ThreadRow): ThreadRef {
  return {
    conversationId: r.conversation_id,
    platform: r.platform,
    channel: r.channel,
    threadId: r.thread_id,
    createdAt: r.created_at,
  };
}

export function createThreadRepo({ db, now }: RepoContext): Sync<ThreadRepo> {
  const insertIgnore = db.prepare(`
    INSERT OR IGNORE INTO threads (conversation_id, platform, channel, thread_id, created_at)
    VALUES (@conversationId, @platform, @channel, @threadId, @now)`);
  const getOne = db.prepare<[string, string, string], ThreadRow>(
    'SELECT * FROM threads WHERE conversation_id = ? AND platform = ? AND channel = ?',
  );
  const forConversation = db.prepare<[string], ThreadRow>(
    'SELECT * FROM threads WHERE conversation_id = ? ORDER BY created_at, rowid',
  );
  const byThread = db.prepare<[string, string, string], ThreadRow>(
    'SELECT * FROM threads WHERE platform = ? AND channel = ? AND thread_id = ? ORDER BY created_at LIMIT 1',
  );

  const get = (conversationId: string, platform: string, channel: string): ThreadRef | null => {
    const row = getOne.get(conversationId, platform, channel);
    return row ? toThread(row) : null;
  };

  return {
    get,
    save(ref) {
      insertIgnore.run({ ...ref, now: now() });
      const stored = get(ref.conversationId, ref.platform, ref.channel);
      if (!stored) throw new Error(`thread for ${ref.conversationId} vanished after insert`);
      return stored;
    },
    listForConversation: (conversationId) => forConversation.all(conversationId).map(toThread),
    findByThread(platform, channel, threadId) {
      const row = byThread.get(platform, channel, threadId);
      return row ? toThread(row) : null;
    },
  };
}
