// Applies pending migrations at open, each in its own transaction, and refuses a database written
// by a newer version of the code: running old code on a newer schema could silently lose data.
// SQLite: IMMEDIATE transactions, so two processes opening the same file at once cannot both
// apply one. Postgres: each migration's transaction first takes a transaction-scoped advisory
// lock, so two instances starting at once apply each migration once (the second waits, then sees
// it recorded). Both engines record versions in schema_migrations; each engine has its own list
// (migrations/ and migrations/postgres/) with the same versions and names.
import type Database from 'better-sqlite3';
import { ConfigError } from '../../core/errors.js';
import type { Db } from './db.js';
import type { Migration } from './migrations/index.js';

export class SchemaTooNewError extends ConfigError {
  readonly databaseVersion: number;
  readonly knownVersion: number;
  constructor(file: string, databaseVersion: number, knownVersion: number, setting = 'DATA_DIR') {
    super(
      `database ${file} has schema version ${databaseVersion}, newer than this code knows ` +
        `(${knownVersion}); run a newer sms-bridge or point ${setting} elsewhere`,
    );
    this.databaseVersion = databaseVersion;
    this.knownVersion = knownVersion;
  }
}

export interface MigrationResult {
  /** Versions applied by this call (empty when the database was up to date). */
  applied: number[];
  version: number;
}

export function currentSchemaVersion(db: Database.Database): number {
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

export function migrate(
  db: Database.Database,
  migrations: readonly Migration[],
  opts: { file: string; now: () => string; logger?: (msg: string) => void },
): MigrationResult {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const known = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  const found = currentSchemaVersion(db);
  if (found > known) throw new SchemaTooNewError(opts.file, found, known);

  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?');
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const applied: number[] = [];
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (const m of sorted) {
    const apply = db.transaction(() => {
      // Re-checked inside the write lock: another process may have applied it meanwhile.
      if (isApplied.get(m.version)) return false;
      db.exec(m.sql);
      record.run(m.version, m.name, opts.now());
      return true;
    });
    if (apply.immediate()) {
      applied.push(m.version);
      opts.logger?.(`store: applied migration ${String(m.version).padStart(3, '0')}_${m.name}`);
    }
  }
  return { applied, version: currentSchemaVersion(db) };
}

/** Key of the advisory lock every migration transaction takes on Postgres ('smsb' in ASCII). */
export const MIGRATION_LOCK_KEY = 0x736d7362;

const PG_SCHEMA_MIGRATIONS = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`;

async function pgVersion(db: Db): Promise<number> {
  const row = await db.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
  return row?.v ?? 0;
}

/** The Postgres counterpart of migrate(); `label` names the database in errors (no password). */
export async function migratePostgres(
  db: Db,
  migrations: readonly Migration[],
  opts: { label: string; now: () => string; logger?: (msg: string) => void },
): Promise<MigrationResult> {
  const lock = (): Promise<unknown> => db.get(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY}) AS locked`);
  // Under the lock too: two CREATE TABLE IF NOT EXISTS racing each other can both try to create.
  await db.transaction(async () => {
    await lock();
    await db.exec(PG_SCHEMA_MIGRATIONS);
  });
  const known = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  const found = await pgVersion(db);
  if (found > known) throw new SchemaTooNewError(opts.label, found, known, 'DATABASE_URL');

  const applied: number[] = [];
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (const m of sorted) {
    const done = await db.transaction(async () => {
      await lock();
      // Re-checked under the lock: another instance may have applied it meanwhile.
      if (await db.get('SELECT 1 AS x FROM schema_migrations WHERE version = ?', [m.version])) return false;
      await db.exec(m.sql);
      await db.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, opts.now()]);
      return true;
    });
    if (done) {
      applied.push(m.version);
      opts.logger?.(`store: applied migration ${String(m.version).padStart(3, '0')}_${m.name}`);
    }
  }
  return { applied, version: await pgVersion(db) };
}
