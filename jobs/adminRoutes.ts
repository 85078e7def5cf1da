// Admin routes for the queues (issue 4, behaviour 6): failed jobs stay inspectable and can be
// retried. Mounted by the process as `app.use(createJobsAdminRouter({ queues, requireAdmin }))`;
// the paths are absolute (`/admin/api/jobs/...`) unless `basePath` says otherwise.
import { Router, type RequestHandler } from 'express';
import type { Job, Queue } from 'bullmq';

export interface JobsAdminOptions {
  /** The queues to look in: send and deliver. */
  queues: Queue[];
  /** Authentication middleware (src/admin requireAdmin(config.adminToken)). */
  requireAdmin: RequestHandler;
  /** Default '/admin/api'. */
  basePath?: string;
  /** Most failed jobs listed per queue (default 100). */
  limit?: number;
}

export interface FailedJobView {
  id: string;
  queue: string;
  name: string;
  messageId: string | null;
  conversationId: string | null;
  failedReason: string;
  attemptsMade: number;
  createdAt: string | null;
  failedAt: string | null;
}

function view(queue: Queue, job: Job): FailedJobView {
  const data = (job.data ?? {}) as { id?: unknown; lane?: unknown };
  return {
    id: job.id ?? '',
    queue: queue.name,
    name: job.name,
    messageId: typeof data.id === 'string' ? data.id : null,
    conversationId: typeof data.lane === 'string' ? data.lane : null,
    failedReason: job.failedReason ?? '',
    attemptsMade: job.attemptsMade,
    createdAt: job.timestamp ? new Date(job.timestamp).toISOString() : null,
    failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
  };
}

const JOB_ID = /^[A-Za-z0-9_.-]{1,200}$/;

export function createJobsAdminRouter(opts: JobsAdminOptions): Router {
  const base = (opts.basePath ?? '/admin/api').replace(/\/+$/, '');
  const limit = opts.limit ?? 100;
  const router = Router();

  router.get(`${base}/jobs/failed`, opts.requireAdmin, async (_req, res, next) => {
    try {
      const jobs: FailedJobView[] = [];
      for (const q of opts.queues) {
        for (const job of await q.getFailed(0, limit - 1)) if (job) jobs.push(view(q, job));
      }
      res.json({ jobs });
    } catch (err) {
      next(err);
    }
  });

  router.post(`${base}/jobs/:id/retry`, opts.requireAdmin, async (req, res, next) => {
    try {
      const id = String(req.params.id ?? '');
      if (!JOB_ID.test(id)) {
        res.status(400).json({ error: { code: 'invalid_input', message: 'Not a job id.' } });
        return;
      }
      for (const q of opts.queues) {
        const job = await q.getJob(id);
        if (!job) continue;
        const state = await job.getState();
        if (state !== 'failed') {
          res.status(409).json({ error: { code: 'conflict', message: `Job ${id} is ${state}, not failed.` } });
          return;
        }
        await job.retry('failed', { resetAttemptsMade: true });
        res.json({ id, queue: q.name, state: 'waiting' });
        return;
      }
      res.status(404).json({ error: { code: 'not_found', message: `No job ${id}.` } });
    } catch (err) {
      next(err);
    }
  });

  return router;
}
