// `npm start` as a real child process: starts with nothing configured but Redis, answers
// /healthz and /readyz, creates DATA_DIR/sms-bridge.db, and exits 0 on SIGTERM.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/listen.js';
import { deletePrefix, withRedis } from '../support/redis.js';
import { tempDataDir } from './helpers.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

function start(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const clean = { ...process.env };
  for (const k of ['PORT', 'DATA_DIR', 'ADMIN_TOKEN', 'PUBLIC_URL', 'QUEUE_PREFIX', 'REDIS_URL', 'LOG_LEVEL']) delete clean[k];
  // tsx itself (what `npx tsx` resolves to): npm's exec wrapper would die of the signal itself
  // instead of passing on the bridge's exit code.
  const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['src/main.ts'], { cwd: ROOT, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d) => (out += String(d)));
  child.stderr?.on('data', (d) => (out += String(d)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor(url: string, status: number, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  let last = 'no answer';
  while (Date.now() < until) {
    try {
      const res = await fetch(url);
      if (res.status === status) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never answered ${status} (${last})`);
}

let cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup) await fn();
  cleanup = [];
});

describe('npm start (src/main.ts) as a process', () => {
  it('serves /healthz and /readyz with nothing configured but Redis, creates the database, and exits 0 on SIGTERM', async () => {
    const dataDir = tempDataDir();
    const port = await freePort();
    const prefix = `test-${randomUUID()}`;
    const proc = start({ PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn', QUEUE_PREFIX: prefix });
    cleanup.push(async () => {
      if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
      await withRedis((redis) => deletePrefix(redis, prefix));
    });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/healthz`, 200, 30_000);
    await waitFor(`${base}/readyz`, 200, 5_000);
    expect(existsSync(path.join(dataDir, 'sms-bridge.db'))).toBe(true);
    expect(proc.output()).toContain(`sms-bridge listening on http://localhost:${port}`);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  }, 60_000);

  it('when Redis does not answer it says so in one line with how to start one, and still serves /healthz', async () => {
    const dataDir = tempDataDir();
    const port = await freePort();
    const proc = start({ PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'silent', REDIS_URL: 'redis://127.0.0.1:1' });
    cleanup.push(() => {
      if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/healthz`, 200, 30_000);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'unavailable', failed: ['redis'] });
    const hint = proc.output().split('\n').filter((l) => l.includes('Redis does not answer'));
    expect(hint).toEqual([
      'sms-bridge: Redis does not answer at redis://127.0.0.1:1; start one with: redis-server --daemonize yes --port 6379 (the bridge runs, /readyz says 503 until it answers)',
    ]);
    // it did not start a redis-server of its own for a non-default REDIS_URL
    expect(existsSync(path.join(dataDir, 'redis'))).toBe(false);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  }, 60_000);

  it('a bad variable stops start-up with one line naming it, and exit code 1', async () => {
    const proc = start({ PORT: 'abc', LOG_LEVEL: 'warn' });
    expect(await proc.exited).toBe(1);
    const lines = proc.output().trim().split('\n').filter((l) => l.includes('sms-bridge'));
    expect(lines).toEqual(['sms-bridge: configuration error: PORT: expected an integer 0-65535, got "abc"']);
  }, 60_000);

  it('anonymous Teams on a deployed bridge (public PUBLIC_URL, NODE_ENV=production) stops start-up with one line naming it', async () => {
    const dataDir = tempDataDir();
    const proc = start({ TEAMS_ALLOW_ANONYMOUS: 'true', PUBLIC_URL: 'https://sms.example.com', NODE_ENV: 'production', LOG_LEVEL: 'warn', DATA_DIR: dataDir, PORT: '0' });
    cleanup.push(() => {
      if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    });
    expect(await proc.exited).toBe(1);
    const lines = proc.output().trim().split('\n').filter((l) => l.includes('sms-bridge'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^sms-bridge: configuration error: TEAMS_ALLOW_ANONYMOUS: must not be true here/);
  }, 60_000);
});
