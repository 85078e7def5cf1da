// Messages, both directions, kept forever: there is deliberately no delete. Insert is idempotent
// on (provider, provider message id) and on platform message id, so a retried webhook or chat
// event has no second effect. Status only moves forward (ranks in core/status.ts), with ONE
// deliberate exception outside the core's port: `requeue`, an admin's audited resend of a failed
// outbound message (see below). The recovery queries (`listPendingOutbound`, `listUndelivered`)
// let the workers rebuild their queues from the store after Redis lost its data.
import { v7 as uuidv7 } from 'uuid';
import { ConflictError, InvalidInputError } from '../../../core/errors.js';
import type { MessageRepo, NewMessage } from '../../../core/ports.js';
import { canAdvance, NOT_POSTED_ERROR_CODE, STATUS_RANK } from '../../../core/status.js';
import type { Conversation, Direction, MediaItem, Message, MessageStatus, TextEncoding } from '../../../core/types.js';
import { clampLimit, decodeCursor, encodeCursor, isUniqueViolation, type PagePosition, type RepoContext } from '../shared.js';
import { toMedia, type MediaRow } from './media.js';
import { toConversation } from './conversations.js';
import { toEntry, type SendLedgerEntry } from './sendLedger.js';
import type { Sync } from '../sqlite/asyncRepo.js';

/**
 * error_code of a send whose outcome is unknown: the provider may have accepted it (crash or no
 * answer mid-call on a provider without idempotency). The send worker writes it; requeue refuses
 * to resend such a message unless forced, since the contact may already have it.
 */
export const OUTCOME_UNKNOWN_ERROR_CODE = 'outcome_unknown';

/** Audit action of an admin resend; its count per message is the message's resend generation. */
export const REQUEUE_AUDIT_ACTION = 'message.requeue';

/** Statuses an admin may requeue from: the send failed, or the carrier could not deliver it. */
const REQUEUEABLE: readonly MessageStatus[] = ['failed', 'undelivered'];

export type RequeueRefusalCode = 'not_found' | 'not_outbound' | 'not_failed' | 'outcome_unknown';

export interface RequeueOptions {
  /** Who asks, for the audit log (e.g. 'admin-api'). */
  actor: string;
  /** Accept a possible duplicate when the previous outcome is unknown. */
  force?: boolean;
}

/** What the message looked like before a requeue (also written to the audit log). */
export interface RequeuedFrom {
  status: MessageStatus;
  statusReason: string | null;
  errorCode: string | null;
  providerMessageId: string | null;
  /** The send ledger row that was reset, if any. */
  ledger: { state: string; attempts: number; providerMessageId: string | null } | null;
}

export type RequeueResult =
  | {
      ok: true;
      /** The message, now 'queued' (reason, code and provider id cleared). */
      message: Message;
      previous: RequeuedFrom;
      /** True when the previous outcome was unknown and `force` was given: it may go out twice. */
      possibleDuplicate: boolean;
      /** How many times this message has now been requeued (1 after the first). */
      resend: number;
    }
  | { ok: false; code: RequeueRefusalCode; reason: string };

/**
 * Where to page a conversation from. Within a page messages are always oldest first, in the
 * order (created_at, rowid): a total order, so messages sharing a timestamp are never skipped or
 * repeated at a page edge (which paging by `created_at < before` alone can do).
 */
export interface MessagePageOptions {
  /** Page size, 1-1000 (default 100). */
  limit?: number;
  /**
   * 'oldest' (default): the first page holds the conversation's first messages and each `next`
   * page the following ones. 'newest': the first page holds the latest messages and each `next`
   * page the ones before (a chat-style history read backwards).
   */
  from?: 'oldest' | 'newest';
  /** A previous page's `next` (read with the same `from`); absent for the first page. */
  cursor?: string;
  /**
   * Legacy timestamp paging, only with `from: 'newest'` and no cursor: start with the messages
   * created strictly before this ISO time.
   */
  createdBefore?: string;
}

