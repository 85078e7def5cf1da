// Chat threads of a conversation: one per (conversation, platform, channel), created once.
import type { ThreadRepo } from '../../../core/ports.js';
import type { ThreadRef } from '../../../core/types.js';
import { rowOrder, type DbContext } from '../shared.js';

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

export function createThreadRepo({ db, now }: DbContext): ThreadRepo {
  const RO = rowOrder(db);
  // A thread already saved for (conversation, platform, channel) stays: nothing is returned.
  const INSERT = `
    INSERT INTO threads (conversation_id, platform, channel, thread_id, created_at)
    VALUES (?, ?, ?, ?, ?)
    ON CONFLICT DO NOTHING
    RETURNING *`;
  const GET_ONE = 'SELECT * FROM threads WHERE conversation_id = ? AND platform = ? AND channel = ?';
  const FOR_CONVERSATION = `SELECT * FROM threads WHERE conversation_id = ? ORDER BY created_at, ${RO}`;
  // Insertion order breaks a tie in created_at, so both engines pick the same (first) thread.
  const BY_THREAD = `SELECT * FROM threads WHERE platform = ? AND channel = ? AND thread_id = ? ORDER BY created_at, ${RO} LIMIT 1`;

  const get = async (conversationId: string, platform: string, channel: string): Promise<ThreadRef | null> => {
    const row = await db.get<ThreadRow>(GET_ONE, [conversationId, platform, channel]);
    return row ? toThread(row) : null;
  };

  return {
    get,
    async save(ref) {
      const inserted = await db.get<ThreadRow>(INSERT, [ref.conversationId, ref.platform, ref.channel, ref.threadId, now()]);
      if (inserted) return toThread(inserted);
      const stored = await get(ref.conversationId, ref.platform, ref.channel);
      if (!stored) throw new Error(`thread for ${ref.conversationId} vanished after insert`);
      return stored;
    },
    listForConversation: async (conversationId) => (await db.all<ThreadRow>(FOR_CONVERSATION, [conversationId])).map(toThread),
    async findByThread(platform, channel, threadId) {
      const row = await db.get<ThreadRow>(BY_THREAD, [platform, channel, threadId]);
      return row ? toThread(row) : null;
    },
  };
}
