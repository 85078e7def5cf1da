// The redis-server that `npm start` starts by itself outlives the bridge: start-up says so, and
// `npm run redis:stop` stops that one (its pid in DATA_DIR/redis/redis.pid) and nothing else.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { ensureRedis, localRedisNotice, runningLocalRedis, stopLocalRedis } from '../src/localRedis.js';
import { freePort } from './support/listen.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const hasRedisServer = spawnSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' }).status === 0;

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanup.reverse()) fn();
  cleanup = [];
});

function dataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'smsb-redis-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A daemonized redis-server as main starts it (pidfile under DATA_DIR/redis), on a free port. */
async function startDaemon(data: string): Promise<number> {
  const dir = path.join(data, 'redis');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const r = spawnSync('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'yes', '--pidfile', path.join(dir, 'redis.pid'), '--logfile', path.join(dir, 'redis.log'), '--save', '', '--appendonly', 'no']);
  expect(r.status).toBe(0);
  for (let i = 0; i < 100 && !runningLocalRedis(data); i++) await new Promise((res) => setTimeout(res, 50));
  const running = runningLocalRedis(data);
  expect(running).not.toBeNull();
  cleanup.push(() => {
    if (alive(running!.pid)) process.kill(running!.pid, 'SIGKILL');
  });
  return running!.pid;
}

describe('npm run redis:stop', () => {
  it.skipIf(!hasRedisServer)('stops the redis-server the bridge started, which then removes its pidfile', async () => {
    const data = dataDir();
    const pid = await startDaemon(data);
    expect(await stopLocalRedis(data)).toEqual({ outcome: 'stopped', pid, dir: path.join(data, 'redis') });
    expect(runningLocalRedis(data)).toBeNull();
    expect(existsSync(path.join(data, 'redis', 'redis.pid'))).toBe(false);
    expect(await stopLocalRedis(data)).toEqual({ outcome: 'not-running', dir: path.join(data, 'redis'), stalePid: null });
  });

  it('never stops a process that is not a redis-server, even when its pid is in the pidfile', async () => {
    const data = dataDir();
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    cleanup.push(() => other.kill('SIGKILL'));
    mkdirSync(path.join(data, 'redis'));
    writeFileSync(path.join(data, 'redis', 'redis.pid'), `${other.pid}\n`);
    const result = await stopLocalRedis(data);
    expect(result).toMatchObject({ outcome: 'refused', pid: other.pid });
    expect(result.outcome === 'refused' && result.reason).toContain('is not a redis-server');
    expect(other.exitCode).toBeNull();
    expect(alive(other.pid!)).toBe(true);
  });

  it('removes a pidfile whose process is gone, and says so', async () => {
    const data = dataDir();
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const pid = Number(gone.stdout.trim());
    mkdirSync(path.join(data, 'redis'));
    writeFileSync(path.join(data, 'redis', 'redis.pid'), `${pid}\n`);
    expect(await stopLocalRedis(data)).toEqual({ outcome: 'not-running', dir: path.join(data, 'redis'), stalePid: pid });
    expect(existsSync(path.join(data, 'redis', 'redis.pid'))).toBe(false);
  });

  it('as a command: reads DATA_DIR, says there is nothing to stop, exits 0', () => {
    const data = dataDir();
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/redisStop.ts'], { cwd: ROOT, env: { ...process.env, DATA_DIR: data }, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(
      `sms-bridge: no local redis-server to stop (no redis.pid in ${path.join(data, 'redis')}); a Redis sms-bridge did not start is never stopped here`,
    );
  });
});

describe('start-up', () => {
  it.skipIf(!hasRedisServer)('says when the Redis that answers is the local redis-server it started earlier, that it keeps running, and how to stop it', async () => {
    const data = dataDir();
    const pid = await startDaemon(data);
    // REDIS_URL is the default (the suite's Redis answers there); the pidfile names our daemon.
    const local = await ensureRedis(loadConfig({ DATA_DIR: data }));
    expect(local).toEqual({ pid, dir: path.join(data, 'redis'), startedNow: false });
    expect(localRedisNotice(local!)).toBe(
      `sms-bridge: Redis is a local redis-server sms-bridge started earlier (pid ${pid}, data in ${path.join(data, 'redis')}); it keeps running after the bridge stops; npm run redis:stop stops it`,
    );
    expect(localRedisNotice({ ...local!, startedNow: true })).toBe(
      `sms-bridge: the local redis-server it started (pid ${pid}, data in ${path.join(data, 'redis')}) keeps running after the bridge stops; npm run redis:stop stops it`,
    );
    // Another REDIS_URL is not ours, whatever the pidfile says.
    expect(await ensureRedis(loadConfig({ DATA_DIR: data, REDIS_URL: 'redis://127.0.0.1:6379/0' }))).toBeNull();
  });
});
