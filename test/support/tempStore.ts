// A real store for integration tests: a SQLite store on a fresh temp file (WAL, real migrations),
// or, with TEST_STORE=postgres, a PostgreSQL store on a fresh schema of the test file's database
// (see testDatabase.ts). `reopen()` closes the current store and opens the same database again
// (restart tests); `cleanup()` closes every store it opened and deletes the folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../src/core/ports.js';
import { openStore, type BridgeStore } from '../../src/infra/store/index.js';
import { freshPostgresUrl, TEST_ENGINE } from './testDatabase.js';

export interface TempStore {
  /** The currently open store (replaced by `reopen()`). */
  store: BridgeStore;
  /** Database file path (SQLite; on Postgres the folder exists, the file is never made). */
  path: string;
  /** The Postgres URL the store runs on; null on SQLite. */
  databaseUrl: string | null;
  /** Temp folder holding the file (and its -wal/-shm). */
  dir: string;
  /** Close the current store and open the same database again; returns the new store. */
  reopen(): Promise<BridgeStore>;
  /** Open one more store on the same database (closed by cleanup). */
  openAnother(): Promise<BridgeStore>;
  cleanup(): Promise<void>;
}

export async function createTempStore(opts: { clock?: Clock; logger?: (msg: string) => void } = {}): Promise<TempStore> {
  const dir = mkdtempSync(join(tmpdir(), 'sms-bridge-store-'));
  const path = join(dir, 'sms-bridge.db');
  const databaseUrl = TEST_ENGINE === 'postgres' ? await freshPostgresUrl() : null;
  const opened: BridgeStore[] = [];
  const open = async (): Promise<BridgeStore> => {
    const s = await openStore({ file: path, databaseUrl, clock: opts.clock, logger: opts.logger });
    opened.push(s);
    return s;
  };

  const temp: TempStore = {
    store: await open(),
    path,
    databaseUrl,
    dir,
    async reopen() {
      await temp.store.close();
      temp.store = await open();
      return temp.store;
    },
    openAnother: open,
    async cleanup() {
      for (const s of opened) await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return temp;
}
