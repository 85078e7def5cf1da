// `npm start` as a real child process: `npm run build`'s dist/src/main.js (built here first when
// dist/ is not current, as npm's prestart does) starts with nothing configured but Redis, answers
// /healthz and /readyz, creates DATA_DIR/sms-bridge.db, says in one line what is on, and stops
// cleanly on one SIGTERM or Ctrl-C.

import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/listen.js';
import { deletePrefix, withRedis } from '../support/redis.js';
import { tempDataDir } from './helpers.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** Nothing listens there: the stop then takes seconds (workers wait on their Redis connections). */
const CLOSED_REDIS = 'redis://127.0.0.1:1';

beforeAll(() => {
  execFileSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: ROOT, stdio: 'inherit' });
}, 180_000);

interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean = { ...process.env };
  for (const k of ['PORT', 'DATA_DIR', 'ADMIN_TOKEN', 'PUBLIC_URL', 'QUEUE_PREFIX', 'REDIS_URL', 'LOG_LEVEL', 'LOG_FORMAT']) delete clean[k];
  return { ...clean, ...env };
}

function track(child: ChildProcess): Proc {
  let out = '';
  child.stdout?.on('data', (d) => (out += String(d)));
  child.stderr?.on('data', (d) => (out += String(d)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** What `npm start` runs, without npm (whose own exit status is its signal's, not the bridge's). */
function start(env: Record<string, string>): Proc {
  return track(spawn(process.execPath, ['dist/src/main.js'], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

describe('npm start (dist/src/main.js) as a process', () => {
  it('serves /healthz and /readyz with nothing configured but Redis, creates the database, and exits 0 on SIGTERM', async () => {
    const dataDir = tempDataDir();
    const port = await freePort();
    const prefix = `test-${randomUUID()}`;
    const proc = start({ PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'info', QUEUE_PREFIX: prefix });
    cleanup.push(async () => {
      if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
      await withRedis((redis) => deletePrefix(redis, prefix));
    });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/healthz`, 200, 30_000);
    await waitFor(`${base}/readyz`, 200, 5_000);
    expect(existsSync(path.join(dataDir, 'sms-bridge.db'))).toBe(true);
    // One line for a person, one log line for a collector: what is on, where.
    const db = path.join(dataDir, 'sms-bridge.db');
    expect(proc.output()).toContain(
      `sms-bridge listening on http://localhost:${port}: SMS local; chat web inbox (every number); store sqlite ${db}; Redis redis://127.0.0.1:6379; ` +
        `public URL http://localhost:${port}; console http://localhost:${port}/admin; ` +
        `demo number (415) 555-2671 (local provider: text it from the console's dev phone)\n`,
    );
    // No ADMIN_TOKEN on localhost is a local trial: a one-time sign-in link, never the token.
    expect(proc.output()).toMatch(new RegExp(`open http://localhost:${port}/admin/\\?code=[A-Za-z0-9_-]+ to sign in`));
    expect(proc.output()).not.toContain(readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim());
    const started = proc
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'sms-bridge started');
    expect(started).toMatchObject({ level: 30, sms: ['local'], chat: ['web inbox (every number)'], store: `sqlite ${db}`, redis: 'redis://127.0.0.1:6379', consoleUrl: `http://localhost:${port}/admin`, demoNumber: '+14155552671' });
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  }, 60_000);

  it('when Redis does not answer it says so in one line with how to start one, and still serves /healthz', async () => {
    const dataDir = tempDataDir();
    const port = await freePort();
    const proc = start({ PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'silent', REDIS_URL: CLOSED_REDIS });
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

// One Ctrl-C under `npm start` can reach the bridge twice within milliseconds (the terminal
// signals the whole process group, and npm, or tsx before the build, relays its own copy):
// that must stop cleanly. Only a signal a second or more after the first forces the exit.
describe('stopping on Ctrl-C', () => {
  async function running(env: Record<string, string> = {}): Promise<{ proc: Proc; dataDir: string }> {
    const dataDir = tempDataDir();
    const port = await freePort();
    const proc = start({ PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'debug', REDIS_URL: CLOSED_REDIS, ...env });
    cleanup.push(() => {
      if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    });
    await waitFor(`http://127.0.0.1:${port}/healthz`, 200, 30_000);
    return { proc, dataDir };
  }

  const messages = (proc: Proc) =>
    proc
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => (JSON.parse(l) as { msg: string }).msg);

  it('two SIGINTs 10 ms apart stop the bridge cleanly, exit code 0', async () => {
    const { proc } = await running();
    proc.child.kill('SIGINT');
    await sleep(10);
    proc.child.kill('SIGINT');
    expect(await proc.exited).toBe(0);
    const msgs = messages(proc);
    expect(msgs).toContain('sms-bridge stopped');
    expect(msgs).toContain('signal repeated within a second (one Ctrl-C reaches us twice under npm): still stopping cleanly');
    expect(msgs).not.toContain('second signal: exiting at once');
  }, 60_000);

  it('a second signal 1.5 s after the first exits at once, code 130', async () => {
    const { proc } = await running();
    proc.child.kill('SIGINT');
    await sleep(1500);
    // With Redis down the clean stop takes seconds: it is still under way.
    expect(proc.child.exitCode).toBeNull();
    proc.child.kill('SIGINT');
    expect(await proc.exited).toBe(130);
    const msgs = messages(proc);
    expect(msgs).toContain('second signal: exiting at once');
    expect(msgs).not.toContain('sms-bridge stopped');
  }, 60_000);

  it('under npm start, Ctrl-C (SIGINT to the whole process group) stops the compiled bridge cleanly', async () => {
    const dataDir = tempDataDir();
    const port = await freePort();
    const npm = track(
      spawn('npm', ['start'], {
        cwd: ROOT,
        env: cleanEnv({ PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'info', REDIS_URL: CLOSED_REDIS }),
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // its own process group, as a terminal's foreground job
      }),
    );
    cleanup.push(() => {
      if (npm.child.exitCode === null && npm.child.signalCode === null) process.kill(-npm.child.pid!, 'SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    });
    await waitFor(`http://127.0.0.1:${port}/healthz`, 200, 60_000);
    process.kill(-npm.child.pid!, 'SIGINT');
    await npm.exited; // npm itself ends by its own SIGINT once the bridge has exited
    const msgs = messages(npm);
    expect(msgs).toContain('sms-bridge started');
    expect(msgs).toContain('sms-bridge stopped');
    expect(msgs).not.toContain('second signal: exiting at once');
  }, 120_000);
});
