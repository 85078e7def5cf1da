// GET /admin/api/queues: the health of the two queues (lanes) the bridge works through: `send`
// (SMS going out) and `deliver` (messages being posted into chat). Per lane:
//  - waiting: messages ready to be handled (the store's outbox; held ones included)
//  - preparing: chat replies whose place is taken while their files download
//  - active: conversations a worker is handling right now (BullMQ turns, getJobCounts)
//  - delayed: conversations waiting for a retry or a rate limit to pass (BullMQ delayed turns)
//  - failed: messages that failed for good (listed by GET /admin/api/jobs/failed, resendable)
//  - oldestPendingSeconds: how long the longest-waiting message has been due (0 when none)
// The outbox is the record (BullMQ only holds wake-ups), so the counts come from the store and
// still answer while Redis is away: `active`/`delayed` are then null and `redis` says why.

import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Clock, Lane, OutboxRepo } from '../core/ports.js';
import { within } from '../within.js';
import { parseWith } from './validate.js';

export const queuesQuery = z.object({}).strict();

export interface LaneCounts {
  queue: Lane;
  waiting: number;
  preparing: number;
  active: number | null;
  delayed: number | null;
  failed: number;
  oldestPendingSeconds: number;
}

/** The public BullMQ call this needs (Queue#getJobCounts). */
export interface JobCounter {
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
}

export interface QueuesAdminOptions {
  outbox: Pick<OutboxRepo, 'stats'>;
  queues: Record<Lane, JobCounter>;
  clock: Clock;
  requireAdmin: RequestHandler;
  /** How long Redis may take to count (default 1 s); the store's counts are answered regardless. */
  redisWaitMs?: number;
}

const LANES: Lane[] = ['send', 'deliver'];

export function createQueuesAdminRouter(opts: QueuesAdminOptions): Router {
  const router = Router();
  router.get('/admin/api/queues', opts.requireAdmin, async (req, res, next) => {
    try {
      parseWith(queuesQuery, req.query);
      const now = opts.clock.now().getTime();
      const stats = await opts.outbox.stats();
      let redis: string | null = null;
      const turns = await Promise.all(
        LANES.map((lane) =>
          within(opts.queues[lane].getJobCounts('active', 'delayed'), opts.redisWaitMs ?? 1_000, 'Redis').catch((err: unknown) => {
            redis = `Redis did not answer (${err instanceof Error ? err.message : String(err)}); active and delayed are unknown`;
            return null;
          }),
        ),
      );
      const queues: LaneCounts[] = LANES.map((lane, i) => {
        const of = (state: string) => stats.filter((s) => s.lane === lane && s.state === state);
        const count = (state: string) => of(state).reduce((n, s) => n + s.count, 0);
        const dues = [...of('ready'), ...of('preparing')].map((s) => s.oldestDueAt).filter((d): d is number => d !== null);
        const oldest = dues.length > 0 ? Math.min(...dues) : null;
        const t = turns[i];
        return {
          queue: lane,
          waiting: count('ready'),
          preparing: count('preparing'),
          active: t ? (t.active ?? 0) : null,
          delayed: t ? (t.delayed ?? 0) : null,
          failed: count('failed'),
          oldestPendingSeconds: oldest === null ? 0 : Math.max(0, Math.floor((now - oldest) / 1000)),
        };
      });
      res.set('Cache-Control', 'no-store');
      res.json({ queues, redis });
    } catch (err) {
      next(err);
    }
  });
  return router;
}
