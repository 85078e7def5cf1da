// Issue 4, behaviours 3 and 9: a worker killed with SIGKILL in the middle of a provider call.
// Another worker takes the dead one's conversations over (its heartbeat stopped); the send ledger
// makes sure no message reaches the provider twice. With an idempotent provider (8x8 clientMessageId) the repeat is safe and the
// message ends 'sent'; without one the outcome-unknown rule applies: not resent, 'failed'.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { OUTCOME_UNKNOWN_AFTER_CRASH } from '../../src/app/sendMessage.js';
import { createHarness, type Harness } from './support/harness.js';

const LOCAL = '+14152345678';
const script = fileURLToPath(new URL('./fixtures/sendWorkerProcess.ts', import.meta.url));

let h: Harness | null = null;
let child: ChildProcess | null = null;
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = null;
  await h?.close();
  h = null;
});

function startChild(x: Harness, idempotent: boolean): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, SMSB_DB: x.temp.path, SMSB_DATABASE_URL: x.temp.databaseUrl ?? '', SMSB_PREFIX: x.prefix, SMSB_FAKE_URL: x.fake.url, SMSB_IDEMPOTENT: idempotent ? '1' : '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    proc.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve(proc);
    });
    proc.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
  });
}

/**
 * Kills the worker process (SIGKILL), lets the provider answer again, and starts another worker,
 * which takes the dead one's conversations over once its heartbeat has expired.
 */
async function killAndTakeOver(x: Harness): Promise<void> {
  const exited = new Promise((r) => child!.once('exit', r));
  child!.kill('SIGKILL');
  await exited;
  x.fake.setScript(() => 'ok');
  await x.startWorker();
}

async function scenario(idempotent: boolean) {
  h = await createHarness({ worker: false, idempotent, sweepMs: 200 });
  await h.addNumber(LOCAL);
  // Two messages go through; the third is held open by the provider when the worker dies.
  h.fake.setScript((r) => (r.body === 'held' ? 'hold' : 'ok'));
  const ids: string[] = [];
  for (const [to, body] of [['+12123456781', 'one'], ['+12123456782', 'two'], ['+12123456783', 'held']] as const) {
    const r = await h.send(LOCAL, to, body);
    if (!r.ok) throw new Error('refused');
    ids.push(r.message.id);
  }
  child = await startChild(h, idempotent);
  await h.fake.waitForRequests(3, 20_000);
  await h.waitFor(async () => (await h!.message(ids[0]!)).status === 'sent' && (await h!.message(ids[1]!)).status === 'sent', 'first two sent');
  expect((await h.message(ids[2]!)).status).toBe('sending');
  expect((await h.temp.store.sendLedger.get(ids[2]!))?.state).toBe('calling');

  await killAndTakeOver(h);
  const after = await h.send(LOCAL, '+12123456784', 'after restart');
  if (!after.ok) throw new Error('refused');
  await h.waitFor(async () => (await h!.message(after.message.id)).status === 'sent', 'new message sent after restart', 20_000);
  await h.waitFor(async () => ['sent', 'failed'].includes((await h!.message(ids[2]!)).status), 'held message settled', 20_000);
  return { x: h, ids };
}

describe('worker killed mid-send (SIGKILL) then another worker', () => {
  it('non-idempotent provider: every message reaches the provider at most once; the one in flight is failed as outcome unknown, not resent', async () => {
    const { x, ids } = await scenario(false);
    const perBody = (b: string) => x.fake.requests.filter((r) => r.body === b).length;
    expect(perBody('one')).toBe(1);
    expect(perBody('two')).toBe(1);
    expect(perBody('held')).toBe(1);
    expect(perBody('after restart')).toBe(1);
    const held = await x.message(ids[2]!);
    expect(held.status).toBe('failed');
    expect(held.errorCode).toBe('outcome_unknown');
    expect(held.statusReason).toBe(OUTCOME_UNKNOWN_AFTER_CRASH);
  }, 40_000);

  it('idempotent provider: the message in flight is sent again with the same id and the provider sends it once', async () => {
    const { x, ids } = await scenario(true);
    const held = await x.message(ids[2]!);
    expect(held.status).toBe('sent');
    // The request was repeated with the same message id; the provider sent one SMS per message.
    expect(x.fake.requests.filter((r) => r.body === 'held').length).toBe(2);
    expect(x.fake.sent.map((r) => r.body).sort()).toEqual(['after restart', 'held', 'one', 'two']);
    expect(await x.temp.store.sendLedger.get(ids[2]!)).toMatchObject({ state: 'done', attempts: 2 });
  }, 40_000);
});

// The same kill in the middle of one conversation's burst: the dead worker held the conversation's
// lease. Once its heartbeat has expired, the other worker takes the conversation over from the
// message in flight (the ledger decides as above) and sends the one after it, in order.
async function burstScenario(idempotent: boolean) {
  h = await createHarness({ worker: false, idempotent, sweepMs: 200 });
  await h.addNumber(LOCAL);
  h.fake.setScript((r) => (r.body === 'a2' ? 'hold' : 'ok'));
  const ids = await h.acceptAll(LOCAL, '+12123456781', ['a1', 'a2', 'a3']);
  child = await startChild(h, idempotent);
  await h.fake.waitForRequests(2, 20_000);
  expect(h.fake.requests.map((r) => r.body)).toEqual(['a1', 'a2']);
  expect((await h.temp.store.sendLedger.get(ids[1]!))?.state).toBe('calling');

  await killAndTakeOver(h);
  await h.waitFor(async () => (await h!.message(ids[2]!)).status === 'sent', 'a3 sent after restart', 20_000);
  return { x: h, ids };
}

describe('worker killed (SIGKILL) in the middle of a conversation, then another worker', () => {
  it('non-idempotent provider: each message reaches the provider at most once, in order; the one in flight ends outcome unknown', async () => {
    const { x, ids } = await burstScenario(false);
    expect(x.fake.requests.map((r) => r.body)).toEqual(['a1', 'a2', 'a3']);
    expect((await x.message(ids[0]!)).status).toBe('sent');
    expect(await x.message(ids[1]!)).toMatchObject({ status: 'failed', errorCode: 'outcome_unknown' });
  }, 40_000);

  it('idempotent provider: the one in flight is sent again with the same id before the next; one SMS each', async () => {
    const { x, ids } = await burstScenario(true);
    expect(x.fake.requests.map((r) => r.body)).toEqual(['a1', 'a2', 'a2', 'a3']);
    expect(x.fake.sent.map((r) => r.body)).toEqual(['a1', 'a2', 'a3']);
    expect((await x.message(ids[1]!)).status).toBe('sent');
  }, 40_000);
});
