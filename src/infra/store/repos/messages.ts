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
import type { Conversation, Direction, MediaItem, Message, MessageStatus, ProvisionedNumber, TextEncoding, UserPolicy } from '../../../core/types.js';
import {
  clampLimit,
  containsPattern,
  decodeCursor,
  encodeCursor,
  foldAscii,
  inJsonArray,
  isUniqueViolation,
  lowerAscii,
  rowOrder,
  sqlVariants,
  toJson,
  toNumber,
  type DbContext,
  type PagePosition,
} from '../shared.js';
import { toMedia, type MediaRow } from './media.js';
import { toConversation } from './conversations.js';
import { toEntry, type SendLedgerEntry } from './sendLedger.js';
import { toNumber as toProvisionedNumber, type NumberRow } from './numbers.js';
import { toUser, type UserRow } from './users.js';

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
 * order (created_at, rowid) (`seq` on Postgres, see rowOrder): a total order, so messages sharing a timestamp are never skipped or
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

/** The message repository of the store (both engines): the core's port plus admin and recovery parts. */
export interface MessageStoreRepo extends MessageRepo {
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
   * Send worker, first read of a send: the message with its conversation, its send ledger row,
   * the conversation's number in service, the author's user policy and the conversation's opt-out
   * in ONE statement (six reads otherwise, on the hottest path of the queue; each is what the
   * separate read would return). Null when there is no such message.
   */
  getForSend(id: string): Promise<SendReads | null>;
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
  has_media?: number | string;
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

const DEFAULT_LIST_LIMIT = 100;

/** LIMIT of the recovery lists when the caller gives one (without one they have no limit). */
const recoveryLimit = (limit: number): number => clampLimit(limit, 1000, 100_000);

/**
 * Select-list item: 1 when the message has media rows, 0 when not (see MessageRow.has_media).
 * CASE makes it an integer on both engines (a bare EXISTS is a boolean on Postgres).
 */
const HAS_MEDIA =
  'CASE WHEN EXISTS (SELECT 1 FROM media WHERE media.message_id = messages.id) THEN 1 ELSE 0 END AS has_media';

/** What the send worker reads first (getForSend). */
export interface SendReads {
  message: Message;
  conversation: Conversation | null;
  ledger: SendLedgerEntry | null;
  /** The conversation's number, as numbers.get (null when not in service). */
  number: ProvisionedNumber | null;
  /** The author's user policy, as users.get (null without an author or a users row). */
  author: UserPolicy | null;
  /** The conversation's contact opted out of its number, as optOuts.isOptedOut. */
  optedOut: boolean;
}

/** A message row with the joined columns of getForSend (null when absent). */
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
  num_e164: string | null;
  num_provider: string | null;
  num_type: string | null;
  num_status: string | null;
  num_country: string | null;
  num_segments_per_second: number | null;
  num_created_at: string | null;
  num_updated_at: string | null;
  user_sms_enabled: number | null;
  user_admin: number | null;
  user_updated_at: string | null;
  opted_out: number | null;
}

type PageRow = MessageRow & { rid: number | string; top?: number | string };

const STATUSES = Object.keys(STATUS_RANK) as MessageStatus[];

/** Statuses a message may move to `to` from (canAdvance), as SQL literals; '' when none. */
function fromStatuses(to: MessageStatus): string {
  return STATUSES.filter((from) => canAdvance(from, to))
    .map((from) => `'${from}'`)
    .join(', ');
}

/** Statuses some other status may move to (the lowest ranks are not among them). */
const REACHABLE: ReadonlySet<string> = new Set(STATUSES.filter((to) => fromStatuses(to) !== ''));

/** Shortest text the trigram index can narrow a search by (a shorter one is a plain scan). */
export const MIN_INDEXED_SEARCH = 3;

/** FTS5 query matching the rows whose body holds `text` up to case: the text as one quoted phrase. */
const ftsPhrase = (text: string): string => `"${text.replace(/"/g, '""')}"`;

/**
 * Most index candidates a SQLite search collects before it walks the messages newest first
 * instead. Collecting n candidates costs about n row reads; walking costs about
 * limit * rows / n (the hits are spread over the history), so they meet near sqrt(limit * rows).
 */
const candidateCap = (limit: number, rows: number): number => Math.max(256, Math.ceil(Math.sqrt(limit * rows)));

