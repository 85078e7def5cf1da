// A real SQLite store on a fresh temp file (WAL, real migrations) for integration tests.
// `reopen()` closes the current store and opens the same file again (restart tests); `cleanup()`
// closes every store it opened and deletes the folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../src/core/ports.js';
import { openStore, type SqliteStore } from '../../src/infra/store/index.js';

export interface TempStore {
  /** The currently open store (replaced by `reopen()`). */
  store: SqliteStore;
  /** Database file path. */
  path: string;
  /** Temp folder holding the file (and its -wal/-shm). */
  dir: string;
  /** Close the current store and open the same file again; returns the new store. */
  reopen(): Promise<SqliteStore>;
  /** Open one more connection to the same file (closed by cleanup). */
  openAnother(): SqliteStore;
  cleanup(): Promise<void>;
}

export function createTempStore(opts: { clock?: Clock; logger?: (msg: string) => void } = {}): TempStore {
  const dir = mkdtempSync(join(tmpdir(), 'sms-bridge-store-'));
  const path = join(dir, 'sms-bridge.db');
  const opened: SqliteStore[] = [];
  const open = (): SqliteStore => {
    const s = openStore({ file: path, clock: opts.clock, logger: opts.logger });
    opened.push(s);
    return s;
  };

  const temp: TempStore = {
    store: open(),
    path,
    dir,
    async reopen() {
      await temp.store.close();
      temp.store = open();
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