export interface MessagePage {
  /** Oldest first. */
  messages: Message[];
  /**
   * Opaque cursor for the next page, or null when this page was the last. A paging run only
   * ever sees the messages that existed when its first page was read (the cursor carries that
   * bound), so a run over a busy conversation always ends.
   */
  next: string | null;
}

/** The message repository of the SQLite store: the core's port plus admin and recovery parts. */
export interface SqliteMessageRepo extends MessageRepo {
  /** One page of a conversation by keyset on (created_at, rowid); see MessagePageOptions. */
  pageForConversation(conversationId: string, opts?: MessagePageOptions): Promise<MessagePage>;
  /**
   * Moves a 'failed' or 'undelivered' outbound message back to 'queued' for an audited resend:
   * clears reason, code and provider message id, resets its send ledger row, and records the
   * previous outcome in the audit log, all in one transaction. Refuses (ok: false) any other
   * message, and one whose outcome is unknown unless `force`. The caller enqueues it again.
   */
  requeue(id: string, opts: RequeueOptions): Promise<RequeueResult>;
  /** How many times the message was requeued (its resend generation; 0 = never). */
  resendCount(id: string): Promise<number>;
  /** The provider of the message's send ledger row (its latest send call); null when none. */
  sentThrough(id: string): Promise<string | null>;
  /**
   * Send worker, right before the provider call: `advanceStatus(id, 'sending')` as one UPDATE
   * (no savepoint, no read back). False when the status did not move (already sending or beyond).
   */
  markSending(id: string): Promise<boolean>;
  /**
   * Send worker, after the provider accepted: `advanceStatus(id, 'sent')` as one UPDATE that
   * returns the row. Null when the status did not move (e.g. a delivery callback came first).
   * With `sent`, the same UPDATE also records the provider's id (as setProviderMessageId, which
   * it does alone when the status does not move); ConflictError, with nothing changed, when that
   * id belongs to another message.
   */
  markSent(id: string, sent?: { provider: string; providerMessageId: string }): Promise<Message | null>;
  /**
   * Send worker, first read of a send: the message with its conversation and its send ledger row
   * in ONE statement (three reads otherwise, on the hottest path of the queue). Null when there
   * is no such message.
   */
  getForSend(id: string): Promise<{ message: Message; conversation: Conversation | null; ledger: SendLedgerEntry | null } | null>;
  /** Outbound messages still 'queued' or 'sending', oldest first (queue recovery). */
  listPendingOutbound(opts?: { since?: string; limit?: number }): Promise<Message[]>;
  /**
   * Inbound and internal messages created at or after `since` that have no chat post at all while
   * their number has at least one active mapping, oldest first (delivery recovery).
   */
  listUndelivered(opts: { since: string; limit?: number }): Promise<Message[]>;
}

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
  /** Only on the queries that select it: 0 means no media rows, so none are read. */
  has_media?: number;
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

/** Select-list item: 1 when the message has media rows, 0 when not (see MessageRow.has_media). */
const HAS_MEDIA = 'EXISTS (SELECT 1 FROM media WHERE media.message_id = messages.id) AS has_media';

/** A message row with its conversation and send ledger columns (getForSend; null when absent). */
interface SendRow extends MessageRow {
  conv_id: string | null;
  conv_number: string | null;
  conv_contact: string | null;
  conv_created_at: string | null;
  ledger_message_id: string | null;
  ledger_attempts: number | null;
  ledger_state: string | null;
  ledger_provider: string | null;
  ledger_provider_message_id: string | null;
  ledger_started_at: string | null;
  ledger_finished_at: string | null;
}

