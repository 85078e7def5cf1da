// Which engine the store tests run on. TEST_STORE=postgres: each test file gets a fresh PostgreSQL
// database (sms_bridge_test_<random> on postgres@127.0.0.1:5432, or TEST_PG_URL's server), dropped
// after the file; each store a test asks for is a fresh schema in it (search_path), so tests in
// one file never see each other's rows. Otherwise: SQLite files, as always.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll } from 'vitest';

export type TestEngine = 'sqlite' | 'postgres';

export const TEST_ENGINE: TestEngine = process.env.TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

/** The server's maintenance database, used to create and drop the test databases. */
export const TEST_PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let database: Promise<string> | null = null;
let schemas = 0;

function urlFor(db: string, schema?: string): string {
  const u = new URL(TEST_PG_ADMIN_URL);
  u.pathname = `/${db}`;
  if (schema) u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>, url = TEST_PG_ADMIN_URL): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** This test file's database (created on first use). */
export function testDatabaseName(): Promise<string> {
  database ??= (async () => {
    const name = `sms_bridge_test_${randomBytes(6).toString('hex')}`;
    await admin((c) => c.query(`CREATE DATABASE ${name}`));
    return name;
  })();
  return database;
}

/** A URL whose connections see only a new, empty schema of this file's database. */
export async function freshPostgresUrl(): Promise<string> {
  const db = await testDatabaseName();
  const schema = `store_${++schemas}`;
  await admin((c) => c.query(`CREATE SCHEMA ${schema}`), urlFor(db));
  return urlFor(db, schema);
}

/** Drops this file's database (open connections included); safe when none was made. */
export async function dropTestDatabase(): Promise<void> {
  if (!database) return;
  const name = await database.catch(() => null);
  database = null;
  if (name) await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

if (TEST_ENGINE === 'postgres') afterAll(dropTestDatabase);
