// Conversations: one per (provisioned number, contact). getOrCreate reads first (the common case:
// the contact wrote before, one indexed SELECT), else inserts with ON CONFLICT DO NOTHING RETURNING;
// when another connection won the race the insert returns nothing and the winner's row is read, so
// racing callers always end up with the same single row.
import { randomUUID } from 'node:crypto';
import type { ConversationRepo } from '../../../core/ports.js';
import type { Conversation } from '../../../core/types.js';
import { clampLimit, decodeCursor, encodeCursor, rowOrder, sqlVariants, toNumber, type DbContext, type PagePosition } from '../shared.js';

/** One page of the conversation list, oldest first; `next` is null on the last page. */
export interface ConversationPage {
  conversations: Conversation[];
  next: string | null;
}

/** The conversation repository of the store (both engines): the core's port plus paging for the admin API. */
export interface ConversationStoreRepo extends ConversationRepo {
  /**
   * Conversations matching the filter, oldest first, `limit` (1-1000, default 200) at a time by
   * keyset on (created_at, rowid) (`seq` on Postgres): none skipped or repeated at a page edge, and a paging run only
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

type PageRow = ConversationRow & { rid: number | string };

export function createConversationRepo({ db, now }: DbContext): ConversationStoreRepo {
  // Insertion order: SQLite's rowid, Postgres' identity column seq.
  const RO = rowOrder(db);
  const INSERT = 'INSERT INTO conversations (id, number, contact, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING *';
  const BY_PAIR = 'SELECT * FROM conversations WHERE number = ? AND contact = ?';
  const BY_ID = 'SELECT * FROM conversations WHERE id = ?';
  // Optional filters, bit 1 number, bit 2 contact; their params in that order.
  const filter = (key: number): string[] => [...(key & 1 ? ['number = ?'] : []), ...(key & 2 ? ['contact = ?'] : [])];
  const list = sqlVariants<number>((key) => {
    const where = filter(key);
    return `SELECT * FROM conversations${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, ${RO}`;
  });
  const TOP_ROW = `SELECT MAX(${RO}) AS top FROM conversations`;
  // Pages: the filters, then `<row order> <= top`; later pages start after the cursor. Bit 4:
  // a later page. Params: [number][, contact], top[, at, at, row], limit.
  // `created_at >= at` as its own term lets the engine start at the cursor in the created_at
  // index (an "at IS NULL OR ..." form made SQLite walk the index from the start on every page).
  const page = sqlVariants<number>((key) => {
    const where = [...filter(key), `${RO} <= ?`];
    if (key & 4) where.push(`created_at >= ? AND (created_at > ? OR ${RO} > ?)`);
    return `SELECT ${RO} AS rid, * FROM conversations WHERE ${where.join(' AND ')} ORDER BY created_at, ${RO} LIMIT ?`;
  });
  const filterParams = (f: { number?: string | null; contact?: string | null }): { key: number; params: string[] } => {
    const params: string[] = [];
    let key = 0;
    if (f.number !== undefined && f.number !== null) {
      key |= 1;
      params.push(f.number);
    }
    if (f.contact !== undefined && f.contact !== null) {
      key |= 2;
      params.push(f.contact);
    }
    return { key, params };
  };
  const byPair = (number: string, contact: string) => db.get<ConversationRow>(BY_PAIR, [number, contact]);

  return {
    async page(f, opts = {}) {
      const limit = clampLimit(opts.limit, 200);
      const { key, params } = filterParams(f);
      let pos: PagePosition;
      let rows: PageRow[];
      if (opts.cursor === undefined) {
        pos = { at: '', row: 0, top: toNumber((await db.get<{ top: number | string | null }>(TOP_ROW))?.top) };
        rows = await db.all<PageRow>(page(key), [...params, pos.top, limit + 1]);
      } else {
        pos = decodeCursor(opts.cursor);
        rows = await db.all<PageRow>(page(key | 4), [...params, pos.top, pos.at, pos.at, pos.row, limit + 1]);
      }
      const more = rows.length > limit;
      const shown = more ? rows.slice(0, limit) : rows;
      const edge = shown[shown.length - 1];
      return {
        conversations: shown.map(toConversation),
        next: more && edge ? encodeCursor({ at: edge.created_at, row: toNumber(edge.rid), top: pos.top }) : null,
      };
    },
    async getOrCreate(number, contact) {
      const found = await byPair(number, contact);
      if (found) return { conversation: toConversation(found), created: false };
      const inserted = await db.get<ConversationRow>(INSERT, [randomUUID(), number, contact, now()]);
      if (inserted) return { conversation: toConversation(inserted), created: true };
      const row = await byPair(number, contact);
      if (!row) throw new Error(`conversation ${number}/${contact} vanished after insert`);
      return { conversation: toConversation(row), created: false };
    },
    async get(id) {
      const row = await db.get<ConversationRow>(BY_ID, [id]);
      return row ? toConversation(row) : null;
    },
    async find(number, contact) {
      const row = await byPair(number, contact);
      return row ? toConversation(row) : null;
    },
    async list(f = {}) {
      const { key, params } = filterParams(f);
      return (await db.all<ConversationRow>(list(key), params)).map(toConversation);
    },
  };
}