export function createMessageRepo({ db, now }: RepoContext): Sync<SqliteMessageRepo> {
  // RETURNING gives the stored row back in the same step (no second SELECT); a duplicate on a
  // unique id returns nothing.
  const insertRow = db.prepare<[Record<string, unknown>], MessageRow>(`
    INSERT INTO messages (id, conversation_id, direction, body, status, status_reason, error_code,
      author_platform, author_user_id, author_name, provider, provider_message_id, platform_message_id,
      encoding, segments, other_recipients, created_at, updated_at)
    VALUES (@id, @conversationId, @direction, @body, @status, @statusReason, @errorCode,
      @authorPlatform, @authorUserId, @authorName, @provider, @providerMessageId, @platformMessageId,
      @encoding, @segments, @otherRecipients, @createdAt, @updatedAt)
    ON CONFLICT DO NOTHING
    RETURNING *`);
  // `has_media` (an index probe inside the same statement) spares the separate media query for
  // the many messages without files: the send path reads and updates each message twice.
  const byId = db.prepare<[string], MessageRow>(`SELECT *, ${HAS_MEDIA} FROM messages WHERE id = ?`);
  // Column names of the joined rows are prefixed (conv_, ledger_): the tables share some.
  const forSend = db.prepare<[string], SendRow>(`
    SELECT messages.*, ${HAS_MEDIA},
      c.id AS conv_id, c.number AS conv_number, c.contact AS conv_contact, c.created_at AS conv_created_at,
      l.message_id AS ledger_message_id, l.attempts AS ledger_attempts, l.state AS ledger_state,
      l.provider AS ledger_provider, l.provider_message_id AS ledger_provider_message_id,
      l.started_at AS ledger_started_at, l.finished_at AS ledger_finished_at
    FROM messages
    LEFT JOIN conversations c ON c.id = messages.conversation_id
    LEFT JOIN send_ledger l ON l.message_id = messages.id
    WHERE messages.id = ?`);
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
  // Keyset pages (see MessagePageOptions); `rowid <= @top` bounds the run to what existed at its
  // start. Both fetch one row more than asked, to tell whether a next page exists.
  type PageRow = MessageRow & { rid: number };
  const pageForward = db.prepare<
    { conversationId: string; at: string | null; row: number; top: number; limit: number },
    PageRow
  >(`
    SELECT *, rowid AS rid FROM messages
    WHERE conversation_id = @conversationId AND rowid <= @top
      AND (@at IS NULL OR created_at > @at OR (created_at = @at AND rowid > @row))
    ORDER BY created_at, rowid
    LIMIT @limit`);
  const pageBackward = db.prepare<
    { conversationId: string; at: string | null; row: number; top: number; limit: number },
    PageRow
  >(`
    SELECT *, rowid AS rid FROM messages
    WHERE conversation_id = @conversationId AND rowid <= @top
      AND (@at IS NULL OR created_at < @at OR (created_at = @at AND rowid < @row))
    ORDER BY created_at DESC, rowid DESC
    LIMIT @limit`);
  const topRow = db.prepare<[], { top: number | null }>('SELECT MAX(rowid) AS top FROM messages');
  const search = db.prepare<
    { pattern: string | null; number: string | null; contact: string | null; direction: string | null; limit: number },
    MessageRow
  >(`
    SELECT m.* FROM messages m JOIN conversations c ON c.id = m.conversation_id
    WHERE (@pattern IS NULL OR m.body LIKE @pattern ESCAPE '\\')
      AND (@number IS NULL OR c.number = @number)
      AND (@contact IS NULL OR c.contact = @contact)
      AND (@direction IS NULL OR m.direction = @direction)
    ORDER BY m.created_at DESC, m.rowid DESC
    LIMIT @limit`);
  const unrouted = db.prepare<[number], MessageRow>(`
    SELECT m.* FROM messages m JOIN conversations c ON c.id = m.conversation_id
    WHERE m.direction = 'inbound'
      AND (NOT EXISTS (SELECT 1 FROM mappings p WHERE p.number = c.number AND p.removed_at IS NULL)
           OR (m.error_code = '${NOT_POSTED_ERROR_CODE}'
               -- posted after all (a later retry or recovery): no longer out of sight
               AND NOT EXISTS (SELECT 1 FROM message_posts mp WHERE mp.message_id = m.id)))
    ORDER BY m.created_at DESC, m.rowid DESC
    LIMIT ?`);
  const notPosted = db.prepare(`
    UPDATE messages SET error_code = '${NOT_POSTED_ERROR_CODE}', status_reason = @reason, updated_at = @now
    WHERE id = @id AND direction = 'inbound'`);
  const setStatus = db.prepare(`
    UPDATE messages SET status = @to, status_reason = @reason, error_code = @errorCode, updated_at = @now
    WHERE id = @id AND status = @from`);
  // Forward-only moves of the send path in one statement each: the allowed previous statuses are
  // those canAdvance() accepts (same ranks as advanceStatus), spelled out in SQL.
  const fromStatuses = (to: MessageStatus): string =>
    (Object.keys(STATUS_RANK) as MessageStatus[])
      .filter((from) => canAdvance(from, to))
      .map((from) => `'${from}'`)
      .join(', ');
  const toSending = db.prepare<{ id: string; now: string }>(
    `UPDATE messages SET status = 'sending', updated_at = @now WHERE id = @id AND status IN (${fromStatuses('sending')})`,
  );
  const toSent = db.prepare<{ id: string; now: string }, MessageRow>(
    `UPDATE messages SET status = 'sent', updated_at = @now WHERE id = @id AND status IN (${fromStatuses('sent')})
     RETURNING *, ${HAS_MEDIA}`,
  );
  const toSentWithId = db.prepare<{ id: string; provider: string; providerMessageId: string; now: string }, MessageRow>(
    `UPDATE messages SET status = 'sent', provider = @provider, provider_message_id = @providerMessageId, updated_at = @now
     WHERE id = @id AND status IN (${fromStatuses('sent')}) RETURNING *, ${HAS_MEDIA}`,
  );
  const providerIdConflict = (provider: string, providerMessageId: string) =>
    new ConflictError(`provider message id ${provider}/${providerMessageId} belongs to another message`);
  const recordProviderId = (id: string, provider: string, providerMessageId: string): void => {
    try {
      setProviderId.run({ id, provider, providerMessageId, now: now() });
    } catch (err) {
      if (isUniqueViolation(err)) throw providerIdConflict(provider, providerMessageId);
      throw err;
    }
  };
  const markSent = (id: string, sent?: { provider: string; providerMessageId: string }): Message | null => {
    if (!sent) return one(toSent.get({ id, now: now() }));
    let row: MessageRow | undefined;
    try {
      row = toSentWithId.get({ id, ...sent, now: now() });
    } catch (err) {
      if (isUniqueViolation(err)) throw providerIdConflict(sent.provider, sent.providerMessageId);
      throw err;
    }
    if (row) return one(row);
    recordProviderId(id, sent.provider, sent.providerMessageId);
    return null;
  };
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

  const one = (row: MessageRow | undefined): Message | null => {
    if (!row) return null;
    return toMessage(row, row.has_media === 0 ? [] : mediaFor.all(row.id).map(toMedia));
  };

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

  const insertOne = (input: NewMessage): { message: Message; duplicate: boolean } => {
    // Time-ordered (UUIDv7, monotonic within this process): a new message's id lands at the end
    // of the id index, as does its send-ledger row, instead of on a random page. Every commit
    // then rewrites a few hot pages rather than one random page per message (measured: -15% CPU
    // for the send path's store work), and the index stays compact as history grows for years.
    const id = uuidv7();
    const at = now();
    const createdAt = input.createdAt ?? at;
    const row = insertRow.get({
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
    // A message that did not exist a moment ago has no media yet (media rows point at its id).
    if (row) return { message: toMessage(row, []), duplicate: false };
    const existing = findDuplicate(input);
    if (!existing) throw new Error('message insert ignored but no duplicate found');
    return { message: existing, duplicate: true };
  };
  const insert = db.transaction(insertOne);

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

  // -- admin resend and recovery -------------------------------------------------------------
  // Temporary (i14r2): the audit repo is async now; R1's rewrite of this file records through it.
  const auditInsert = db.prepare(
    'INSERT INTO audit_log (at, actor, action, target, before, after) VALUES (@at, @actor, @action, @target, @before, @after)',
  );
  const ledgerRow = db.prepare<[string], { state: string; attempts: number; provider: string; provider_message_id: string | null }>(
    'SELECT state, attempts, provider, provider_message_id FROM send_ledger WHERE message_id = ?',
  );
  // The ledger row is kept (its attempts are history) but no longer says 'calling' or 'done':
  // the next attempt starts a fresh provider call, and the crash rule applies to that call only.
  // Upsert: a message that failed before any provider call (no provider configured, given up)
  // gets a row too, so the send worker knows it was resent and puts the resend generation in the
  // idempotency key from its very first call (a retry of that call must carry the same key).
  const resetLedger = db.prepare(`
    INSERT INTO send_ledger (message_id, attempts, state, provider, started_at, finished_at)
    VALUES (@id, 0, 'failed', @provider, @now, @now)
    ON CONFLICT (message_id) DO UPDATE SET state = 'failed', provider_message_id = NULL, finished_at = @now`);
  const requeueRow = db.prepare(`
    UPDATE messages SET status = 'queued', status_reason = NULL, error_code = NULL,
      provider_message_id = NULL, updated_at = @now
    WHERE id = @id AND status = @from`);
  const countResends = db.prepare<[string, string], { n: number }>(
    'SELECT COUNT(*) AS n FROM audit_log WHERE action = ? AND target = ?',
  );
  const pendingOutbound = db.prepare<{ since: string | null; limit: number }, MessageRow>(`
    SELECT * FROM messages
    WHERE direction = 'outbound' AND status IN ('queued', 'sending')
      AND (@since IS NULL OR created_at >= @since)
    ORDER BY created_at, rowid
    LIMIT @limit`);
  const undelivered = db.prepare<{ since: string; limit: number }, MessageRow>(`
    SELECT m.* FROM messages m JOIN conversations c ON c.id = m.conversation_id
    WHERE m.direction IN ('inbound', 'internal') AND m.created_at >= @since
      AND NOT EXISTS (SELECT 1 FROM message_posts p WHERE p.message_id = m.id)
      AND EXISTS (SELECT 1 FROM mappings k WHERE k.number = c.number AND k.removed_at IS NULL)
    ORDER BY m.created_at, m.rowid
    LIMIT @limit`);

  const requeue = db.transaction((id: string, opts: RequeueOptions): RequeueResult => {
    const row = byId.get(id);
    if (!row) return { ok: false, code: 'not_found', reason: `No message ${id}.` };
    if (row.direction !== 'outbound') {
      return { ok: false, code: 'not_outbound', reason: `Message ${id} is ${row.direction}; only outbound SMS can be resent.` };
    }
    if (!REQUEUEABLE.includes(row.status)) {
      return {
        ok: false,
        code: 'not_failed',
        reason: `Message ${id} is ${row.status}; only a failed or undelivered message can be resent.`,
      };
    }
    const ledger = ledgerRow.get(id) ?? null;
    const unknown = row.error_code === OUTCOME_UNKNOWN_ERROR_CODE || ledger?.state === 'calling';
    if (unknown && opts.force !== true) {
      return {
        ok: false,
        code: 'outcome_unknown',
        reason:
          `Message ${id} may have reached the contact already (${row.status_reason ?? 'outcome unknown'}). ` +
          'Resend with {"force": true} to accept a possible duplicate.',
      };
    }
    const previous: RequeuedFrom = {
      status: row.status,
      statusReason: row.status_reason,
      errorCode: row.error_code,
      providerMessageId: row.provider_message_id,
      ledger: ledger ? { state: ledger.state, attempts: ledger.attempts, providerMessageId: ledger.provider_message_id } : null,
    };
    const at = now();
    requeueRow.run({ id, from: row.status, now: at });
    resetLedger.run({ id, provider: row.provider ?? '', now: at });
    const possibleDuplicate = unknown;
    auditInsert.run({
      at: now(),
      actor: opts.actor,
      action: REQUEUE_AUDIT_ACTION,
      target: id,
      before: JSON.stringify(previous),
      after: JSON.stringify({ status: 'queued', force: opts.force === true, possibleDuplicate }),
    });
    const message = get(id);
    if (!message) throw new Error(`message ${id} vanished during requeue`);
    return { ok: true, message, previous, possibleDuplicate, resend: countResends.get(REQUEUE_AUDIT_ACTION, id)?.n ?? 1 };
  });

  return {
    requeue: (id, opts) => requeue.immediate(id, opts),
    resendCount: (id) => countResends.get(REQUEUE_AUDIT_ACTION, id)?.n ?? 0,
    sentThrough: (id) => ledgerRow.get(id)?.provider || null,
    listPendingOutbound: (opts = {}) =>
      many(pendingOutbound.all({ since: opts.since ?? null, limit: opts.limit === undefined ? -1 : clampLimit(opts.limit, 1000, 100_000) })),
    listUndelivered: (opts) =>
      many(undelivered.all({ since: opts.since, limit: opts.limit === undefined ? -1 : clampLimit(opts.limit, 1000, 100_000) })),
    // Inside the caller's transaction (recordInbound, requestOutbound) the insert joins it
    // directly: a savepoint would add two statements and buys nothing for one write.
    insert: (input) => (db.inTransaction ? insertOne(input) : insert.immediate(input)),
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
    pageForConversation(conversationId, opts = {}) {
      const limit = clampLimit(opts.limit, DEFAULT_LIST_LIMIT);
      const newest = opts.from === 'newest';
      if (opts.createdBefore !== undefined && (!newest || opts.cursor !== undefined)) {
        throw new InvalidInputError("createdBefore: only for the first page from 'newest'", 'createdBefore');
      }
      let pos: PagePosition;
      if (opts.cursor !== undefined) {
        pos = decodeCursor(opts.cursor);
      } else {
        // rowids start at 1, so (t, 0) lies before every message created at t.
        pos = { at: opts.createdBefore ?? '', row: 0, top: topRow.get()?.top ?? 0 };
      }
      const at = opts.cursor !== undefined || opts.createdBefore !== undefined ? pos.at : null;
      const query = newest ? pageBackward : pageForward;
      const rows = query.all({ conversationId, at, row: pos.row, top: pos.top, limit: limit + 1 });
      const more = rows.length > limit;
      const page = more ? rows.slice(0, limit) : rows;
      const edge = page[page.length - 1];
      const next = more && edge ? encodeCursor({ at: edge.created_at, row: edge.rid, top: pos.top }) : null;
      return { messages: many(newest ? page.reverse() : page), next };
    },
    search(opts) {
      const rows = search.all({
        pattern: opts.text ? containsPattern(opts.text) : null,
        number: opts.number ?? null,
        contact: opts.contact ?? null,
        direction: opts.direction ?? null,
        limit: clampLimit(opts.limit, DEFAULT_LIST_LIMIT),
      });
      return many(rows);
    },
    listUnrouted: (limit) => many(unrouted.all(clampLimit(limit, DEFAULT_LIST_LIMIT))),
    markNotPosted(id, reason) {
      if (notPosted.run({ id, reason, now: now() }).changes === 0) return null;
      return get(id);
    },
    advanceStatus: (id, status, opts = {}) => advanceStatus.immediate(id, status, opts),
    markSending: (id) => toSending.run({ id, now: now() }).changes === 1,
    markSent,
    getForSend(id) {
      const row = forSend.get(id);
      const message = one(row);
      if (!row || !message) return null;
      return {
        message,
        conversation:
          row.conv_id === null
            ? null
            : toConversation({ id: row.conv_id, number: row.conv_number as string, contact: row.conv_contact as string, created_at: row.conv_created_at as string }),
        ledger:
          row.ledger_message_id === null
            ? null
            : toEntry({
                message_id: row.ledger_message_id,
                attempts: row.ledger_attempts as number,
                state: row.ledger_state as SendLedgerEntry['state'],
                provider: row.ledger_provider as string,
                provider_message_id: row.ledger_provider_message_id,
                started_at: row.ledger_started_at as string,
                finished_at: row.ledger_finished_at,
              }),
      };
    },
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
