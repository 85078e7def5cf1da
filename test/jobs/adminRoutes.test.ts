// Failed jobs stay inspectable and can be retried from the admin API (issue 4, behaviour 6).
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { createJobsAdminRouter } from '../../jobs/adminRoutes.js';
import { createHarness, type Harness } from './support/harness.js';

const LOCAL = '+14152345678';
let h: Harness | null = null;
let server: Server | null = null;

afterEach(async () => {
  if (server) await new Promise((r) => server!.close(r));
  server = null;
  await h?.close();
  h = null;
});

async function serve(x: Harness): Promise<string> {
  const app = express();
  app.use(
    createJobsAdminRouter({
      queues: [x.pipeline.queue.ordered.queue, x.deliveries.ordered.queue],
      requireAdmin: (req, res, next) => (req.get('authorization') === 'Bearer t0ken' ? next() : void res.status(401).json({ error: { code: 'unauthorized' } })),
    }),
  );
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server!.once('listening', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const auth = { authorization: 'Bearer t0ken' };

describe('admin routes for jobs', () => {
  it('lists failed jobs with their reason and retries one on request (admins only)', async () => {
    h = await createHarness({ attempts: 2 });
    h.addNumber(LOCAL);
    h.fake.setScript(() => ({ status: 503 }));
    const r = await h.send(LOCAL, '+12123456789', 'hello');
    if (!r.ok) throw new Error('refused');
    await h.waitFor(() => h!.message(r.message.id).status === 'failed', 'failed');
    const base = await serve(h);

    expect((await fetch(`${base}/admin/api/jobs/failed`)).status).toBe(401);
    expect((await fetch(`${base}/admin/api/jobs/send-${r.message.id}/retry`, { method: 'POST' })).status).toBe(401);

    let list: { jobs: Array<{ id: string; queue: string; messageId: string; failedReason: string; attemptsMade: number }> } = { jobs: [] };
    for (let i = 0; i < 50 && list.jobs.length === 0; i++) {
      list = (await (await fetch(`${base}/admin/api/jobs/failed`, { headers: auth })).json()) as typeof list;
      if (list.jobs.length === 0) await new Promise((res) => setTimeout(res, 50));
    }
    expect(list.jobs).toHaveLength(1);
    expect(list.jobs[0]).toMatchObject({ id: `send-${r.message.id}`, queue: 'send', messageId: r.message.id, attemptsMade: 2 });
    expect(list.jobs[0]!.failedReason).toMatch(/503/);

    const retry = await fetch(`${base}/admin/api/jobs/send-${r.message.id}/retry`, { method: 'POST', headers: auth });
    expect(retry.status).toBe(200);
    // The job ran again. Its message had already ended 'failed' and statuses only move forward,
    // so the re-run completes without a second provider call (a resend needs a new message).
    const job = await h.pipeline.queue.ordered.queue.getJob(`send-${r.message.id}`);
    let state = await job!.getState();
    for (let i = 0; i < 100 && state !== 'completed'; i++) {
      await new Promise((res) => setTimeout(res, 50));
      state = await job!.getState();
    }
    expect(state).toBe('completed');
    expect(h.fake.requests).toHaveLength(2);
    const again = await fetch(`${base}/admin/api/jobs/send-${r.message.id}/retry`, { method: 'POST', headers: auth });
    expect(again.status).toBe(409);

    expect((await fetch(`${base}/admin/api/jobs/send-nope/retry`, { method: 'POST', headers: auth })).status).toBe(404);
    expect((await fetch(`${base}/admin/api/jobs/bad:id/retry`, { method: 'POST', headers: auth })).status).toBe(400);
  });
});