export function createMessageRepo({ db, now }: DbContext): MessageStoreRepo {
  // Insertion order: SQLite's rowid, Postgres' identity column seq.
  const RO = rowOrder(db);

  // RETURNING gives the stored row back in the same step (no second SELECT); a duplicate on a
  // unique id returns nothing.
  const INSERT = `
    INSERT INTO messages (id, conversation_id, direction, body, status, status_reason, error_code,
      author_platform, author_user_id, author_name, provider, provider_message_id, platform_message_id,
      encoding, segments, other_recipients, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT DO NOTHING
    RETURNING *`;
  // `has_media` (an index probe inside the same statement) spares the separate media query for
  // the many messages without files: the send path reads and updates each message twice.
  const BY_ID = `SELECT *, ${HAS_MEDIA} FROM messages WHERE id = ?`;
  // Column names of the joined rows are prefixed (conv_, ledger_): the tables share some.
  const FOR_SEND = `
    SELECT messages.*, ${HAS_MEDIA},
      c.id AS conv_id, c.number AS conv_number, c.contact AS conv_contact, c.created_at AS conv_created_at,
      l.message_id AS ledger_message_id, l.attempts AS ledger_attempts, l.state AS ledger_state,
      l.provider AS ledger_provider, l.provider_message_id AS ledger_provider_message_id,
      l.started_at AS ledger_started_at, l.finished_at AS ledger_finished_at,
      n.e164 AS num_e164, n.provider AS num_provider, n.type AS num_type, n.status AS num_status,
      n.country AS num_country, n.segments_per_second AS num_segments_per_second,
      n.created_at AS num_created_at, n.updated_at AS num_updated_at,
      u.sms_enabled AS user_sms_enabled, u.admin AS user_admin, u.updated_at AS user_updated_at,
      o.opted_out AS opted_out
    FROM messages
    LEFT JOIN conversations c ON c.id = messages.conversation_id
    LEFT JOIN send_ledger l ON l.message_id = messages.id
    LEFT JOIN numbers n ON n.e164 = c.number AND n.removed_at IS NULL
    LEFT JOIN users u ON u.platform = messages.author_platform AND u.user_id = messages.author_user_id
    LEFT JOIN opt_outs o ON o.number = c.number AND o.contact = c.contact
    WHERE messages.id = ?`;
  const BY_PROVIDER_ID = 'SELECT * FROM messages WHERE provider = ? AND provider_message_id = ?';
  const BY_PLATFORM_ID = 'SELECT * FROM messages WHERE platform_message_id = ?';
  // The latest messages (before `before` when given, `limit` of them when given), re-ordered
  // oldest first by the caller. Params: conversation id[, before][, limit].
  const forConversation = sqlVariants<number>(
    (key) => `
    SELECT * FROM messages
    WHERE conversation_id = ?${key & 1 ? ' AND created_at < ?' : ''}
    ORDER BY created_at DESC, ${RO} DESC${key & 2 ? '\n    LIMIT ?' : ''}`,
  );
  // Keyset pages (see MessagePageOptions); `<row order> <= top` bounds the run to what existed at
  // its start. Both fetch one row more than asked, to tell whether a next page exists. A run's
  // first page (bit 4) reads its top in the same statement (one round trip for the latest page,
  // media included: has_media spares the media query when no row has any).
  // Params: conversation id[, top unless bit 4][, at, at, row], limit.
  const page = sqlVariants<number>((key) => {
    const newest = (key & 1) !== 0;
    const first = (key & 4) !== 0;
    const after = key & 2 ? ` AND (created_at ${newest ? '<' : '>'} ? OR (created_at = ? AND ${RO} ${newest ? '<' : '>'} ?))` : '';
    const dir = newest ? ' DESC' : '';
    return `
    SELECT *, ${RO} AS rid, ${HAS_MEDIA}${first ? `, (SELECT MAX(${RO}) FROM messages) AS top` : ''} FROM messages
    WHERE conversation_id = ?${first ? '' : ` AND ${RO} <= ?`}${after}
    ORDER BY created_at${dir}, ${RO}${dir}
    LIMIT ?`;
  });
  const TOP_ROW = `SELECT MAX(${RO}) AS top FROM messages`;
  // Optional filters, bit per filter: 1 text, 2 number, 4 contact, 8 direction, 16 candidate rows.
  // Params in that order, then the limit. The text filter is an ASCII-folded substring test: LIKE
  // folds ASCII case on SQLite only, so both sides are folded here. Candidates (bit 16, a JSON
  // array of row numbers, see search()) only narrow the rows the same test then runs on.
  const search = sqlVariants<number>(
    (key) => `
    SELECT m.* FROM messages m JOIN conversations c ON c.id = m.conversation_id
    WHERE 1 = 1${key & 16 ? ` AND ${inJsonArray(db, `m.${RO}`)}` : ''}${key & 1 ? ` AND ${foldAscii(db, 'm.body')} LIKE ? ESCAPE '\\'` : ''}${
      key & 2 ? ' AND c.number = ?' : ''
    }${key & 4 ? ' AND c.contact = ?' : ''}${key & 8 ? ' AND m.direction = ?' : ''}
    ORDER BY m.created_at DESC, m.${RO} DESC
    LIMIT ?`,
  );
  // SQLite: the rows whose body holds a text up to case, by the trigram index (migration 009).
  const CANDIDATES = 'SELECT rowid AS r FROM messages_fts WHERE messages_fts MATCH ? LIMIT ?';
  // Postgres: a cached (generic) plan cannot know whether a text is rare (read its few hits by the
  // trigram index) or common (walk messages_by_time and stop at the limit); either plan is
  // seconds off for the other kind. Planned anew per search, with the text, it picks right.
  const CUSTOM_PLAN = 'SET LOCAL plan_cache_mode = force_custom_plan';
  const UNROUTED = `
    SELECT m.* FROM messages m JOIN conversations c ON c.id = m.conversation_id
    WHERE m.direction = 'inbound'
      AND (NOT EXISTS (SELECT 1 FROM mappings p WHERE p.number = c.number AND p.removed_at IS NULL)
           OR (m.error_code = '${NOT_POSTED_ERROR_CODE}'
               -- posted after all (a later retry or recovery): no longer out of sight
               AND NOT EXISTS (SELECT 1 FROM message_posts mp WHERE mp.message_id = m.id)))
    ORDER BY m.created_at DESC, m.${RO} DESC
    LIMIT ?`;
  const NOT_POSTED = `
    UPDATE messages SET error_code = '${NOT_POSTED_ERROR_CODE}', status_reason = ?, updated_at = ?
    WHERE id = ? AND direction = 'inbound'`;
  // Forward-only moves in one statement each (atomic on both engines, no read-modify-write): the
  // allowed previous statuses are those canAdvance() accepts for the target's rank, spelled out
  // in SQL. advanceStatus: key = index of the target in STATUSES * 4 + (reason given ? 1 : 0) +
  // (error code given ? 2 : 0); params: status[, reason][, error code], now, id. A reason or code
  // not given stays as it is.
  const advance = sqlVariants<number>(
    (key) => `
    UPDATE messages SET status = ?${key & 1 ? ', status_reason = ?' : ''}${key & 2 ? ', error_code = ?' : ''}, updated_at = ?
    WHERE id = ? AND status IN (${fromStatuses(STATUSES[key >> 2] as MessageStatus)})
    RETURNING *, ${HAS_MEDIA}`,
  );
  const TO_SENDING = `UPDATE messages SET status = 'sending', updated_at = ? WHERE id = ? AND status IN (${fromStatuses('sending')})`;
  const TO_SENT = `UPDATE messages SET status = 'sent', updated_at = ? WHERE id = ? AND status IN (${fromStatuses('sent')})
     RETURNING *, ${HAS_MEDIA}`;
  // Moves nothing when the provider id belongs to another message (NOT EXISTS, an index probe),
  // so the hot path never fails on UNIQUE and needs no savepoint; markSent then tells the cases
  // apart the slow way. Params: provider, provider id, now, id, provider, provider id, id.
  const TO_SENT_WITH_ID = `UPDATE messages SET status = 'sent', provider = ?, provider_message_id = ?, updated_at = ?
     WHERE id = ? AND status IN (${fromStatuses('sent')})
       AND NOT EXISTS (SELECT 1 FROM messages taken WHERE taken.provider = ? AND taken.provider_message_id = ? AND taken.id <> ?)
     RETURNING *, ${HAS_MEDIA}`;
  const SET_PROVIDER_ID = `
    UPDATE messages SET provider = ?, provider_message_id = ?, updated_at = ?
    WHERE id = ?`;
  const MEDIA_FOR = `SELECT * FROM media WHERE message_id = ? ORDER BY created_at, ${RO}`;
  // Media of many messages in one statement: the ids go in as one JSON array.
  const MEDIA_FOR_MANY = `SELECT * FROM media WHERE ${inJsonArray(db, 'message_id')} ORDER BY created_at, ${RO}`;

  const providerIdConflict = (provider: string, providerMessageId: string) =>
    new ConflictError(`provider message id ${provider}/${providerMessageId} belongs to another message`);
  // SET_PROVIDER_ID can hit UNIQUE (provider, provider_message_id), and the send worker catches
  // that (ConflictError) and goes on in its transaction: db.savepoint makes the failed statement
  // undo only itself on both engines.
  const setProviderMessageId = async (id: string, provider: string, providerMessageId: string): Promise<void> => {
    try {
      await db.savepoint(() => db.run(SET_PROVIDER_ID, [provider, providerMessageId, now(), id]));
    } catch (err) {
      if (isUniqueViolation(err)) throw providerIdConflict(provider, providerMessageId);
      throw err;
    }
  };
  const markSent = async (id: string, sent?: { provider: string; providerMessageId: string }): Promise<Message | null> => {
    if (!sent) return one(await db.get<MessageRow>(TO_SENT, [now(), id]));
    const { provider, providerMessageId } = sent;
    // One statement, no savepoint, on the send path. Only another Postgres transaction writing
    // the same provider id at this very moment (uncommitted, so NOT EXISTS missed it) can still
    // make it fail on UNIQUE: the caller's transaction then fails as a whole (the send worker
    // tries it again, and then finds the id taken).
    const row = await db.get<MessageRow>(TO_SENT_WITH_ID, [provider, providerMessageId, now(), id, provider, providerMessageId, id]);
    if (row) return one(row);
    // The status does not move to 'sent', or the id is taken: record the id alone (ConflictError
    // when it is taken, with nothing changed).
    await setProviderMessageId(id, provider, providerMessageId);
    return null;
  };

  const one = async (row: MessageRow | undefined): Promise<Message | null> => {
    if (!row) return null;
    const media = Number(row.has_media) === 0 ? [] : (await db.all<MediaRow>(MEDIA_FOR, [row.id])).map(toMedia);
    return toMessage(row, media);
  };

  const many = async (rows: MessageRow[]): Promise<Message[]> => {
    if (rows.length === 0) return [];
    // Rows that say whether they have media (has_media) and none has: no media query.
    if (rows.every((r) => r.has_media !== undefined && Number(r.has_media) === 0)) return rows.map((r) => toMessage(r, []));
    const byMessage = new Map<string, MediaItem[]>();
    for (const m of await db.all<MediaRow>(MEDIA_FOR_MANY, [JSON.stringify(rows.map((r) => r.id))])) {
      const list = byMessage.get(m.message_id) ?? [];
      list.push(toMedia(m));
      byMessage.set(m.message_id, list);
    }
    return rows.map((r) => toMessage(r, byMessage.get(r.id) ?? []));
  };

  const get = async (id: string): Promise<Message | null> => one(await db.get<MessageRow>(BY_ID, [id]));

  const findDuplicate = async (input: NewMessage): Promise<Message | null> => {
    if (input.provider && input.providerMessageId) {
      const found = await one(await db.get<MessageRow>(BY_PROVIDER_ID, [input.provider, input.providerMessageId]));
      if (found) return found;
    }
    return input.platformMessageId ? one(await db.get<MessageRow>(BY_PLATFORM_ID, [input.platformMessageId])) : null;
  };

  const insertOne = async (input: NewMessage): Promise<{ message: Message; duplicate: boolean }> => {
    // Time-ordered (UUIDv7, monotonic within this process): a new message's id lands at the end
    // of the id index, as does its send-ledger row, instead of on a random page. Every commit
    // then rewrites a few hot pages rather than one random page per message (measured: -15% CPU
    // for the send path's store work), and the index stays compact as history grows for years.
    const id = uuidv7();
    const at = now();
    const createdAt = input.createdAt ?? at;
    const row = await db.get<MessageRow>(INSERT, [
      id,
      input.conversationId,
      input.direction,
      input.body,
      input.status,
      input.statusReason ?? null,
      input.errorCode ?? null,
      input.author?.platform ?? null,
      input.author?.userId ?? null,
      input.author?.name ?? null,
      input.provider ?? null,
      input.providerMessageId ?? null,
      input.platformMessageId ?? null,
      input.encoding,
      input.segments,
      JSON.stringify(input.otherRecipients ?? []),
      createdAt,
      createdAt > at ? createdAt : at,
    ]);
    // A message that did not exist a moment ago has no media yet (media rows point at its id).
    if (row) return { message: toMessage(row, []), duplicate: false };
    const existing = await findDuplicate(input);
    if (!existing) throw new Error('message insert ignored but no duplicate found');
    return { message: existing, duplicate: true };
  };

  const advanceStatus = async (
    id: string,
    to: MessageStatus,
    opts: { reason?: string | null; errorCode?: string | null },
  ): Promise<Message | null> => {
    // No status moves to the lowest ranks (nor to an unknown one): nothing to ask the database.
    if (!REACHABLE.has(to)) return null;
    const target = STATUSES.indexOf(to);
    const params: Array<string | null> = [to];
    if (opts.reason !== undefined) params.push(opts.reason);
    if (opts.errorCode !== undefined) params.push(opts.errorCode);
    params.push(now(), id);
    const key = target * 4 + (opts.reason !== undefined ? 1 : 0) + (opts.errorCode !== undefined ? 2 : 0);
    return one(await db.get<MessageRow>(advance(key), params));
  };

  // -- admin resend and recovery -------------------------------------------------------------
  const LEDGER_ROW = 'SELECT state, attempts, provider, provider_message_id FROM send_ledger WHERE message_id = ?';
  // The ledger row is kept (its attempts are history) but no longer says 'calling' or 'done':
  // the next attempt starts a fresh provider call, and the crash rule applies to that call only.
  // Upsert: a message that failed before any provider call (no provider configured, given up)
  // gets a row too, so the send worker knows it was resent and puts the resend generation in the
  // idempotency key from its very first call (a retry of that call must carry the same key).
  // Params: id, provider, now, now, now.
  const RESET_LEDGER = `
    INSERT INTO send_ledger (message_id, attempts, state, provider, started_at, finished_at)
    VALUES (?, 0, 'failed', ?, ?, ?)
    ON CONFLICT (message_id) DO UPDATE SET state = 'failed', provider_message_id = NULL, finished_at = ?`;
  const REQUEUE_ROW = `
    UPDATE messages SET status = 'queued', status_reason = NULL, error_code = NULL,
      provider_message_id = NULL, updated_at = ?
    WHERE id = ? AND status = ?`;
  // The audit repository's insert (audit.ts), written here so the requeue stays one transaction
  // of this repository's statements.
  const AUDIT = 'INSERT INTO audit_log (at, actor, action, target, before, after) VALUES (?, ?, ?, ?, ?, ?)';
  const COUNT_RESENDS = 'SELECT COUNT(*) AS n FROM audit_log WHERE action = ? AND target = ?';
  // Bit 1: since given, bit 2: limit given. Params: [since][, limit].
  const pendingOutbound = sqlVariants<number>(
    (key) => `
    SELECT * FROM messages
    WHERE direction = 'outbound' AND status IN ('queued', 'sending')${key & 1 ? ' AND created_at >= ?' : ''}
    ORDER BY created_at, ${RO}${key & 2 ? '\n    LIMIT ?' : ''}`,
  );
  // Bit 2: limit given. Params: since[, limit].
  const undelivered = sqlVariants<number>(
    (key) => `
    SELECT m.* FROM messages m JOIN conversations c ON c.id = m.conversation_id
    WHERE m.direction IN ('inbound', 'internal') AND m.created_at >= ?
      AND NOT EXISTS (SELECT 1 FROM message_posts p WHERE p.message_id = m.id)
      AND EXISTS (SELECT 1 FROM mappings k WHERE k.number = c.number AND k.removed_at IS NULL)
    ORDER BY m.created_at, m.${RO}${key & 2 ? '\n    LIMIT ?' : ''}`,
  );

  type LedgerBrief = { state: string; attempts: number; provider: string; provider_message_id: string | null };
  const notFailed = (id: string, status: MessageStatus): RequeueResult => ({
    ok: false,
    code: 'not_failed',
    reason: `Message ${id} is ${status}; only a failed or undelivered message can be resent.`,
  });
  const countResends = async (id: string): Promise<number | undefined> => {
    const row = await db.get<{ n: number | string }>(COUNT_RESENDS, [REQUEUE_AUDIT_ACTION, id]);
    return row ? toNumber(row.n) : undefined;
  };

  const requeue = (id: string, opts: RequeueOptions): Promise<RequeueResult> =>
    db.transaction(async (): Promise<RequeueResult> => {
      const row = await db.get<MessageRow>(BY_ID, [id]);
      if (!row) return { ok: false, code: 'not_found', reason: `No message ${id}.` };
      if (row.direction !== 'outbound') {
        return { ok: false, code: 'not_outbound', reason: `Message ${id} is ${row.direction}; only outbound SMS can be resent.` };
      }
      if (!REQUEUEABLE.includes(row.status)) return notFailed(id, row.status);
      const ledger = (await db.get<LedgerBrief>(LEDGER_ROW, [id])) ?? null;
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
      if ((await db.run(REQUEUE_ROW, [at, id, row.status])).changes === 0) {
        // Moved by a concurrent transaction since it was read (possible on Postgres, whose
        // transactions run side by side; SQLite's never do): refuse as for any other status.
        const current = await db.get<MessageRow>(BY_ID, [id]);
        return notFailed(id, current?.status ?? row.status);
      }
      await db.run(RESET_LEDGER, [id, row.provider ?? '', at, at, at]);
      const possibleDuplicate = unknown;
      await db.run(AUDIT, [
        now(),
        opts.actor,
        REQUEUE_AUDIT_ACTION,
        id,
        toJson(previous),
        toJson({ status: 'queued', force: opts.force === true, possibleDuplicate }),
      ]);
      const message = await get(id);
      if (!message) throw new Error(`message ${id} vanished during requeue`);
      return { ok: true, message, previous, possibleDuplicate, resend: (await countResends(id)) ?? 1 };
    });

  return {
    requeue,
    resendCount: async (id) => (await countResends(id)) ?? 0,
    sentThrough: async (id) => (await db.get<LedgerBrief>(LEDGER_ROW, [id]))?.provider || null,
    async listPendingOutbound(opts = {}) {
      const since = opts.since ?? null;
      const params: Array<string | number> = [];
      if (since !== null) params.push(since);
      if (opts.limit !== undefined) params.push(recoveryLimit(opts.limit));
      const key = (since !== null ? 1 : 0) + (opts.limit !== undefined ? 2 : 0);
      return many(await db.all<MessageRow>(pendingOutbound(key), params));
    },
    async listUndelivered(opts) {
      const params: Array<string | number> = [opts.since];
      if (opts.limit !== undefined) params.push(recoveryLimit(opts.limit));
      return many(await db.all<MessageRow>(undelivered(opts.limit !== undefined ? 2 : 0), params));
    },
    // Inside the caller's transaction (recordInbound, requestOutbound) the insert joins it
    // directly: a savepoint would add two statements and buys nothing for one write.
    insert: (input) => (db.inTransaction() ? insertOne(input) : db.transaction(() => insertOne(input))),
    get,
    getByProviderId: async (provider, providerMessageId) =>
      one(await db.get<MessageRow>(BY_PROVIDER_ID, [provider, providerMessageId])),
    getByPlatformMessageId: async (platformMessageId) => one(await db.get<MessageRow>(BY_PLATFORM_ID, [platformMessageId])),
    async listForConversation(conversationId, opts = {}) {
      // Without a limit the whole conversation comes back.
      const before = opts.before ?? null;
      const params: Array<string | number> = [conversationId];
      if (before !== null) params.push(before);
      if (opts.limit !== undefined) params.push(clampLimit(opts.limit, DEFAULT_LIST_LIMIT, 10_000));
      const key = (before !== null ? 1 : 0) + (opts.limit !== undefined ? 2 : 0);
      const rows = await db.all<MessageRow>(forConversation(key), params);
      return many(rows.reverse());
    },
    async pageForConversation(conversationId, opts = {}) {
      const limit = clampLimit(opts.limit, DEFAULT_LIST_LIMIT);
      const newest = opts.from === 'newest';
      if (opts.createdBefore !== undefined && (!newest || opts.cursor !== undefined)) {
        throw new InvalidInputError("createdBefore: only for the first page from 'newest'", 'createdBefore');
      }
      const cursor = opts.cursor;
      const first = cursor === undefined;
      // Row numbers start at 1, so (t, 0) lies before every message created at t.
      const pos: PagePosition = first ? { at: opts.createdBefore ?? '', row: 0, top: 0 } : decodeCursor(cursor);
      const after = !first || opts.createdBefore !== undefined;
      const params: Array<string | number> = [conversationId];
      if (!first) params.push(pos.top);
      if (after) params.push(pos.at, pos.at, pos.row);
      params.push(limit + 1);
      const rows = await db.all<PageRow>(page((newest ? 1 : 0) + (after ? 2 : 0) + (first ? 4 : 0)), params);
      if (first) pos.top = toNumber(rows[0]?.top);
      const more = rows.length > limit;
      const shown = more ? rows.slice(0, limit) : rows;
      const edge = shown[shown.length - 1];
      const next = more && edge ? encodeCursor({ at: edge.created_at, row: toNumber(edge.rid), top: pos.top }) : null;
      return { messages: await many(newest ? shown.reverse() : shown), next };
    },
    async search(opts) {
      const text = opts.text ? lowerAscii(opts.text) : null;
      const limit = clampLimit(opts.limit, DEFAULT_LIST_LIMIT);
      // SQLite, a text the trigram index can narrow: when its candidates are few, the search
      // reads just those; when they are many, hits are common and the walk newest first (no
      // candidates) reaches the limit soon.
      let candidates: number[] | null = null;
      if (text !== null && db.engine === 'sqlite' && [...text].length >= MIN_INDEXED_SEARCH) {
        const cap = candidateCap(limit, toNumber((await db.get<{ top: number | string | null }>(TOP_ROW))?.top));
        const found = await db.all<{ r: number }>(CANDIDATES, [ftsPhrase(text), cap + 1]);
        if (found.length === 0) return [];
        if (found.length <= cap) candidates = found.map((row) => row.r);
      }
      // Each filter given adds its bit and its parameter (in bit order); absent ones (undefined,
      // null, empty text) filter nothing.
      const filters = [text === null ? null : containsPattern(text), opts.number, opts.contact, opts.direction];
      const params: Array<string | number> = [];
      let key = 0;
      if (candidates !== null) {
        key |= 16;
        params.push(JSON.stringify(candidates));
      }
      filters.forEach((value, bit) => {
        if (value === undefined || value === null) return;
        key |= 1 << bit;
        params.push(value);
      });
      params.push(limit);
      const sql = search(key);
      if (text === null || db.engine === 'sqlite') return many(await db.all<MessageRow>(sql, params));
      return many(
        await db.transaction(async () => {
          await db.exec(CUSTOM_PLAN);
          return db.all<MessageRow>(sql, params);
        }),
      );
    },
    listUnrouted: async (limit) => many(await db.all<MessageRow>(UNROUTED, [clampLimit(limit, DEFAULT_LIST_LIMIT)])),
    async markNotPosted(id, reason) {
      if ((await db.run(NOT_POSTED, [reason, now(), id])).changes === 0) return null;
      return get(id);
    },
    advanceStatus: (id, status, opts = {}) => advanceStatus(id, status, opts),
    markSending: async (id) => (await db.run(TO_SENDING, [now(), id])).changes === 1,
    markSent,
    async getForSend(id) {
      const row = await db.get<SendRow>(FOR_SEND, [id]);
      const message = await one(row);
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
        number:
          row.num_e164 === null
            ? null
            : toProvisionedNumber({
                e164: row.num_e164,
                provider: row.num_provider as string,
                type: row.num_type as NumberRow['type'],
                status: row.num_status as NumberRow['status'],
                country: row.num_country,
                segments_per_second: row.num_segments_per_second,
                created_at: row.num_created_at as string,
                updated_at: row.num_updated_at as string,
              }),
        author:
          row.user_updated_at === null || row.author_platform === null || row.author_user_id === null
            ? null
            : toUser({
                platform: row.author_platform,
                user_id: row.author_user_id,
                sms_enabled: row.user_sms_enabled as UserRow['sms_enabled'],
                admin: row.user_admin as UserRow['admin'],
                updated_at: row.user_updated_at,
              }),
        // As optOuts.isOptedOut: a row that says 1.
        optedOut: row.opted_out === 1,
      };
    },
    setProviderMessageId,
  };
}
