// The composition root: builds every part from the configuration, starts them, and stops them
// in reverse order. SMS providers, queues and chat platforms plug in as BridgeModules (see
// src/modules.ts): a module receives the AppContext and returns HTTP mounts and startables, so
// adding one never means editing this file.

import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import type { Express } from 'express';
import { Redis } from 'ioredis';
import type { Config } from './config.js';
import type { Locks, PaceBudget } from './core/coordination.js';
import type { Clock } from './core/ports.js';
import { createHttpApp } from './http/app.js';
import { createHttpServer } from './http/server.js';
import { createLogger } from './logger.js';
import type { Logger } from './logger.js';
import { createMetrics } from './metrics.js';
import type { Metrics } from './metrics.js';
import { defaultModules } from './modules.js';
import { redisCoordination } from './infra/coordination/index.js';
import { openStore } from './infra/store/index.js';
import type { BridgeStore } from './infra/store/index.js';

/** What every adapter, job and route receives. Add fields here (additively) as parts appear. */
export interface AppContext {
  config: Config;
  logger: Logger;
  /** The core's Store port plus the SQLite-only repos workers need (sendLedger, chatChannels). */
  store: BridgeStore;
  /** Shared ioredis connection (lazy, `maxRetriesPerRequest: null` as BullMQ requires): the queues. */
  redis: Redis;
  /**
   * Our own connection for what is ours in Redis (leases, heartbeats, rate limits), kept apart
   * from BullMQ's traffic (named `smsb-own`, which a test uses to check we never touch its keys).
   */
  own: Redis;
  metrics: Metrics;
  clock: Clock;
  /**
   * Locks shared by every instance on this Redis and queue prefix (one thread root per
   * conversation, one status notice per reply, one handling of a redelivered chat event).
   */
  locks: Locks;
  /** Chat platforms' rate-limit budgets, shared by every instance (per channel, thread, app). */
  pace: PaceBudget;
  /**
   * Set by the wiring: a number was just mapped to a channel (admin API); its inbound texts no
   * chat showed yet are delivered there. Absent on a bridge built without the delivery lane.
   */
  afterMapped?: (number: string) => Promise<void>;
}

/** Adds routes to the express app (webhooks, extra admin routes). Runs before the 404 handler. */
export type Mount = (app: Express) => void;

/** Something with a lifetime: workers, queue connections, platform clients. */
export interface Startable {
  /** For logs. */
  name: string;
  start(): Promise<void> | void;
  /** Finish or release in-flight work, then let go of connections. */
  stop(): Promise<void> | void;
  /**
   * Ends requests that never end by themselves (the inbox's event streams), so the HTTP server
   * can close; called before it closes, ahead of every stop().
   */
  drain?(): void;
}

/** What a module contributes. Both lists are optional. */
export interface BridgeParts {
  mounts?: Mount[];
  startables?: Startable[];
}

/**
 * EXTENSION POINT. A module is a function of the context; it is called once at start-up, in list
 * order (so a later module may rely on an earlier one having been built through the context it
 * shares). Startables start in list order after every module is built and before HTTP listens;
 * they stop in reverse order after HTTP stopped accepting requests.
 */
export type BridgeModule = (ctx: AppContext) => BridgeParts | Promise<BridgeParts>;

export interface StartOptions {
  logger?: Logger;
  clock?: Clock;
  /** Modules to run; defaults to `defaultModules` from src/modules.ts. */
  modules?: BridgeModule[];
  /** Extra modules after the defaults (tests add a route or a fake startable this way). */
  extraModules?: BridgeModule[];
  /**
   * Interface to listen on; all interfaces by default, tests use 127.0.0.1. Always 127.0.0.1
   * while TEAMS_ALLOW_ANONYMOUS is on.
   */
  host?: string;
}

export interface Bridge {
  /** http://host:port actually listened on (port 0 resolved). */
  url: string;
  port: number;
  ctx: AppContext;
  stop(): Promise<void>;
}

export const systemClock: Clock = { now: () => new Date() };

export function databaseFile(config: Config): string {
  return path.join(path.resolve(config.dataDir), 'sms-bridge.db');
}

/** ioredis as BullMQ wants it: lazy (start-up never hangs on it) and no per-command retry limit. */
export function createRedis(url: string, connectionName?: string): Redis {
  return new Redis(url, { lazyConnect: true, maxRetriesPerRequest: null, enableReadyCheck: true, ...(connectionName ? { connectionName } : {}) });
}

