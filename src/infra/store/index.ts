// The core's Store port on SQLite (better-sqlite3, one file) or PostgreSQL (node-postgres pool).
// openStore opens the database, applies pending migrations and builds the repositories (one per
// aggregate under ./repos, written on the engine-neutral Db of ./db.ts).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError } from '../../core/errors.js';
import type { Clock, ConsoleSessionRepo, Store } from '../../core/ports.js';
import { startBackgroundCheckpointer, type BackgroundCheckpointer, type CheckpointerOptions } from './checkpointer.js';
import type { Db as SqlDb, Engine } from './db.js';
import { migrate, migratePostgres } from './migrate.js';
import { MIGRATIONS } from './migrations/index.js';
import { PG_MIGRATIONS } from './migrations/postgres/index.js';
import { postgresDb } from './postgres/driver.js';
import { createAuditRepo } from './repos/audit.js';
import { createChatChannelRepo, type ChatChannelRepo } from './repos/chatChannels.js';
import { createChatInboxRepo, type ChatInboxRepo } from './repos/chatInbox.js';
import { createStatusNoticeRepo, type StatusNoticeRepo } from './repos/statusNotices.js';
import { createLocalOutboxRepo, type LocalOutboxRepo } from './repos/localOutbox.js';
import { createConsoleSessionRepo } from './repos/consoleSessions.js';
import { createConversationRepo, type ConversationStoreRepo } from './repos/conversations.js';
import { createMappingRepo } from './repos/mappings.js';
import { createMediaRepo } from './repos/media.js';
import { createMediaFileRepo } from './repos/mediaFiles.js';
import { createInboxRepo, type InboxRepo } from './repos/inbox.js';
import { createMessageRepo, type MessageStoreRepo } from './repos/messages.js';
import { createNumberRepo } from './repos/numbers.js';
import { createOptOutRepo } from './repos/optOuts.js';
import { createOutboxRepo } from './repos/outbox.js';
import { createPolicyRepo } from './repos/policy.js';
import { createPostIntentRepo } from './repos/postIntents.js';
import { createPostRepo } from './repos/posts.js';
import { createSendLedgerRepo, type SendLedgerRepo } from './repos/sendLedger.js';
import { createSettingsRepo, type SettingsRepo } from './repos/settings.js';
import { createThreadRepo } from './repos/threads.js';
import { createUserRepo } from './repos/users.js';
import { makeNow, type DbContext } from './shared.js';
import { sqliteDb } from './sqlite/driver.js';

export type { Db as SqlDb, Engine } from './db.js';
export { SchemaTooNewError, type MigrationResult } from './migrate.js';
export { LATEST_VERSION, MIGRATIONS, type Migration } from './migrations/index.js';
export type { ChatChannel, ChatChannelRepo } from './repos/chatChannels.js';
export type { ChatInboxRepo, InboxEvent } from './repos/chatInbox.js';
export type { ShownStatus, StatusNoticeRepo } from './repos/statusNotices.js';
export type { LocalOutboxRecord, LocalOutboxRepo } from './repos/localOutbox.js';
export type { SendLedgerEntry, SendLedgerRepo, SendLedgerState } from './repos/sendLedger.js';
export type { SettingsRepo } from './repos/settings.js';
export type { InboxListItem, InboxOrder, InboxPage, InboxRepo } from './repos/inbox.js';
// Outbound pipeline: admin resend (requeue) and queue recovery queries on the message repo.
export {
  OUTCOME_UNKNOWN_ERROR_CODE,
  REQUEUE_AUDIT_ACTION,
  type RequeuedFrom,
  type RequeueOptions,
  type RequeueRefusalCode,
  type RequeueResult,
  type MessageStoreRepo,
} from './repos/messages.js';

export interface OpenStoreOptions {
  /** SQLite database file; its folder is created when missing. */
  file?: string;
  /** PostgreSQL (postgres:// or postgresql://): when set, the store lives there, no file is made. */
  databaseUrl?: string | null;
  /** Postgres connections at most (default 10). */
  poolSize?: number;
  clock?: Clock;
  /** One line per notable event (migrations applied). */
  logger?: (msg: string) => void;
  /** SQLite: how long a write waits for another connection's lock, in ms (default 5000). */
  busyTimeoutMs?: number;
  /**
   * SQLite: checkpoint the WAL from a worker thread (see checkpointer.ts): the bridge sets it, so
   * fsyncs never stall the event loop. Off by default (tests open many short-lived stores).
   */
  backgroundCheckpoint?: boolean | CheckpointerOptions;
}

