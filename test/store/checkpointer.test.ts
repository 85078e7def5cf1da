// WAL checkpoints in a worker thread (the bridge opens its store this way): committed writes reach
// the database file without the writing connection checkpointing, nothing is lost, and close()
// stops the worker before the main connection folds the WAL back and removes it.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type BridgeStore } from '../../src/infra/store/index.js';
import { waitUntil } from '../support/wait.js';

let dir: string;
let store: BridgeStore | null = null;

afterEach(async () => {
  await store?.close();
  store = null;
  rmSync(dir, { recursive: true, force: true });
});

async function open(file: string, backgroundCheckpoint: boolean): Promise<BridgeStore> {
  return await openStore({ file, backgroundCheckpoint: backgroundCheckpoint ? { intervalMs: 10 } : false });
}

async function writeMessages(s: BridgeStore, n: number, from = 0): Promise<void> {
  const number = '+14155552671';
  if (!await s.numbers.get(number)) await s.numbers.create({ e164: number, provider: 'twilio', type: 'local', status: 'active', country: 'US' });
  for (let i = from; i < from + n; i++) {
    const { conversation } = await s.conversations.getOrCreate(number, `+1212555${String(2000 + (i % 50)).padStart(4, '0')}`);
    await s.messages.insert({
      conversationId: conversation.id,
      direction: 'inbound',
      body: `message ${i}`,
      status: 'received',
      provider: 'twilio',
      providerMessageId: `SM${i}`,
      encoding: 'GSM-7',
      segments: 1,
      otherRecipients: [],
      createdAt: new Date().toISOString(),
    });
  }
}

/** 300 messages written with the writer's own auto-checkpoint off; file sizes before and after. */
async function writeWithoutWriterCheckpoints(backgroundCheckpoint: boolean): Promise<{ file: string; before: number }> {
  dir = mkdtempSync(join(tmpdir(), 'sms-bridge-ckpt-'));
  const file = join(dir, 'bridge.db');
  store = await open(file, backgroundCheckpoint);
  // Only the worker (if any) can move pages from the WAL into the file.
  store.db.pragma('wal_autocheckpoint = 0');
  const before = statSync(file).size;
  await writeMessages(store, 300);
  return { file, before };
}

describe('background WAL checkpointer', () => {
  it('copies committed writes into the database file while the writer never checkpoints itself', async () => {
    const { file, before } = await writeWithoutWriterCheckpoints(true);
    // The file grows while a round copies; the round is counted once its checkpoint returns.
    await waitUntil(() => statSync(file).size > before, 'the database file grows from the WAL');
    await waitUntil(() => (store?.checkpointer?.rounds() ?? 0) > 0, 'the round that copied them is counted');
    expect(store?.checkpointer?.running()).toBe(true);
  });

  it('without it the same writes stay in the WAL (the test above can fail)', async () => {
    const { file, before } = await writeWithoutWriterCheckpoints(false);
    await new Promise((r) => setTimeout(r, 200));
    expect(statSync(file).size).toBe(before);
    expect(store?.checkpointer).toBeNull();
  });

  it('close() stops the worker first, so the WAL is folded back and removed; every row is there after reopening', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sms-bridge-ckpt-'));
    const file = join(dir, 'bridge.db');
    store = await open(file, true);
    await writeMessages(store, 500);
    await waitUntil(() => (store?.checkpointer?.rounds() ?? 0) > 0, 'a checkpoint round');
    await writeMessages(store, 100, 500);
    const checkpointer = store.checkpointer;
    await store.close();
    store = null;
    expect(checkpointer?.running()).toBe(false);
    expect(existsSync(`${file}-wal`)).toBe(false);
    store = await open(file, false);
    const count = store.db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number };
    expect(count.n).toBe(600);
  });
});
