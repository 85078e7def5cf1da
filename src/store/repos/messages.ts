// Messages, both directions, kept forever: there is deliberately no delete. Insert is idempotent
// on (provider, provider message id) and on platform message id, so a retried webhook or chat
// event has no second effect. Status only moves forward (ranks in core/status.ts).
import { randomUUID } from 'node:crypto';
import { ConflictError } from '../../core/errors.js';
import type { MessageRepo, NewMessage } from '../../core/ports.js';
import { canAdvance } from '../../core/status.js';
import type { Direction, MediaItem, Message, MessageStatus, TextEncoding } from '../../core/types.js';
import { clampLimit, isUniqueViolation, type RepoContext } from '../shared.js';
import { toMedia, type MediaRow } from './media.js';

interface MessageRow {
  id: string;
  conversation_id: string;
  direction: Direction;
  body: string;
  status: MessageStatus;
  status_reason: string | null;
  error_code: string | null;
  author_platform: string | null;
  author_user_id: string | null;
  author_name: string | null;
  provider: string | null;
  provider_message_id: string | null;
  platform_message_id: string | null;
  encoding: TextEncoding;
  segments: number;
  other_recipients: string;
  created_at: string;
  updated_at: string;
}

function toMessage(r: MessageRow, media: MediaItem[]): Message {
  return {
    id: r.id,
    conversationId: r.conversation_id,
    direction: r.direction,
    body: r.body,
    status: r.status,
    statusReason: r.status_reason,
    errorCode: r.error_code,
    author:
      r.author_platform !== null && r.author_user_id !== null
        ? { platform: r.author_platform, userId: r.author_user_id, name: r.author_name }
        : null,
    provider: r.provider,
    providerMessageId: r.provider_message_id,
    platformMessageId: r.platform_message_id,
    encoding: r.encoding,
    segments: r.segments,
    otherRecipients: JSON.parse(r.other_recipients) as string[],
    media,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** LIKE pattern matching `text` literally anywhere (%, _ and the escape char escaped). */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

const DEFAULT_LIST_LIMIT = 100;

export function createMessageRepo({ db, now }: RepoContext): MessageRepo {
  const insertRow = db.prepare(`
    INSERT INTO messages (id, conversation_id, direction, body, status, status_reason, error_code,
      author_platform, author_user_id, author_name, provider, provider_message_id, platform_message_id,
      encoding, segments, other_recipients, created_at, updated_at)
    VALUES (@id, @conversationId, @direction, @body, @status, @statusReason, @errorCode,
      @authorPlatform, @authorUserId, @authorName, @provider, @providerMessageId, @platformMessageId,
      @encoding, @segments, @otherRecipients, @createdAt, @updatedAt)
    ON CONFLICT DO NOTHING`);
  const byId = db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE id = ?');
  const byProviderId = db.prepare<[string, string], MessageRow>(
    'SELECT * FROM messages WHERE provider = ? AND provider_message_id = ?',
  );
  const byPlatformId = db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE platform_message_id = ?');
  // The latest `limit` messages before `before`, re-ordered oldest first by the caller.
  const forConversation = db.prepare<{ conversationId: string; before: string | null; limit: number }, MessageRow>(`
    SELECT * FROM messages
    WHERE conversation_id = @conversationId AND (@before IS NULL OR created_at < @before)
    ORDER BY created_at DESC, rowid DESC
    LIMIT @limit`);
  const search = db.prepare<
    { pattern: string | null; number: string | null; contact: string | null; limit: number },
    MessageRow
  >(`
    SELECT m.* FROM messages m JOIN conversations c ON c.id = m.conversation_id
    WHERE (@pattern IS NULL OR m.body LIKE @pattern ESCAPE '\\')
      AND (@number IS NULL OR c.number = @number)
      AND (@contact IS NULL OR c.contact = @contact)
    ORDER BY m.created_at DESC, m.rowid DESC
    LIMIT @limit`);
  const unrouted = db.prepare<[number], MessageRow>(`
    SELECT m.* FROM messages m JOIN conversations c ON c.id = m.conversation_id
    WHERE m.direction = 'inbound'
      AND NOT EXISTS (SELECT 1 FROM mappings p WHERE p.number = c.number AND p.removed_at IS NULL)
    ORDER BY m.created_at DESC, m.rowid DESC
    LIMIT ?`);
  const setStatus = db.prepare(`
    UPDATE messages SET status = @to, status_reason = @reason, error_code = @errorCode, updated_at = @now
    WHERE id = @id AND status = @from`);
  const setProviderId = db.prepare(`
    UPDATE messages SET provider = @provider, provider_message_id = @providerMessageId, updated_at = @now
    WHERE id = @id`);
  const mediaFor = db.prepare<[string], MediaRow>(
    'SELECT * FROM media WHERE message_id = ? ORDER BY created_at, rowid',
  );
  // Media of many messages in one query: the ids go in as a JSON array.
  const mediaForMany = db.prepare<[string], MediaRow>(`
    SELECT * FROM media WHERE message_id IN (SELECT value FROM json_each(?))
    ORDER BY created_at, rowid`);

  const one = (row: MessageRow | undefined): Message | null =>
    row ? toMessage(row, mediaFor.all(row.id).map(toMedia)) : null;

  const many = (rows: MessageRow[]): Message[] => {
    if (rows.length === 0) return [];
    const byMessage = new Map<string, MediaItem[]>();
    for (const m of mediaForMany.all(JSON.stringify(rows.map((r) => r.id)))) {
      const list = byMessage.get(m.message_id) ?? [];
      list.push(toMedia(m));
      byMessage.set(m.message_id, list);
    }
    return rows.map((r) => toMessage(r, byMessage.get(r.id) ?? []));
  };

  const get = (id: string): Message | null => one(byId.get(id));

  const findDuplicate = (input: NewMessage): Message | null => {
    if (input.provider && input.providerMessageId) {
      const found = one(byProviderId.get(input.provider, input.providerMessageId));
      if (found) return found;
    }
    return input.platformMessageId ? one(byPlatformId.get(input.platformMessageId)) : null;
  };

  const insert = db.transaction((input: NewMessage): { message: Message; duplicate: boolean } => {
    const id = randomUUID();
    const at = now();
    const createdAt = input.createdAt ?? at;
    const info = insertRow.run({
      id,
      conversationId: input.conversationId,
      direction: input.direction,
      body: input.body,
      status: input.status,
      statusReason: input.statusReason ?? null,
      errorCode: input.errorCode ?? null,
      authorPlatform: input.author?.platform ?? null,
      authorUserId: input.author?.userId ?? null,
      authorName: input.author?.name ?? null,
      provider: input.provider ?? null,
      providerMessageId: input.providerMessageId ?? null,
      platformMessageId: input.platformMessageId ?? null,
      encoding: input.encoding,
      segments: input.segments,
      otherRecipients: JSON.stringify(input.otherRecipients ?? []),
      createdAt,
      updatedAt: createdAt > at ? createdAt : at,
    });
    if (info.changes === 1) {
      const message = get(id);
      if (!message) throw new Error(`message ${id} vanished after insert`);
      return { message, duplicate: false };
    }
    const existing = findDuplicate(input);
    if (!existing) throw new Error('message insert ignored but no duplicate found');
    return { message: existing, duplicate: true };
  });

  const advanceStatus = db.transaction(
    (id: string, to: MessageStatus, opts: { reason?: string | null; errorCode?: string | null }) => {
      const row = byId.get(id);
      if (!row || !canAdvance(row.status, to)) return null;
      setStatus.run({
        id,
        from: row.status,
        to,
        reason: opts.reason === undefined ? row.status_reason : opts.reason,
        errorCode: opts.errorCode === undefined ? row.error_code : opts.errorCode,
        now: now(),
      });
      return get(id);
    },
  );

  return {
    insert: (input) => insert.immediate(input),
    get,
    getByProviderId: (provider, providerMessageId) => one(byProviderId.get(provider, providerMessageId)),
    getByPlatformMessageId: (platformMessageId) => one(byPlatformId.get(platformMessageId)),
    listForConversation(conversationId, opts = {}) {
      const rows = forConversation.all({
        conversationId,
        before: opts.before ?? null,
        // -1 is SQLite's "no limit": without a limit the whole conversation comes back.
        limit: opts.limit === undefined ? -1 : clampLimit(opts.limit, DEFAULT_LIST_LIMIT, 10_000),
      });
      return many(rows.reverse());
    },
    search(opts) {
      const rows = search.all({
        pattern: opts.text ? containsPattern(opts.text) : null,
        number: opts.number ?? null,
        contact: opts.contact ?? null,
        limit: clampLimit(opts.limit, DEFAULT_LIST_LIMIT),
      });
      return many(rows);
    },
    listUnrouted: (limit) => many(unrouted.all(clampLimit(limit, DEFAULT_LIST_LIMIT))),
    advanceStatus: (id, status, opts = {}) => advanceStatus.immediate(id, status, opts),
    setProviderMessageId(id, provider, providerMessageId) {
      try {
        setProviderId.run({ id, provider, providerMessageId, now: now() });
      } catch (err) {
        if (isUniqueViolation(err)) {
          throw new ConflictError(`provider message id ${provider}/${providerMessageId} belongs to another message`);
        }
        throw err;
      }
    },
  };
}
