// The PostgreSQL Db driver and migrations (src/infra/store/postgres, migrate.ts) against a real
// server: a fresh database for this file (test/support/testDatabase.ts). Skipped where no server
// answers on 127.0.0.1:5432, except in CI, which starts one (.ci/run).
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { LATEST_VERSION, MIGRATIONS, openStore, SchemaTooNewError } from '../../src/infra/store/index.js';
import { migratePostgres } from '../../src/infra/store/migrate.js';
import { PG_MIGRATIONS } from '../../src/infra/store/migrations/postgres/index.js';
import { numberPlaceholders, postgresDb, type PostgresDb } from '../../src/infra/store/postgres/driver.js';
import { dropTestDatabase, freshPostgresUrl, TEST_PG_ADMIN_URL } from '../support/testDatabase.js';

async function serverAnswers(): Promise<boolean> {
  const c = new pg.Client({ connectionString: TEST_PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}
const available = (await serverAnswers()) || process.env.CI === 'true';

const opened: PostgresDb[] = [];
afterAll(async () => {
  for (const db of opened) await db.close();
  await dropTestDatabase();
});

async function freshDb(max = 4): Promise<PostgresDb> {
  const db = postgresDb({ connectionString: await freshPostgresUrl(), max });
  opened.push(db);
  return db;
}

const now = () => new Date().toISOString();
// node-postgres' own Client#query, for a test that records what is sent through it.
const originalQuery = pg.Client.prototype.query;

describe('DATABASE_URL and DATABASE_POOL_SIZE', () => {
  it('default to SQLite and a pool of 10; take postgres:// and postgresql:// URLs only', () => {
    expect(loadConfig({})).toMatchObject({ databaseUrl: null, databasePoolSize: 10 });
    expect(loadConfig({ DATABASE_URL: 'postgresql://u:p@db:5432/sms', DATABASE_POOL_SIZE: '4' })).toMatchObject({
      databaseUrl: 'postgresql://u:p@db:5432/sms',
      databasePoolSize: 4,
    });
    expect(loadConfig({ DATABASE_URL: 'postgres://db/sms' }).databaseUrl).toBe('postgres://db/sms');
    expect(() => loadConfig({ DATABASE_URL: 'mysql://db/sms' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ DATABASE_POOL_SIZE: '0' })).toThrow(/DATABASE_POOL_SIZE/);
  });
});

describe('numberPlaceholders', () => {
  it('numbers ? in order and leaves strings, identifiers, comments and dollar quotes alone', () => {
    const sql = `SELECT '?', "a?b", E'it\\'s ?', $$ ? $$, $t$ ? $t$ -- ? here
      /* ? /* nested ? */ ? */ FROM t WHERE a = ? AND b LIKE ? ESCAPE '\\' AND c = ?`;
    const { text, count } = numberPlaceholders(sql);
    expect(count).toBe(3);
    expect(text).toContain(`WHERE a = $1 AND b LIKE $2 ESCAPE '\\' AND c = $3`);
    expect(text).toContain(`SELECT '?', "a?b", E'it\\'s ?', $$ ? $$, $t$ ? $t$ -- ? here`);
    expect(text).toContain('/* ? /* nested ? */ ? */');
  });

  it("handles doubled quotes and a quote at the end", () => {
    expect(numberPlaceholders(`SELECT 'it''s ?' , ?`).text).toBe(`SELECT 'it''s ?' , $1`);
    expect(numberPlaceholders(`? = 'x'`).text).toBe(`$1 = 'x'`);
  });
});

describe.skipIf(!available)('postgres driver', () => {
  it('runs queries with ? params, BIGINT as numbers, booleans as 1/0, BYTEA as Buffer', async () => {
    const db = await freshDb();
    await db.exec(`CREATE TABLE t (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, ms BIGINT, flag INTEGER, data BYTEA, note TEXT)`);
    const inserted = await db.all<{ id: number }>('INSERT INTO t (ms, flag, data, note) VALUES (?, ?, ?, ?) RETURNING id', [
      1_780_000_000_123,
      true,
      Buffer.from([0, 1, 255]),
      "what's ?",
    ]);
    expect(inserted).toEqual([{ id: 1 }]);
    const row = await db.get('SELECT * FROM t WHERE id = ?', [1]);
    expect(row).toEqual({ id: 1, ms: 1_780_000_000_123, flag: 1, data: Buffer.from([0, 1, 255]), note: "what's ?" });
    expect(await db.get('SELECT COUNT(*) AS n, SUM(ms) AS s FROM t')).toEqual({ n: 1, s: 1_780_000_000_123 });
    expect(await db.get('SELECT * FROM t WHERE id = ?', [2])).toBeUndefined();
    expect(await db.run('UPDATE t SET flag = ? WHERE id = ?', [false, 1])).toEqual({ changes: 1 });
    expect(await db.run('DELETE FROM t WHERE id = ? RETURNING id', [1])).toEqual({ changes: 1 });
    // The process-wide parsers are untouched: another pg client still gets BIGINT as text.
    const plain = new pg.Client({ connectionString: TEST_PG_ADMIN_URL });
    await plain.connect();
    expect((await plain.query('SELECT 1::bigint AS n')).rows[0]).toEqual({ n: '1' });
    await plain.end();
  });

  it('refuses a BIGINT beyond the safe integer range rather than rounding it', async () => {
    const db = await freshDb();
    await expect(db.get('SELECT 9007199254740993::bigint AS n')).rejects.toThrow(/safe range/);
  });

  it('commits a transaction, rolls one back on error, and joins calls made inside it', async () => {
    const db = await freshDb();
    await db.exec('CREATE TABLE k (v TEXT PRIMARY KEY)');
    await db.transaction(async () => {
      expect(db.inTransaction()).toBe(true);
      await db.run('INSERT INTO k VALUES (?)', ['a']);
      const inner = async () => db.get('SELECT COUNT(*) AS n FROM k');
      expect(await inner()).toEqual({ n: 1 });
    });
    expect(db.inTransaction()).toBe(false);
    await expect(
      db.transaction(async () => {
        await db.run('INSERT INTO k VALUES (?)', ['b']);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.all('SELECT v FROM k ORDER BY v')).toEqual([{ v: 'a' }]);
  });

  it('a nested transaction is a savepoint: its failure undoes only its part', async () => {
    const db = await freshDb();
    await db.exec('CREATE TABLE k (v TEXT PRIMARY KEY)');
    await db.transaction(async () => {
      await db.run('INSERT INTO k VALUES (?)', ['outer']);
      await expect(
        db.transaction(async () => {
          await db.run('INSERT INTO k VALUES (?)', ['inner']);
          throw new Error('inner fails');
        }),
      ).rejects.toThrow('inner fails');
      await db.transaction(async () => {
        await db.run('INSERT INTO k VALUES (?)', ['inner2']);
      });
    });
    expect(await db.all('SELECT v FROM k ORDER BY v')).toEqual([{ v: 'inner2' }, { v: 'outer' }]);
  });

  it('a unique violation caught under db.savepoint does not abort the transaction (as on SQLite)', async () => {
    const db = await freshDb();
    await db.exec('CREATE TABLE k (v TEXT PRIMARY KEY)');
    await db.transaction(async () => {
      await db.run('INSERT INTO k VALUES (?)', ['x']);
      await expect(db.savepoint(() => db.run('INSERT INTO k VALUES (?)', ['x']))).rejects.toMatchObject({ code: '23505' });
      await db.run('INSERT INTO k VALUES (?)', ['y']);
    });
    expect(await db.all('SELECT v FROM k ORDER BY v')).toEqual([{ v: 'x' }, { v: 'y' }]);
  });

  it('a plain write that fails inside a transaction ends it: nothing of it is committed', async () => {
    const db = await freshDb();
    await db.exec('CREATE TABLE k (v TEXT PRIMARY KEY)');
    await db.run('INSERT INTO k VALUES (?)', ['x']);
    await expect(
      db.transaction(async () => {
        await db.run('INSERT INTO k VALUES (?)', ['y']);
        await db.run('INSERT INTO k VALUES (?)', ['x']).catch(() => undefined);
        // Postgres refuses everything after the failed statement until the transaction ends.
        await db.run('INSERT INTO k VALUES (?)', ['z']);
      }),
    ).rejects.toMatchObject({ code: '25P02' });
    expect(await db.all('SELECT v FROM k ORDER BY v')).toEqual([{ v: 'x' }]);
  });

  it('a write inside a transaction is one round trip (no savepoint around it)', async () => {
    const db = await freshDb();
    await db.exec('CREATE TABLE k (v TEXT PRIMARY KEY)');
    const sent: string[] = [];
    // Records each text node-postgres sends (one round trip each) and sends it as usual.
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const first = args[0] as string | { text: string };
      sent.push(typeof first === 'string' ? first : first.text);
      return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof originalQuery;
    try {
      await db.transaction(async () => {
        await db.run('INSERT INTO k VALUES (?)', ['a']);
        await db.run('UPDATE k SET v = ? WHERE v = ?', ['b', 'a']);
      });
    } finally {
      pg.Client.prototype.query = originalQuery;
    }
    expect(sent).toEqual(['BEGIN', 'INSERT INTO k VALUES ($1)', 'UPDATE k SET v = $1 WHERE v = $2', 'COMMIT']);
  });

  it('keeps concurrent transactions apart: each sees only its own uncommitted rows', async () => {
    const db = await freshDb(4);
    await db.exec('CREATE TABLE k (v TEXT PRIMARY KEY)');
    let releaseA!: () => void;
    const aWrote = new Promise<void>((resolve) => (releaseA = resolve));
    let finishA!: () => void;
    const aMayFinish = new Promise<void>((resolve) => (finishA = resolve));
    const a = db.transaction(async () => {
      await db.run('INSERT INTO k VALUES (?)', ['a']);
      releaseA();
      await aMayFinish;
      return db.all('SELECT v FROM k ORDER BY v');
    });
    await aWrote;
    // Outside a's async context: another connection, which does not see a's row yet.
    expect(db.inTransaction()).toBe(false);
    expect(await db.all('SELECT v FROM k')).toEqual([]);
    const b = db.transaction(async () => {
      await db.run('INSERT INTO k VALUES (?)', ['b']);
      return db.all('SELECT v FROM k ORDER BY v');
    });
    expect(await b).toEqual([{ v: 'b' }]);
    finishA();
    expect(await a).toEqual([{ v: 'a' }, { v: 'b' }]);
    // Many at once on a small pool: each commits its own row.
    await Promise.all(Array.from({ length: 20 }, (_, i) => db.transaction(() => db.run('INSERT INTO k VALUES (?)', [`n${i}`]))));
    expect(await db.get('SELECT COUNT(*) AS n FROM k')).toEqual({ n: 22 });
  });

  it('surfaces a deadlock (40P01) instead of re-running the transaction', async () => {
    const db = await freshDb(4);
    await db.exec("CREATE TABLE k (v TEXT PRIMARY KEY, n INTEGER); INSERT INTO k VALUES ('a', 0), ('b', 0)");
    let runs = 0;
    const step = (first: string, second: string, ready: Promise<void>, signal: () => void) =>
      db.transaction(async () => {
        runs++;
        await db.run('UPDATE k SET n = n + 1 WHERE v = ?', [first]);
        signal();
        await ready;
        await db.run('UPDATE k SET n = n + 1 WHERE v = ?', [second]);
      });
    let s1!: () => void;
    let s2!: () => void;
    const r1 = new Promise<void>((r) => (s1 = r));
    const r2 = new Promise<void>((r) => (s2 = r));
    const results = await Promise.allSettled([step('a', 'b', r2, s1), step('b', 'a', r1, s2)]);
    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed).toHaveLength(1);
    expect((failed[0] as PromiseRejectedResult).reason).toMatchObject({ code: '40P01' });
    expect(runs).toBe(2);
    expect(await db.all('SELECT n FROM k ORDER BY v')).toEqual([{ n: 1 }, { n: 1 }]);
  });

  it('close() may be called twice', async () => {
    const db = postgresDb({ connectionString: await freshPostgresUrl() });
    await db.get('SELECT 1 AS x');
    await db.close();
    await db.close();
  });
});

describe.skipIf(!available)('postgres migrations', () => {
  it('mirror the SQLite versions and names', () => {
    expect(PG_MIGRATIONS.map((m) => [m.version, m.name])).toEqual(MIGRATIONS.map((m) => [m.version, m.name]));
  });

  it('two stores opening one database at once apply each migration once', async () => {
    const url = await freshPostgresUrl();
    const lines: string[] = [];
    const [a, b] = await Promise.all([
      openStore({ databaseUrl: url, logger: (l) => lines.push(`a ${l}`) }),
      openStore({ databaseUrl: url, logger: (l) => lines.push(`b ${l}`) }),
    ]);
    try {
      expect(a.engine).toBe('postgres');
      expect(lines).toHaveLength(MIGRATIONS.length);
      const rows = await a.sql.all<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version');
      expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
      expect(await b.schemaVersion()).toBe(LATEST_VERSION);
      expect(await a.ping()).toBe(true);
      expect(() => a.db).toThrow(/PostgreSQL/);
    } finally {
      await a.close();
      await b.close();
    }
    expect(await a.ping()).toBe(false);
  });

  it('creates the schema SQLite has: seq identities, lower_ascii, partial unique indexes', async () => {
    const url = await freshPostgresUrl();
    const store = await openStore({ databaseUrl: url });
    try {
      const db = store.sql;
      expect(await db.get("SELECT lower_ascii('ÀBC-Ξ') AS v")).toEqual({ v: 'Àbc-Ξ' });
      await db.run("INSERT INTO conversations (id, number, contact, created_at) VALUES ('c1', '+1', '+2', ?)", [now()]);
      await db.run("INSERT INTO conversations (id, number, contact, created_at) VALUES ('c2', '+1', '+3', ?)", [now()]);
      expect(await db.all('SELECT id, seq FROM conversations ORDER BY seq')).toEqual([
        { id: 'c1', seq: 1 },
        { id: 'c2', seq: 2 },
      ]);
      await expect(db.run("INSERT INTO conversations (id, number, contact, created_at) VALUES ('c3', '+1', '+2', ?)", [now()])).rejects.toMatchObject({
        code: '23505',
      });
      const ins = "INSERT INTO mappings (id, number, platform, channel, created_at, removed_at) VALUES (?, '+1', 'slack', 'C1', ?, ?)";
      await db.run(ins, ['m1', now(), now()]);
      await db.run(ins, ['m2', now(), null]);
      await expect(db.run(ins, ['m3', now(), null])).rejects.toMatchObject({ code: '23505' });
      await expect(
        db.run("INSERT INTO users (platform, user_id, sms_enabled, admin, updated_at) VALUES ('slack', 'U', 2, 0, ?)", [now()]),
      ).rejects.toMatchObject({ code: '23514' });
      const audit = await db.all<{ id: number }>(
        "INSERT INTO audit_log (at, actor, action, target) VALUES (?, 'a', 'x', 't'), (?, 'a', 'y', 't') RETURNING id",
        [now(), now()],
      );
      expect(audit).toEqual([{ id: 1 }, { id: 2 }]);
      const ob = "INSERT INTO outbox (lane, conversation_id, message_id, state, due_at, created_at, updated_at) VALUES ('send', 'c1', 'x', 'ready', ?, ?, ?) ON CONFLICT DO NOTHING";
      expect(await db.run(ob, [Date.now(), now(), now()])).toEqual({ changes: 1 });
      expect(await db.run(ob, [Date.now(), now(), now()])).toEqual({ changes: 0 });
      expect(await db.get('SELECT due_at FROM outbox')).toEqual({ due_at: expect.any(Number) });
    } finally {
      await store.close();
    }
  });

  it('a failing migration leaves nothing behind, and a newer database is refused', async () => {
    const url = await freshPostgresUrl();
    const db = postgresDb({ connectionString: url });
    opened.push(db);
    const broken = [...PG_MIGRATIONS, { version: LATEST_VERSION + 1, name: 'broken', sql: 'CREATE TABLE half_done (x INTEGER); SELECT * FROM no_such_table;' }];
    await expect(migratePostgres(db, broken, { label: 'test', now })).rejects.toThrow(/no_such_table/);
    expect(await db.get("SELECT to_regclass('half_done') AS t")).toEqual({ t: null });
    expect(await db.get('SELECT MAX(version) AS v FROM schema_migrations')).toEqual({ v: LATEST_VERSION });

    await db.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [LATEST_VERSION + 1, 'from_the_future', now()]);
    const err = await openStore({ databaseUrl: url }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SchemaTooNewError);
    expect((err as Error).message).toContain(`schema version ${LATEST_VERSION + 1}`);
    expect((err as Error).message).toContain('DATABASE_URL');
  });
});
