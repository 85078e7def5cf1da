// Conversations: one per (provisioned number, contact). getOrCreate reads first (the common case:
// the contact wrote before, one indexed SELECT), else inserts with ON CONFLICT DO NOTHING RETURNING;
// when another connection won the race the insert returns nothing and the winner's row is read, so
// racing callers always end up with the same single row.
import { randomUUID } from 'node:crypto';
import type { ConversationRepo } from '../../../core/ports.js';
import type { Conversation } from '../../../core/types.js';
import { clampLimit, decodeCursor, encodeCursor, type PagePosition, type RepoContext } from '../shared.js';
import type { Sync } from '../sqlite/asyncRepo.js';

/** One page of the conversation list, oldest first; `next` is null on the last page. */
export interface ConversationPage {
  conversations: Conversation[];
  next: string | null;
}

/** The conversation repository of the SQLite store: the core's port plus paging for the admin API. */
export interface SqliteConversationRepo extends ConversationRepo {
  /**
   * Conversations matching the filter, oldest first, `limit` (1-1000, default 200) at a time by
   * keyset on (created_at, rowid): none skipped or repeated at a page edge, and a paging run only
   * sees the conversations that existed when its first page was read.
   */
  page(filter: { number?: string; contact?: string }, opts?: { limit?: number; cursor?: string }): Promise<ConversationPage>;
}

export interface ConversationRow {
  id: string;
  number: string;
  contact: string;
  created_at: string;
}

export function toConversation(r: ConversationRow): Conversation {
  return { id: r.id, number: r.number, contact: r.contact, createdAt: r.created_at };
}

export function createConversationRepo({ db, now }: RepoContext): Sync<SqliteConversationRepo> {
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

  const topRow = db.prepare<[], { top: number | null }>('SELECT MAX(rowid) AS top FROM conversations');
  type PageParams = { number: string | null; contact: string | null; at: string; row: number; top: number; limit: number };
  const FILTER = '(@number IS NULL OR number = @number) AND (@contact IS NULL OR contact = @contact) AND rowid <= @top';
  const firstPage = db.prepare<Omit<PageParams, 'at' | 'row'>, ConversationRow & { rid: number }>(
    `SELECT rowid AS rid, * FROM conversations WHERE ${FILTER} ORDER BY created_at, rowid LIMIT @limit`,
  );
  // `created_at >= @at` as its own term lets SQLite start at the cursor in the created_at index
  // (an "@at IS NULL OR ..." form made it walk the index from the start on every page).
  const laterPage = db.prepare<PageParams, ConversationRow & { rid: number }>(`
    SELECT rowid AS rid, * FROM conversations
    WHERE ${FILTER} AND created_at >= @at AND (created_at > @at OR rowid > @row)
    ORDER BY created_at, rowid LIMIT @limit`);

  return {
    page(filter, opts = {}) {
      const limit = clampLimit(opts.limit, 200);
      const base = { number: filter.number ?? null, contact: filter.contact ?? null, limit: limit + 1 };
      let pos: PagePosition;
      let rows: Array<ConversationRow & { rid: number }>;
      if (opts.cursor === undefined) {
        pos = { at: '', row: 0, top: topRow.get()?.top ?? 0 };
        rows = firstPage.all({ ...base, top: pos.top });
      } else {
        pos = decodeCursor(opts.cursor);
        rows = laterPage.all({ ...base, at: pos.at, row: pos.row, top: pos.top });
      }
      const more = rows.length > limit;
      const shown = more ? rows.slice(0, limit) : rows;
      const edge = shown[shown.length - 1];
      return {
        conversations: shown.map(toConversation),
        next: more && edge ? encodeCursor({ at: edge.created_at, row: edge.rid, top: pos.top }) : null,
      };
    },
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
