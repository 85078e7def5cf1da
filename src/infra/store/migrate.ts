// Applies pending migrations at open, each in its own IMMEDIATE transaction (so two processes
// opening the same file at once cannot both apply one), and refuses a database written by a
// newer version of the code: running old code on a newer schema could silently lose data.
import type Database from 'better-sqlite3';
import { ConfigError } from '../../core/errors.js';
import type { Migration } from './migrations/index.js';

export class SchemaTooNewError extends ConfigError {
  readonly databaseVersion: number;
  readonly knownVersion: number;
  constructor(file: string, databaseVersion: number, knownVersion: number) {
    super(
      `database ${file} has schema version ${databaseVersion}, newer than this code knows ` +
        `(${knownVersion}); run a newer sms-bridge or point DATA_DIR elsewhere`,
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
