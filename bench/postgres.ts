// Postgres for benches: DATABASE_URL, or a fresh database on the local server, dropped after.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore, type BridgeStore } from '../src/infra/store/index.js';

export /** A Postgres URL for the bench: DATABASE_URL, or a fresh database (dropped by `drop`). */
async function postgresUrl(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, drop: async () => {} };
  const admin = 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `sms_bridge_bench_${randomBytes(4).toString('hex')}`;
  const run = async (sql: string) => {
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await run(`CREATE DATABASE ${name}`);
  return { url: `postgres://postgres@127.0.0.1:5432/${name}`, drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/**
 * The store a bench runs on: the SQLite file given, or with BENCH_STORE=postgres a fresh Postgres
 * database (`release` closes the store and drops it).
 */
export async function openBenchStore(file: string): Promise<{ store: BridgeStore; engine: string; release: () => Promise<void> }> {
  if (process.env.BENCH_STORE === 'postgres') {
    const pgdb = await postgresUrl();
    const store = await openStore({ databaseUrl: pgdb.url });
    return { store, engine: 'postgres', release: async () => { await store.close(); await pgdb.drop(); } };
  }
  const store = await openStore({ file, backgroundCheckpoint: true });
  return { store, engine: 'sqlite', release: () => store.close() };
}
