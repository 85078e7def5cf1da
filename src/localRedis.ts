// The Redis that `npm start` starts by itself when none answers (redis-server installed,
// REDIS_URL the default). It is a daemon with its data under DATA_DIR/redis, so queued jobs
// survive restarts, and it keeps running after the bridge stops: start-up says so, and
// `npm run redis:stop` stops it. Only that instance is ever stopped: the one whose pid is in
// DATA_DIR/redis/redis.pid and which is a redis-server, never a Redis this code did not start.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Config } from './config.js';

const DEFAULT_REDIS_URLS = new Set(['redis://127.0.0.1:6379', 'redis://localhost:6379', 'redis://127.0.0.1:6379/', 'redis://localhost:6379/']);
const REDIS_HINT = 'redis-server --daemonize yes --port 6379';
export const REDIS_STOP_HINT = 'npm run redis:stop';

/** A redis-server this bridge started, now or on an earlier start, that is still running. */
export interface LocalRedis {
  pid: number;
  /** DATA_DIR/redis: its append-only data, pidfile and log. */
  dir: string;
  startedNow: boolean;
}

export function localRedisDir(dataDir: string): string {
  return path.resolve(dataDir, 'redis');
}

function pidFile(dir: string): string {
  return path.join(dir, 'redis.pid');
}

/** One PING without retries: 'ok', 'refused' (nothing listening) or 'error' (something else). */
async function probeRedis(url: string): Promise<'ok' | 'refused' | 'error'> {
  const redis = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 2000 });
  let refused = false;
  redis.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'ECONNREFUSED') refused = true;
  });
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG' ? 'ok' : 'error';
  } catch (err) {
    return refused || (err as NodeJS.ErrnoException).code === 'ECONNREFUSED' ? 'refused' : 'error';
  } finally {
    redis.disconnect(false);
  }
}

/** The URL as it may be printed: no user name or password. */
export function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return 'REDIS_URL';
  }
}

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/**
 * The command line of a live process, or null when there is none (or only a zombie: a stopped
 * daemon waits a moment for init to reap it). /proc where there is one (slim images have no ps).
 */
function liveCommand(pid: number): string | null {
  if (existsSync('/proc/self')) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2)[0];
      if (state === 'Z' || state === 'X') return null;
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+/g, ' ').trim();
    } catch {
      return null;
    }
  }
  const r = spawnSync('ps', ['-o', 'stat=', '-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
  const line = r.status === 0 ? r.stdout.trim() : '';
  return line === '' || line.startsWith('Z') ? null : line.replace(/^\S+\s+/, '');
}

function readPid(dir: string): number | null {
  try {
    const pid = Number(readFileSync(pidFile(dir), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** The redis-server recorded in DATA_DIR/redis/redis.pid when it still runs, else null. */
export function runningLocalRedis(dataDir: string): Omit<LocalRedis, 'startedNow'> | null {
  const dir = localRedisDir(dataDir);
  const pid = readPid(dir);
  if (pid === null) return null;
  return liveCommand(pid)?.includes('redis-server') ? { pid, dir } : null;
}

/**
 * When Redis does not answer: say so in one line with how to start one, and when redis-server is
 * installed and REDIS_URL is the default, start one whose data (append-only file) lives under
 * DATA_DIR/redis. The bridge starts either way; /readyz says 503 until Redis answers. Returns the
 * local redis-server that answers, when it is one this bridge started (now or before).
 */
export async function ensureRedis(config: Config): Promise<LocalRedis | null> {
  const isDefault = DEFAULT_REDIS_URLS.has(config.redisUrl);
  const probe = await probeRedis(config.redisUrl);
  if (probe === 'ok') {
    const earlier = isDefault ? runningLocalRedis(config.dataDir) : null;
    return earlier && { ...earlier, startedNow: false };
  }
  const shown = withoutCredentials(config.redisUrl);
  if (probe === 'refused' && isDefault && onPath('redis-server')) {
    const dir = localRedisDir(config.dataDir);
    mkdirSync(dir, { recursive: true });
    console.error(`sms-bridge: Redis does not answer at ${shown}; starting a local redis-server with its data in ${dir}`);
    // A pidfile left by a redis-server that died: the new one writes its own.
    if (readPid(dir) !== null && runningLocalRedis(config.dataDir) === null) rmSync(pidFile(dir), { force: true });
    const r = spawnSync(
      'redis-server',
      ['--port', '6379', '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--daemonize', 'yes', '--pidfile', pidFile(dir), '--logfile', path.join(dir, 'redis.log')],
      { stdio: 'ignore' },
    );
    if (r.status === 0) {
      for (let i = 0; i < 50; i++) {
        if ((await probeRedis(config.redisUrl)) === 'ok') {
          const started = runningLocalRedis(config.dataDir);
          return started && { ...started, startedNow: true };
        }
        await new Promise((res) => setTimeout(res, 100));
      }
    }
    console.error(`sms-bridge: could not start redis-server (see ${path.join(dir, 'redis.log')}); start one with: ${REDIS_HINT}`);
    return null;
  }
  console.error(`sms-bridge: Redis does not answer at ${shown}; start one with: ${REDIS_HINT} (the bridge runs, /readyz says 503 until it answers)`);
  return null;
}

/** The operator's line about a local redis-server: that it outlives the bridge, and how to stop it. */
export function localRedisNotice(local: LocalRedis): string {
  const which = local.startedNow
    ? `the local redis-server it started (pid ${local.pid}, data in ${local.dir})`
    : `Redis is a local redis-server sms-bridge started earlier (pid ${local.pid}, data in ${local.dir}); it`;
  return `sms-bridge: ${which} keeps running after the bridge stops; ${REDIS_STOP_HINT} stops it`;
}

export type StopOutcome =
  | { outcome: 'stopped'; pid: number; dir: string }
  | { outcome: 'not-running'; dir: string; stalePid: number | null }
  | { outcome: 'refused' | 'timeout'; pid: number; dir: string; reason: string };

/**
 * Stops the redis-server recorded in DATA_DIR/redis/redis.pid with SIGTERM (Redis then writes
 * its append-only file out and removes the pidfile), and waits until it is gone. A pidfile
 * naming a process that is not a redis-server is left alone: that pid was reused.
 */
export async function stopLocalRedis(dataDir: string, timeoutMs = 15_000): Promise<StopOutcome> {
  const dir = localRedisDir(dataDir);
  const pid = readPid(dir);
  if (pid === null) return { outcome: 'not-running', dir, stalePid: null };
  const command = liveCommand(pid);
  if (command === null) {
    rmSync(pidFile(dir), { force: true });
    return { outcome: 'not-running', dir, stalePid: pid };
  }
  if (!command.includes('redis-server')) {
    return { outcome: 'refused', pid, dir, reason: `pid ${pid} in ${pidFile(dir)} is not a redis-server (${JSON.stringify(command)}); left alone` };
  }
  process.kill(pid, 'SIGTERM');
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (liveCommand(pid) === null) return { outcome: 'stopped', pid, dir };
    await new Promise((res) => setTimeout(res, 50));
  }
  return { outcome: 'timeout', pid, dir, reason: `redis-server (pid ${pid}) still runs ${timeoutMs / 1000} s after SIGTERM; see ${path.join(dir, 'redis.log')}` };
}
