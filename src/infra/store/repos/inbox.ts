// What the web inbox reads beyond the core's repos: per-session read marks, the conversation list
// by latest activity or filtered by text, and the inbound messages no chat shows yet (delivered
// when a mapping is made). Plain SQL on both engines.
import { InvalidInputError } from '../../../core/errors.js';
import type { Conversation } from '../../../core/types.js';
import { toConversation, type ConversationRow } from './conversations.js';
import { clampLimit, rowOrder, toNumber, type DbContext } from '../shared.js';

export type InboxOrder = 'created' | 'activity';

export interface InboxListFilter {
  number?: string;
  contact?: string;
  /** Text in the contact, the number or any message of the conversation (case-insensitive). */
  q?: string;
}

export interface InboxListItem {
  conversation: Conversation;
  /** Newest message's time, else the conversation's creation time. */
  lastActivityAt: string;
}

export interface InboxPage {
  items: InboxListItem[];
  next: string | null;
}

export interface InboxRepo {
  /**
   * `order: 'activity'`: newest activity first; `'created'`: oldest conversation first (the
   * documented default). Keyset paging; under 'activity' a conversation that becomes active while
   * a client pages moves to the top and is not shown again lower down.
   */
  list(filter: InboxListFilter, opts: { order: InboxOrder; limit?: number; cursor?: string }): Promise<InboxPage>;
  /** The session has read everything the conversation holds now. */
  markRead(sessionId: string, conversationId: string): Promise<void>;
  /** Inbound messages the session has not read (all of them before its first mark). */
  unreadCount(sessionId: string, conversationId: string): Promise<number>;
  /** Inbound messages of the number posted in no chat, oldest first (ids and conversations). */
  unshownInbound(number: string): Promise<Array<{ id: string; conversationId: string }>>;
}

/** `%text%` for LIKE, with the wildcards in the text taken literally (escape character `\`). */
function likeText(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function encode(at: string, key: string | number): string {
  return Buffer.from(JSON.stringify([at, key]), 'utf8').toString('base64url');
}

function decode(cursor: string): [string, string | number] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && (typeof v[1] === 'string' || Number.isSafeInteger(v[1]))) {
      return [v[0], v[1] as string | number];
    }
  } catch {
    // any malformed cursor is the same input error
  }
  throw new InvalidInputError('cursor: not a cursor this bridge handed out', 'cursor');
}

type ListRow = ConversationRow & { activity: string; rid: number | string };

export function createInboxRepo({ db, now }: DbContext): InboxRepo {
  const RO = rowOrder(db);
  const ACTIVITY = `COALESCE((SELECT MAX(m.created_at) FROM messages m WHERE m.conversation_id = c.id), c.created_at)`;
  const TEXT_MATCH = `(LOWER(c.contact) LIKE ? ESCAPE '\\' OR c.number LIKE ? ESCAPE '\\' OR c.contact LIKE ? ESCAPE '\\'
    OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND LOWER(m.body) LIKE ? ESCAPE '\\'))`;
  const MARK = `
    INSERT INTO inbox_reads (session_id, conversation_id, read_upto, read_at)
    VALUES (?, ?, COALESCE((SELECT MAX(${RO}) FROM messages WHERE conversation_id = ?), 0), ?)
    ON CONFLICT (session_id, conversation_id) DO UPDATE SET read_upto = excluded.read_upto, read_at = excluded.read_at`;
  const UNREAD = `
    SELECT COUNT(*) AS n FROM messages
    WHERE conversation_id = ? AND direction = 'inbound'
      AND ${RO} > COALESCE((SELECT read_upto FROM inbox_reads WHERE session_id = ? AND conversation_id = ?), 0)`;
  const UNSHOWN = `
    SELECT m.id AS id, m.conversation_id AS conversation_id FROM messages m JOIN conversations c ON c.id = m.conversation_id
    WHERE c.number = ? AND m.direction = 'inbound'
      AND NOT EXISTS (SELECT 1 FROM message_posts mp WHERE mp.message_id = m.id)
    ORDER BY m.created_at, m.${RO}`;

  return {
    async list(filter, opts) {
      const limit = clampLimit(opts.limit, 200);
      const where: string[] = [];
      const params: Array<string | number> = [];
      if (filter.number !== undefined) {
        where.push('c.number = ?');
        params.push(filter.number);
      }
      if (filter.contact !== undefined) {
        where.push('c.contact = ?');
        params.push(filter.contact);
      }
      if (filter.q !== undefined && filter.q.trim() !== '') {
        const text = likeText(filter.q.trim());
        // "(415) 555" finds +1415555...: the digits alone are matched against the numbers too.
        const digits = filter.q.replace(/\D/g, '');
        const digitsLike = digits.length >= 3 ? `%${digits}%` : text;
        where.push(TEXT_MATCH);
        params.push(text, digitsLike, digitsLike, text);
      }
      const inner = `SELECT c.*, c.${RO} AS rid, ${ACTIVITY} AS activity FROM conversations c${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
      let sql: string;
      if (opts.order === 'activity') {
        sql = `SELECT * FROM (${inner}) x${opts.cursor ? ' WHERE (x.activity < ? OR (x.activity = ? AND x.id < ?))' : ''} ORDER BY x.activity DESC, x.id DESC LIMIT ?`;
        if (opts.cursor) {
          const [at, id] = decode(opts.cursor);
          params.push(at, at, String(id));
        }
      } else {
        sql = `SELECT * FROM (${inner}) x${opts.cursor ? ' WHERE (x.created_at > ? OR (x.created_at = ? AND x.rid > ?))' : ''} ORDER BY x.created_at, x.rid LIMIT ?`;
        if (opts.cursor) {
          const [at, row] = decode(opts.cursor);
          params.push(at, at, Number(row));
        }
      }
      params.push(limit + 1);
      const rows = await db.all<ListRow>(sql, params);
      const shown = rows.slice(0, limit);
      const edge = shown[shown.length - 1];
      const next =
        rows.length > limit && edge ? (opts.order === 'activity' ? encode(edge.activity, edge.id) : encode(edge.created_at, toNumber(edge.rid))) : null;
      return { items: shown.map((r) => ({ conversation: toConversation(r), lastActivityAt: r.activity })), next };
    },
    async markRead(sessionId, conversationId) {
      await db.run(MARK, [sessionId, conversationId, conversationId, now()]);
    },
    async unreadCount(sessionId, conversationId) {
      return toNumber((await db.get<{ n: number | string }>(UNREAD, [conversationId, sessionId, conversationId]))?.n);
    },
    async unshownInbound(number) {
      return (await db.all<{ id: string; conversation_id: string }>(UNSHOWN, [number])).map((r) => ({ id: r.id, conversationId: r.conversation_id }));
    },
  };
}
