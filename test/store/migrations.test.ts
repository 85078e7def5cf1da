import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { ConfigError } from '../../src/core/errors.js';
import { LATEST_VERSION, openStore, SchemaTooNewError } from '../../src/infra/store/index.js';
import { MIGRATIONS } from '../../src/infra/store/migrations/index.js';
import { migrate } from '../../src/infra/store/migrate.js';
import { createTempStore, type TempStore } from '../support/tempStore.js';
import { TEST_ENGINE } from '../support/testDatabase.js';

let temp: TempStore | undefined;
afterEach(async () => {
  await temp?.cleanup();
  temp = undefined;
});

// SQLite's file, pragmas and migrate(); the Postgres counterparts are in postgres.test.ts.
describe.skipIf(TEST_ENGINE === 'postgres')('opening the store', () => {
  it('runs SQLite in WAL mode with foreign keys, a busy timeout and synchronous=NORMAL', async () => {
    temp = await createTempStore();
    const { db } = temp.store;
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    // 1 = NORMAL
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
  });

  it('creates the database folder when it does not exist yet', async () => {
    temp = await createTempStore();
    const nested = await openStore({ file: `${temp.dir}/deeper/still/bridge.db` });
    expect(await nested.ping()).toBe(true);
    await nested.close();
  });

  it('applies every migration once, records it, and logs what it applied', async () => {
    const lines: string[] = [];
    temp = await createTempStore({ logger: (l) => lines.push(l) });
    const rows = temp.store.db.prepare('SELECT version, name, applied_at FROM schema_migrations').all();
    expect(rows).toHaveLength(MIGRATIONS.length);
    expect(rows[0]).toMatchObject({ version: 1, name: 'initial' });
    expect(await temp.store.schemaVersion()).toBe(LATEST_VERSION);
    expect(lines).toEqual(MIGRATIONS.map((m) => `store: applied migration ${String(m.version).padStart(3, '0')}_${m.name}`));
    expect(lines[0]).toBe('store: applied migration 001_initial');
  });

  it('re-opening an up-to-date database applies nothing and keeps one record per migration', async () => {
    const lines: string[] = [];
    temp = await createTempStore({ logger: (l) => lines.push(l) });
    lines.length = 0;
    await temp.reopen();
    const again = await temp.reopen();
    expect(lines).toEqual([]);
    const count = again.db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get() as { n: number };
    expect(count.n).toBe(MIGRATIONS.length);
    expect(await again.schemaVersion()).toBe(LATEST_VERSION);
  });

  it('refuses a database whose schema is newer than the code knows, with a clear error', async () => {
    temp = await createTempStore();
    temp.store.db
      .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
      .run(LATEST_VERSION + 1, 'from_the_future', new Date().toISOString());
    await temp.store.close();
    let error: unknown;
    try {
      await openStore({ file: temp.path });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SchemaTooNewError);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(`schema version ${LATEST_VERSION + 1}`);
    expect((error as Error).message).toContain(`(${LATEST_VERSION})`);
  });

  it('ping says false once the store is closed', async () => {
    temp = await createTempStore();
    expect(await temp.store.ping()).toBe(true);
    await temp.store.close();
    expect(await temp.store.ping()).toBe(false);
  });

  it('a migration that fails leaves the database unchanged (one transaction per migration)', async () => {
    const t = (temp = await createTempStore());
    await t.store.close();
    // Every known schema is applied; the code now carries one more that fails halfway through.
    const conn = new Database(t.path);
    const before = conn.prepare('SELECT COUNT(*) AS n FROM sqlite_master').get() as { n: number };
    try {
      expect(() =>
        migrate(
          conn,
          [
            ...MIGRATIONS.map((m) => ({ ...m, sql: '' })),
            { version: LATEST_VERSION + 1, name: 'broken', sql: 'CREATE TABLE half_done (x INTEGER); SELECT * FROM no_such_table;' },
          ],
          { file: t.path, now: () => new Date().toISOString() },
        ),
      ).toThrow(/no_such_table/);
      const after = conn.prepare('SELECT COUNT(*) AS n FROM sqlite_master').get() as { n: number };
      expect(after.n).toBe(before.n);
      expect(conn.prepare('SELECT version FROM schema_migrations').all()).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
    } finally {
      conn.close();
    }
  });
});
