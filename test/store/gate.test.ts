// The SQLite gate (src/infra/store/sqlite/gate.ts): calls that wait behind an open transaction
// all get their turn. Before the fix, two or more waiters took turns sending each other to the
// back of the queue forever (the process ran out of memory).
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { SqliteGate } from '../../src/infra/store/sqlite/gate.js';

it('calls that waited behind a transaction all run once it ends', async () => {
  const db = new Database(':memory:');
  const gate = new SqliteGate(db);
  db.exec('CREATE TABLE t (n INTEGER)');
  const insert = db.prepare('INSERT INTO t (n) VALUES (?)');
  let end!: () => void;
  const open = gate.transaction(() => new Promise<void>((r) => (end = r)));
  await new Promise((r) => setTimeout(r, 5));
  const waiting = [1, 2, 3].map((n) => gate.run(() => insert.run(n)));
  end();
  await open;
  await Promise.all(waiting);
  expect((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n).toBe(3);
  db.close();
}, 5000);

it('several calls waiting behind transactions all run, in a bounded time', async () => {
  const db = new Database(':memory:');
  const gate = new SqliteGate(db);
  db.exec('CREATE TABLE t (n INTEGER)');
  const insert = db.prepare('INSERT INTO t (n) VALUES (?)');
  const tick = () => new Promise((r) => setTimeout(r, 1));
  const work: Promise<unknown>[] = [];
  for (let i = 0; i < 20; i++) {
    work.push(
      gate.transaction(async () => {
        await gate.run(() => insert.run(i));
        await tick();
      }),
    );
    work.push(gate.run(() => insert.run(100 + i)));
    work.push(gate.run(() => insert.run(200 + i)));
  }
  await Promise.all(work);
  expect((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n).toBe(60);
  db.close();
}, 5000);
