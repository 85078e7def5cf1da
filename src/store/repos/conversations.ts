// Conversations: one per (provisioned number, contact). getOrCreate is INSERT OR IGNORE followed by
// SELECT, so two connections racing on the same pair end up with the same single row.
import { randomUUID } from 'node:crypto';
import type { ConversationRepo } from '../../core/ports.js';
import type { Conversation } from '../../core/types.js';
import type { RepoContext } from '../shared.js';

interface ConversationRow {
  id: string;
  number: string;
  contact: string;
  created_at: string;
}

function toConversation(r: ConversationRow): Conversation {
  return { id: r.id, number: r.number, contact: r.contact, createdAt: r.created_at };
}

export function createConversationRepo({ db, now }: RepoContext): ConversationRepo {
  const insertIgnore = db.prepare(
    'INSERT OR IGNORE INTO conversations (id, number, contact, created_at) VALUES (?, ?, ?, ?)',
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
      const created = insertIgnore.run(randomUUID(), number, contact, now()).changes === 1;
      const row = byPair.get(number, contact);
      if (!row) throw new Error(`conversation ${number}/${contact} vanished after insert`);
      return { conversation: toConversation(row), created };
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
