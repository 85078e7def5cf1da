// Conversations: one per (provisioned number, contact). getOrCreate reads first (the common case:
// the contact wrote before, one indexed SELECT), else inserts with ON CONFLICT DO NOTHING RETURNING;
// when another connection won the race the insert returns nothing and the winner's row is read, so
// racing callers always end up with the same single row.
import { randomUUID } from 'node:crypto';
import type { ConversationRepo } from '../../core/ports.js';
import type { Conversation } from '../../core/types.js';
import type { RepoContext } from '../shared.js';

export interface ConversationRow {
  id: string;
  number: string;
  contact: string;
  created_at: string;
}

export function toConversation(r: ConversationRow): Conversation {
  return { id: r.id, number: r.number, contact: r.contact, createdAt: r.created_at };
}

export function createConversationRepo({ db, now }: RepoContext): ConversationRepo {
  const insertReturning = db.prepare<[string, string, string, string], ConversationRow>(
    'INSERT INTO conversations (id, number, contact, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING *',
  );
  const byPair = db.prepare<[string, string], ConversationRow>(
    'SELECT * FROM conversations WHERE number = ? AND contact = ?',
  );
  const byId = db.prepare<[string], ConversationRow>('SELECT * FROM conversations WHERE id = ?');
  const list = db.prepare<{ number: string | null; contact: string | null }, ConversationRow>(`
    SELECT * FROM conversations
    WHERE (@number IS NULL OR number = @number) AND (@contact IS NULL OR contact = @contact)
    ORDER BY created_at, rowid`);

  return {
    getOrCreate(number, contact) {
      const found = byPair.get(number, contact);
      if (found) return { conversation: toConversation(found), created: false };
      const inserted = insertReturning.get(randomUUID(), number, contact, now());
      if (inserted) return { conversation: toConversation(inserted), created: true };
      const row = byPair.get(number, contact);
      if (!row) throw new Error(`conversation ${number}/${contact} vanished after insert`);
      return { conversation: toConversation(row), created: false };
    },
    get(id) {
      const row = byId.get(id);
      return row ? toConversation(row) : null;
    },
    find(number, contact) {
      const row = byPair.get(number, contact);
      return row ? toConversation(row) : null;
    },
    list(filter = {}) {
      return list.all({ number: filter.number ?? null, contact: filter.contact ?? null }).map(toConversation);
    },
  };
}