/** The Store port plus the parts only adapters and workers need, on either engine. */
export interface BridgeStore extends Store {
  readonly engine: Engine;
  /** The core's MessageRepo plus requeue (admin resend) and the recovery queries. */
  messages: MessageStoreRepo;
  /** The core's ConversationRepo plus paging for the admin API. */
  conversations: ConversationStoreRepo;
  sendLedger: SendLedgerRepo;
  chatChannels: ChatChannelRepo;
  /** Raw chat events stored before the platform is answered (replayed after a crash). */
  chatInbox: ChatInboxRepo;
  /** Values generated once and shared by every instance on the database (the media signing key). */
  settings: SettingsRepo;
  /** What chat platforms show as a message's status (Teams: the notice under a reply). */
  statusNotices: StatusNoticeRepo;
  /** The local dev provider's outbox, shared by every instance on the store. */
  localOutbox: LocalOutboxRepo;
  /** The web inbox: read marks per console session, the list by activity, unshown texts. */
  inbox: InboxRepo;
  /** Console sign-in: sessions and one-time codes, shared by every instance (migration 010). */
  consoleSessions: ConsoleSessionRepo;
  /** SQLite: the database file. Postgres: the URL without its password (for messages). */
  readonly file: string;
  /** Schema version of the open database. */
  schemaVersion(): Promise<number>;
  /** The background WAL checkpointer, when opened with one (diagnostics and tests). */
  readonly checkpointer: BackgroundCheckpointer | null;
  /** The engine-neutral database handle the repositories use (tests and diagnostics). */
  readonly sql: SqlDb;
  /** SQLite only: the underlying connection, for tests and diagnostics (throws on Postgres). */
  readonly db: Database.Database;
}

const systemClock: Clock = { now: () => new Date() };

/** A database URL safe to print: the password replaced. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

export async function openStore(opts: OpenStoreOptions): Promise<BridgeStore> {
  const now = makeNow(opts.clock ?? systemClock);
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl, opts, now);
  if (!opts.file) throw new ConfigError('openStore: give a database file or a databaseUrl');
  const file = opts.file;
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    // busy_timeout first: the journal-mode switch itself may wait for another connection.
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS, { file, now, logger: opts.logger });
    const checkpointer =
      opts.backgroundCheckpoint && file !== ':memory:'
        ? startBackgroundCheckpointer(file, typeof opts.backgroundCheckpoint === 'object' ? opts.backgroundCheckpoint : {})
        : null;
    const dctx: DbContext = { db: sqliteDb(db), now };
    return buildStore({
      file,
      dctx,
      checkpointer,
      raw: db,
      async close() {
        // The worker's connection first: the last connection to close folds the WAL back.
        checkpointer?.stop();
        if (db.open) db.close();
      },
    });
  } catch (err) {
    db.close();
    throw err;
  }
}

async function openPostgres(url: string, opts: OpenStoreOptions, now: () => string): Promise<BridgeStore> {
  const label = redactDatabaseUrl(url);
  const sql = postgresDb({ connectionString: url, max: opts.poolSize ?? 10 });
  try {
    await migratePostgres(sql, PG_MIGRATIONS, { label, now, logger: opts.logger });
  } catch (err) {
    await sql.close();
    throw err;
  }
  return buildStore({ file: label, dctx: { db: sql, now }, checkpointer: null, raw: null, close: () => sql.close() });
}

interface StoreParts {
  file: string;
  dctx: DbContext;
  checkpointer: BackgroundCheckpointer | null;
  raw: Database.Database | null;
  close(): Promise<void>;
}

function buildStore(parts: StoreParts): BridgeStore {
  const { dctx } = parts;
  const sql = dctx.db;
  let closing: Promise<void> | null = null;
  const store: Omit<BridgeStore, 'db'> = {
    engine: sql.engine,
    numbers: createNumberRepo(dctx),
    mappings: createMappingRepo(dctx),
    conversations: createConversationRepo(dctx),
    threads: createThreadRepo(dctx),
    messages: createMessageRepo(dctx),
    media: createMediaRepo(dctx),
    mediaFiles: createMediaFileRepo(dctx),
    posts: createPostRepo(dctx),
    postIntents: createPostIntentRepo(dctx),
    optOuts: createOptOutRepo(dctx),
    policy: createPolicyRepo(dctx),
    users: createUserRepo(dctx),
    audit: createAuditRepo(dctx),
    outbox: createOutboxRepo(dctx),
    sendLedger: createSendLedgerRepo(dctx),
    chatChannels: createChatChannelRepo(dctx),
    chatInbox: createChatInboxRepo(dctx),
    settings: createSettingsRepo(dctx),
    statusNotices: createStatusNoticeRepo(dctx),
    localOutbox: createLocalOutboxRepo(dctx),
    inbox: createInboxRepo(dctx),
    consoleSessions: createConsoleSessionRepo(dctx),
    file: parts.file,
    sql,
    // A nested call is a savepoint: an inner failure the caller catches undoes only the inner work.
    transaction: <T>(fn: () => Promise<T>): Promise<T> => sql.transaction(fn),
    async ping() {
      try {
        return (await sql.get<{ ok: number }>('SELECT 1 AS ok'))?.ok === 1;
      } catch {
        return false;
      }
    },
    schemaVersion: async () => (await sql.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations'))?.v ?? 0,
    checkpointer: parts.checkpointer,
    close() {
      closing ??= parts.close();
      return closing;
    },
  };
  // Not enumerable: a copy of the store with one part replaced (`{ ...store, transaction }`, as
  // the send lane makes) must not call it, which throws on Postgres.
  return Object.defineProperty(store, 'db', {
    enumerable: false,
    get(): Database.Database {
      if (!parts.raw) throw new Error('store.db: this store runs on PostgreSQL; use store.sql');
      return parts.raw;
    },
  }) as BridgeStore;
}
