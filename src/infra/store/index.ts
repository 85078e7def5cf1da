// The SQLite implementation of the core's Store port (better-sqlite3, synchronous).
// openStore opens the file in WAL mode, applies pending migrations, and prepares every statement
// once per store; repositories live one per aggregate under ./repos.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Clock, Store } from '../../core/ports.js';
import { startBackgroundCheckpointer, type BackgroundCheckpointer, type CheckpointerOptions } from './checkpointer.js';
import { migrate } from './migrate.js';
import { MIGRATIONS } from './migrations/index.js';
import { createAuditRepo } from './repos/audit.js';
import { createChatChannelRepo, type ChatChannelRepo } from './repos/chatChannels.js';
import { createChatInboxRepo, type ChatInboxRepo } from './repos/chatInbox.js';
import { createConversationRepo, type SqliteConversationRepo } from './repos/conversations.js';
import { createMappingRepo } from './repos/mappings.js';
import { createMediaRepo } from './repos/media.js';
import { createMessageRepo, type SqliteMessageRepo } from './repos/messages.js';
import { createNumberRepo } from './repos/numbers.js';
import { createOptOutRepo } from './repos/optOuts.js';
import { createOutboxRepo } from './repos/outbox.js';
import { createPolicyRepo } from './repos/policy.js';
import { createPostRepo } from './repos/posts.js';
import { createSendLedgerRepo, type SendLedgerRepo } from './repos/sendLedger.js';
import { createThreadRepo } from './repos/threads.js';
import { createUserRepo } from './repos/users.js';
import { makeNow, type DbContext, type RepoContext } from './shared.js';
import { asyncRepo } from './sqlite/asyncRepo.js';
import { sqliteDb } from './sqlite/driver.js';
import { SqliteGate } from './sqlite/gate.js';

export { SchemaTooNewError, type MigrationResult } from './migrate.js';
export { LATEST_VERSION, MIGRATIONS, type Migration } from './migrations/index.js';
export type { ChatChannel, ChatChannelRepo } from './repos/chatChannels.js';
export type { ChatInboxRepo, InboxEvent } from './repos/chatInbox.js';
export type { SendLedgerEntry, SendLedgerRepo, SendLedgerState } from './repos/sendLedger.js';
// Outbound pipeline: admin resend (requeue) and queue recovery queries on the message repo.
export {
  OUTCOME_UNKNOWN_ERROR_CODE,
  REQUEUE_AUDIT_ACTION,
  type RequeuedFrom,
  type RequeueOptions,
  type RequeueRefusalCode,
  type RequeueResult,
  type SqliteMessageRepo,
} from './repos/messages.js';

export interface OpenStoreOptions {
  /** Database file; its folder is created when missing. */
  file: string;
  clock?: Clock;
  /** One line per notable event (migrations applied). */
  logger?: (msg: string) => void;
  /** How long a write waits for another connection's lock, in ms (default 5000). */
  busyTimeoutMs?: number;
  /**
   * Checkpoint the WAL from a worker thread (see checkpointer.ts): the bridge sets it, so fsyncs
   * never stall the event loop. Off by default (tests open many short-lived stores).
   */
  backgroundCheckpoint?: boolean | CheckpointerOptions;
}

/** The Store port plus the parts only adapters and workers need. */
export interface SqliteStore extends Store {
  /** The core's MessageRepo plus requeue (admin resend) and the recovery queries. */
  messages: SqliteMessageRepo;
  /** The core's ConversationRepo plus paging for the admin API. */
  conversations: SqliteConversationRepo;
  sendLedger: SendLedgerRepo;
  chatChannels: ChatChannelRepo;
  /** Raw chat events stored before the platform is answered (replayed after a crash). */
  chatInbox: ChatInboxRepo;
  /** The database file this store was opened on. */
  readonly file: string;
  /** Schema version of the open database. */
  schemaVersion(): Promise<number>;
  /** The background WAL checkpointer, when opened with one (diagnostics and tests). */
  readonly checkpointer: BackgroundCheckpointer | null;
  /** The underlying connection, for tests and diagnostics only. */
  readonly db: Database.Database;
}

const systemClock: Clock = { now: () => new Date() };

export function openStore(opts: OpenStoreOptions): SqliteStore {
  if (opts.file !== ':memory:') mkdirSync(dirname(opts.file), { recursive: true });
  const db = new Database(opts.file);
  try {
    // busy_timeout first: the journal-mode switch itself may wait for another connection.
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    const now = makeNow(opts.clock ?? systemClock);
    migrate(db, MIGRATIONS, { file: opts.file, now, logger: opts.logger });
    const checkpointer =
      opts.backgroundCheckpoint && opts.file !== ':memory:'
        ? startBackgroundCheckpointer(opts.file, typeof opts.backgroundCheckpoint === 'object' ? opts.backgroundCheckpoint : {})
        : null;
    return buildStore(db, opts.file, { db, now }, checkpointer);
  } catch (err) {
    db.close();
    throw err;
  }
}

function buildStore(db: Database.Database, file: string, ctx: RepoContext, checkpointer: BackgroundCheckpointer | null): SqliteStore {
  const ping = db.prepare('SELECT 1 AS ok');
  const version = db.prepare<[], { v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
  const gate = new SqliteGate(db);
  const dctx: DbContext = { db: sqliteDb(db, gate), now: ctx.now };
  const wrap = <T extends object>(repo: Parameters<typeof asyncRepo<T>>[0]): T => asyncRepo<T>(repo, gate);
  return {
    numbers: createNumberRepo(dctx),
    mappings: createMappingRepo(dctx),
    conversations: wrap(createConversationRepo(ctx)),
    threads: wrap(createThreadRepo(ctx)),
    messages: wrap(createMessageRepo(ctx)),
    media: wrap(createMediaRepo(ctx)),
    posts: wrap(createPostRepo(ctx)),
    optOuts: createOptOutRepo(dctx),
    policy: createPolicyRepo(dctx),
    users: createUserRepo(dctx),
    audit: createAuditRepo(dctx),
    outbox: createOutboxRepo(dctx),
    sendLedger: wrap(createSendLedgerRepo(ctx)),
    chatChannels: createChatChannelRepo(dctx),
    chatInbox: createChatInboxRepo(dctx),
    file,
    db,
    // A nested call is a savepoint: an inner failure the caller catches undoes only the inner work.
    transaction: <T>(fn: () => Promise<T>): Promise<T> => gate.transaction(fn),
    async ping() {
      try {
        return db.open && (await gate.run(() => ping.get() as { ok: number } | undefined))?.ok === 1;
      } catch {
        return false;
      }
    },
    schemaVersion: () => gate.run(() => version.get()?.v ?? 0),
    checkpointer,
    async close() {
      // The worker's connection first: the last connection to close folds the WAL back.
      checkpointer?.stop();
      if (db.open) db.close();
    },
  };
}
