// `npm start`: load the configuration, make sure Redis answers (starting a local one when we
// can), start the bridge, and stop it cleanly on SIGINT/SIGTERM.

import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startBridge } from './app.js';
import type { Bridge } from './app.js';
import { loadConfigFromProcess } from './config.js';
import type { Config } from './config.js';
import { ConfigError } from './core/errors.js';

const DEFAULT_REDIS_URLS = new Set(['redis://127.0.0.1:6379', 'redis://localhost:6379', 'redis://127.0.0.1:6379/', 'redis://localhost:6379/']);
const REDIS_HINT = 'redis-server --daemonize yes --port 6379';

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
function withoutCredentials(url: string): string {
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
 * When Redis does not answer: say so in one line with how to start one, and when redis-server is
 * installed and REDIS_URL is the default, start one whose data (append-only file) lives under
 * DATA_DIR/redis, so queued jobs survive restarts. The bridge starts either way; /readyz says 503
 * until Redis answers.
 */
async function ensureRedis(config: Config): Promise<void> {
  const probe = await probeRedis(config.redisUrl);
  if (probe === 'ok') return;
  const shown = withoutCredentials(config.redisUrl);
  if (probe === 'refused' && DEFAULT_REDIS_URLS.has(config.redisUrl) && onPath('redis-server')) {
    const dir = path.resolve(config.dataDir, 'redis');
    mkdirSync(dir, { recursive: true });
    console.error(`sms-bridge: Redis does not answer at ${shown}; starting a local redis-server with its data in ${dir}`);
    const r = spawnSync(
      'redis-server',
      ['--port', '6379', '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--daemonize', 'yes', '--pidfile', path.join(dir, 'redis.pid'), '--logfile', path.join(dir, 'redis.log')],
      { stdio: 'ignore' },
    );
    if (r.status === 0) {
      for (let i = 0; i < 50; i++) {
        if ((await probeRedis(config.redisUrl)) === 'ok') return;
        await new Promise((res) => setTimeout(res, 100));
      }
    }
    console.error(`sms-bridge: could not start redis-server (see ${path.join(dir, 'redis.log')}); start one with: ${REDIS_HINT}`);
    return;
  }
  console.error(`sms-bridge: Redis does not answer at ${shown}; start one with: ${REDIS_HINT} (the bridge runs, /readyz says 503 until it answers)`);
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfigFromProcess();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`sms-bridge: configuration error: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }

  await ensureRedis(config);
  const bridge: Bridge = await startBridge(config);
  const { logger } = bridge.ctx;
  if (!config.adminToken) logger.warn('ADMIN_TOKEN is not set: the admin API answers 401 to everyone');
  console.log(`sms-bridge listening on ${bridge.url}`);

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(130);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    bridge.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  console.error(`sms-bridge: failed to start: ${message}`);
  process.exit(1);
});
