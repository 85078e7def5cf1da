// A local trial, as a newcomer runs it (`npm start`, the real src/main.ts in a child process):
// no ADMIN_TOKEN and a loopback PUBLIC_URL make a token kept in DATA_DIR/admin-token (0600,
// reused, never printed) and print a one-time sign-in code with the console URL; with nothing
// real configured a local demo number is provisioned once and shown, and stays deleted once an
// admin deletes it. Elsewhere, no ADMIN_TOKEN keeps the admin API closed.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isTrial } from '../../src/admin/trial.js';
import { startChildBridge, type ChildBridge } from '../support/childBridge.js';
import { freePort } from '../support/listen.js';
import { deletePrefix, withRedis } from '../support/redis.js';

const dirs: string[] = [];
const prefixes: string[] = [];
let running: ChildBridge | null = null;

afterEach(async () => {
  await stop();
  for (const p of prefixes.splice(0)) await withRedis((r) => deletePrefix(r, p));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function stop(): Promise<void> {
  if (!running) return;
  const b = running;
  running = null;
  if (b.child.exitCode === null && b.child.signalCode === null) b.child.kill('SIGTERM');
  await b.exited;
}

async function waitForOutput(b: ChildBridge, pattern: RegExp, deadlineMs = 30_000): Promise<RegExpExecArray> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const m = pattern.exec(b.output());
    if (m) return m;
    if (Date.now() > until || b.child.exitCode !== null) throw new Error(`no ${pattern} in the output:\n${b.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function run(env: Record<string, string>): Promise<ChildBridge> {
  await stop();
  running = startChildBridge(env);
  await running.healthy();
  return running;
}

async function trialEnv(publicUrl?: (port: number) => string): Promise<Record<string, string>> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'sms-bridge-trial-'));
  dirs.push(dataDir);
  const prefix = `test-${randomUUID()}`;
  prefixes.push(prefix);
  return { PORT: String(port), PUBLIC_URL: publicUrl ? publicUrl(port) : `http://127.0.0.1:${port}`, DATA_DIR: dataDir, QUEUE_PREFIX: prefix, LOG_LEVEL: 'info' };
}

function signIn(b: ChildBridge, body: unknown): Promise<Response> {
  return fetch(`${b.url}/admin/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

const CODE_LINE = /open (http:\/\/127\.0\.0\.1:\d+\/admin\/\?code=([A-Za-z0-9_-]+)) to sign in/;

describe('a local trial', () => {
  it('keeps its own token in DATA_DIR (0600, reused, never printed) and prints a one-time sign-in code', async () => {
    const env = await trialEnv();
    const first = await run(env);
    const [, url, code] = await waitForOutput(first, CODE_LINE);
    expect(url).toBe(`${env.PUBLIC_URL}/admin/?code=${code}`);
    const file = join(env.DATA_DIR!, 'admin-token');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const token = readFileSync(file, 'utf8').trim();
    expect(token.length).toBeGreaterThanOrEqual(40);

    // The browser opens the printed URL, then signs in with the code from it.
    expect((await fetch(url!)).status).toBe(200);
    expect((await signIn(first, { code, name: 'Newcomer' })).status).toBe(200);
    expect((await signIn(first, { code, name: 'Again' })).status).toBe(401);
    // Printed once, and never logged by the requests that carried it.
    expect(first.output().split(code!).length - 1).toBe(1);
    const api = await fetch(`${first.url}/admin/api/numbers`, { headers: { authorization: `Bearer ${token}` } });
    expect(api.status).toBe(200);
    expect(first.output()).not.toContain(token);
    await stop();

    const second = await run(env);
    const [, , code2] = await waitForOutput(second, CODE_LINE);
    expect(code2).not.toBe(code);
    expect(readFileSync(file, 'utf8').trim()).toBe(token);
    expect((await fetch(`${second.url}/admin/api/numbers`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await signIn(second, { code: code2, name: 'Newcomer' })).status).toBe(200);
    expect(second.output()).not.toContain(token);
  }, 90_000);

  it('provisions the local demo number once, shows it at start-up, and never brings it back once deleted', async () => {
    const env = await trialEnv();
    const first = await run(env);
    await waitForOutput(first, /demo number \(415\) 555-2671 \(local provider/);
    const token = readFileSync(join(env.DATA_DIR!, 'admin-token'), 'utf8').trim();
    const admin = (method: string, path: string) => fetch(`${first.url}/admin/api${path}`, { method, headers: { authorization: `Bearer ${token}` } });
    const numbers = (await (await admin('GET', '/numbers')).json()) as Array<{ number: string; provider: string; smsCapable: boolean }>;
    expect(numbers).toMatchObject([{ number: '+14155552671', provider: 'local', smsCapable: true }]);
    expect((await admin('DELETE', '/numbers/+14155552671')).status).toBe(204);
    await stop();

    const second = await run(env);
    await waitForOutput(second, CODE_LINE);
    expect(second.output()).not.toContain('demo number');
    const after = await fetch(`${second.url}/admin/api/numbers`, { headers: { authorization: `Bearer ${token}` } });
    expect(await after.json()).toEqual([]);
  }, 90_000);
});

describe('without ADMIN_TOKEN away from loopback', () => {
  it('is no trial: no token file, no code, the admin API answers 401', async () => {
    expect(isTrial({ adminToken: null, publicUrl: 'https://sms.example.com' })).toBe(false);
    expect(isTrial({ adminToken: null, publicUrl: 'http://localhost:3000' })).toBe(true);
    expect(isTrial({ adminToken: 'set-by-the-operator-0123', publicUrl: 'http://localhost:3000' })).toBe(false);
    const env = await trialEnv(() => 'https://sms.example.com');
    const b = await run(env);
    await waitForOutput(b, /sms-bridge listening on/);
    expect(b.output()).not.toContain('?code=');
    expect(existsSync(join(env.DATA_DIR!, 'admin-token'))).toBe(false);
    expect((await fetch(`${b.url}/admin/api/numbers`)).status).toBe(401);
  }, 60_000);
});
