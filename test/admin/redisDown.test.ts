// While Redis does not answer, the admin routes that read or change the queues say so at once
// (503 with the reason) instead of waiting for Redis, and change nothing; the rest of the admin
// API, which lives in SQLite, goes on answering.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestBridge, type TestBridge } from '../http/helpers.js';

let bridge: TestBridge | null = null;
afterEach(async () => {
  await bridge?.cleanup();
  bridge = null;
});

describe('admin API while Redis is down', () => {
  it('failed jobs, resend and retry answer 503 "Redis does not answer" at once (no wait for Redis); numbers still answer', async () => {
    bridge = await startTestBridge({ REDIS_URL: 'redis://127.0.0.1:1' });
    const b = bridge;
    const started = Date.now();
    const answers = await Promise.all([
      b.call('GET', '/admin/api/jobs/failed'),
      b.call('POST', '/admin/api/messages/0190a8d2-8a5e-7000-8000-000000000001/resend'),
      b.call('POST', '/admin/api/jobs/send-0190a8d2-8a5e-7000-8000-000000000001/retry'),
    ]);
    expect(Date.now() - started).toBeLessThan(5_000);
    for (const res of answers) {
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('unavailable');
      expect(body.error.message).toMatch(/^Redis does not answer: .*nothing was changed/);
    }
    expect((await b.call('GET', '/admin/api/numbers')).status).toBe(200);
  }, 20_000);
});
