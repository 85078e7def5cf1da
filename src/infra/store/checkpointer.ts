// WAL checkpoints off the event loop: a worker thread with its own connection to the database
// file copies committed WAL frames into the database every few tens of milliseconds.
//
// Why: in WAL mode with synchronous=NORMAL a commit does not fsync, but a checkpoint fsyncs the
// WAL and then the database file. Run by the writing connection (SQLite's auto-checkpoint, every
// 1000 WAL pages), that is a 15-20 ms synchronous stall on this kind of disk every ~140 inbound
// messages, during which no webhook is answered. The worker takes the fsyncs; the main
// connection keeps its auto-checkpoint, which then finds almost everything already copied and
// synced (a cheap catch-up) and, being the writer, lets the next commit restart the WAL from the
// beginning so the file does not grow without bound. If the worker fails, nothing changes but
// speed: the auto-checkpoint does all the work again, as without it.
//
// The worker is plain CommonJS evaluated in the thread (no TypeScript loader needed there); the
// loop sleeps on Atomics.wait so stop() can wake it and wait for its connection to close
// synchronously (store.close() is synchronous, and the main connection must close last to fold
// the WAL back and remove it).
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.sqlitePath);
const state = new Int32Array(workerData.state);
let db = null;
try {
  db = new Database(workerData.file, { fileMustExist: true });
  db.pragma('busy_timeout = 0');
  while (Atomics.load(state, 0) === 0) {
    try {
      // PASSIVE never waits for or blocks the writer: it copies what it can and returns.
      const [r] = db.pragma('wal_checkpoint(PASSIVE)');
      Atomics.add(state, 2, r && r.checkpointed > 0 ? 1 : 0);
    } catch {
      // Busy or a transient I/O error: the next round (or the auto-checkpoint) catches up.
    }
    Atomics.wait(state, 0, 0, workerData.intervalMs);
  }
} finally {
  try { if (db) db.close(); } catch {}
  Atomics.store(state, 1, 1);
  Atomics.notify(state, 1);
}
`;

export interface BackgroundCheckpointer {
  /** Rounds that copied at least one frame so far (for tests and diagnostics). */
  rounds(): number;
  /** True while the worker runs (false once stopped or after it failed). */
  running(): boolean;
  /** Stops the worker and waits (up to `timeoutMs`) until its connection is closed. */
  stop(timeoutMs?: number): void;
}

export interface CheckpointerOptions {
  /** Pause between two checkpoint rounds, ms (default 25). */
  intervalMs?: number;
  /** Told once if the worker fails (the main connection's auto-checkpoint goes on alone). */
  onError?: (err: Error) => void;
}

export function startBackgroundCheckpointer(file: string, opts: CheckpointerOptions = {}): BackgroundCheckpointer {
  // [0] stop requested, [1] stopped, [2] rounds that copied frames.
  const state = new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
  const sqlitePath = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file, sqlitePath, state: state.buffer, intervalMs: opts.intervalMs ?? 25 },
  });
  // Never keeps the process alive on its own.
  worker.unref();
  let failed = false;
  worker.on('error', (err) => {
    failed = true;
    opts.onError?.(err);
  });
  return {
    rounds: () => Atomics.load(state, 2),
    running: () => !failed && Atomics.load(state, 1) === 0,
    stop(timeoutMs = 5000) {
      if (failed || Atomics.load(state, 1) === 1) {
        void worker.terminate();
        return;
      }
      Atomics.store(state, 0, 1);
      Atomics.notify(state, 0);
      // A round in progress finishes first (a checkpoint is a few fsyncs, well under a second).
      Atomics.wait(state, 1, 0, timeoutMs);
      void worker.terminate();
    },
  };
}