/** The name of our own connection (AppContext.own). */
export const OWN_CONNECTION = 'smsb-own';

export async function startBridge(given: Config, opts: StartOptions = {}): Promise<Bridge> {
  // DATA_DIR resolved once, so no part depends on the working directory later.
  const config: Config = { ...given, dataDir: path.resolve(given.dataDir) };
  const logger = opts.logger ?? createLogger({ level: config.logLevel });
  const clock = opts.clock ?? systemClock;
  // The Teams adapter itself warns when TEAMS_ALLOW_ANONYMOUS is on (once, at its start).
  const host = listenHost(config, opts.host);

  mkdirSync(config.dataDir, { recursive: true });
  const store = await openStore({
    file: databaseFile(config),
    databaseUrl: config.databaseUrl,
    poolSize: config.databasePoolSize,
    clock,
    logger: (msg) => logger.info(msg),
    // WAL fsyncs in a worker thread, never on the event loop that answers webhooks.
    backgroundCheckpoint: { onError: (err) => logger.warn({ err: err.message }, 'background WAL checkpointer stopped; checkpoints run inline') },
  });

  const redis = createRedis(config.redisUrl);
  watchRedis(redis, logger);
  const own = createRedis(config.redisUrl, OWN_CONNECTION);
  own.on('error', () => undefined); // watchRedis reports outages once, from the shared connection

  const metrics = createMetrics();
  // On our own connection: locks and budgets are ours, not BullMQ's.
  const { locks, pace } = redisCoordination(own, config.queuePrefix);
  const ctx: AppContext = { config, logger, store, redis, own, metrics, clock, locks, pace };

  const mounts: Mount[] = [];
  const startables: Startable[] = [];
  const started: Startable[] = [];
  let server: Server | null = null;

  const stop = once(async () => {
    for (const s of started) s.drain?.();
    if (server) await closeServer(server);
    for (const s of [...started].reverse()) {
      try {
        await s.stop();
      } catch (err) {
        logger.error({ err, part: s.name }, 'stopping a part failed');
      }
    }
    await closeRedis(own);
    await closeRedis(redis);
    try {
      await store.close();
    } catch (err) {
      logger.error({ err }, 'closing the store failed');
    }
    logger.info('sms-bridge stopped');
  });

  try {
    for (const mod of [...(opts.modules ?? defaultModules), ...(opts.extraModules ?? [])]) {
      const parts = await mod(ctx);
      mounts.push(...(parts.mounts ?? []));
      startables.push(...(parts.startables ?? []));
    }
    for (const s of startables) {
      await s.start();
      started.push(s);
      logger.debug({ part: s.name }, 'started');
    }
    const app = createHttpApp(ctx, mounts);
    server = await listen(app, config.port, host);
  } catch (err) {
    await stop();
    throw err;
  }

  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const shown = host && host !== '0.0.0.0' && host !== '::' ? host : 'localhost';
  const url = `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
  logger.info({ url, dataDir: config.dataDir }, 'sms-bridge listening');
  if (config.teams.allowAnonymous) {
    logger.warn({ host }, `TEAMS_ALLOW_ANONYMOUS=true: listening on ${LOOPBACK} only, so nobody else can reach the unauthenticated Teams endpoint`);
  }
  return { url, port, ctx, stop };
}

const LOOPBACK = '127.0.0.1';

/**
 * Anonymous Teams (no Bot Framework token checks) is for the emulator and tests on this machine:
 * whatever interface was asked for, the bridge then listens on loopback only.
 */
function listenHost(config: Config, asked: string | undefined): string | undefined {
  return config.teams.allowAnonymous ? LOOPBACK : asked;
}

function listen(app: Express, port: number, host?: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createHttpServer(app);
    server.once('listening', () => resolve(server));
    server.once('error', reject);
    if (host) server.listen(port, host);
    else server.listen(port);
  });
}

/** Stop accepting connections, let in-flight requests finish, drop idle keep-alive sockets. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    try {
      await redis.quit();
      return;
    } catch {
      // fall through to a hard disconnect
    }
  }
  redis.disconnect(false);
}

/** One warning when Redis goes away and one note when it is back, not one line per retry. */
function watchRedis(redis: Redis, logger: Logger): void {
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    logger.warn({ err: { message: err.message } }, 'Redis does not answer; retrying');
  });
  redis.on('ready', () => {
    if (down) logger.info('Redis answers again');
    down = false;
  });
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | null = null;
  return () => (p ??= fn());
}
