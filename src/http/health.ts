// Liveness, readiness and metrics. /healthz answers while the process runs; /readyz only when
// SQLite and Redis both answer, naming the one that does not (and, in Slack's Socket Mode, saying
// how the socket is, without failing on it).

import { Router } from 'express';
import type { Redis } from 'ioredis';
import type { AppContext } from '../app.js';

const REDIS_PING_TIMEOUT_MS = 1000;

/** PING with a deadline; never queues behind a reconnecting connection. */
export async function redisAnswers(redis: Redis, timeoutMs = REDIS_PING_TIMEOUT_MS): Promise<boolean> {
  // While ioredis reconnects it would hold commands until Redis returns: answer at once instead.
  if (redis.status === 'reconnecting' || redis.status === 'end' || redis.status === 'close') return false;
  let timer: NodeJS.Timeout | undefined;
  const ping = redis.ping().then(
    (r) => r === 'PONG',
    () => false,
  );
  const deadline = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([ping, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export type ReadinessPart = 'sqlite' | 'redis';

export async function checkReadiness(ctx: Pick<AppContext, 'store' | 'redis'>): Promise<ReadinessPart[]> {
  const failed: ReadinessPart[] = [];
  let sqliteOk = false;
  try {
    sqliteOk = await ctx.store.ping();
  } catch {
    sqliteOk = false;
  }
  if (!sqliteOk) failed.push('sqlite');
  if (!(await redisAnswers(ctx.redis))) failed.push('redis');
  return failed;
}

export function healthRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const failed = await checkReadiness(ctx);
    // Slack's socket is shown, never a reason for 503: SMS webhooks must keep being taken while
    // Slack is away (what arrives is posted once it is back).
    const slackSocket = ctx.metrics.slackSocket.get();
    const slack = slackSocket ? { slack: slackSocket } : {};
    if (failed.length === 0) {
      res.json({ status: 'ok', ...slack });
      return;
    }
    res.status(503).json({ status: 'unavailable', failed, ...slack });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(ctx.metrics.contentType).send(await ctx.metrics.render());
  });
  return router;
}
