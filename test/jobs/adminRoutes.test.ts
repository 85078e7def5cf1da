// Failed work stays inspectable and can be done again from the admin API (issue 4, behaviour 6).
// Retrying a failed send is a real, audited resend of its message, in its conversation's order,
// refused for a message that may already have reached the contact unless the admin forces it.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { applyDeliveryUpdate } from '../../src/app/applyDeliveryUpdate.js';
import { REQUEUE_AUDIT_ACTION } from '../../src/infra/store/index.js';
import { createJobsAdminRouter, POSSIBLE_DUPLICATE_WARNING } from '../../src/admin/jobs.js';
import { OUTCOME_UNKNOWN_CODE } from '../../src/app/sendMessage.js';
import { createHarness, PROVIDER_ID, type Harness } from './support/harness.js';
import { restSmsProvider } from './support/restProvider.js';

const LOCAL = '+14152345678';
const CONTACT = '+12123456789';
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
      store: x.temp.store,
      queue: x.queue,
      requireAdmin: (req, res, next) => (req.get('authorization') === 'Bearer t0ken' ? next() : void res.status(401).json({ error: { code: 'unauthorized' } })),
    }),
  );
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server!.once('listening', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const auth = { authorization: 'Bearer t0ken' };

type ErrorBody = { error: { code: string; reason?: string; message: string } };
type ResendBody = { messageId: string; status: string; jobId: string; previous: { status: string; errorCode: string | null }; possibleDuplicate: boolean; warning?: string };

function post(url: string, body?: unknown): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: body === undefined ? auth : { ...auth, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function sendOk(x: Harness, body: string): Promise<string> {
  const r = await x.send(LOCAL, CONTACT, body);
  if (!r.ok) throw new Error(`refused: ${r.refusals.map((f) => f.code).join(', ')}`);
  return r.message.id;
}

/** Waits until the message's send work has settled (done, or kept failed). */
async function jobSettled(x: Harness, id: string): Promise<void> {
  await x.waitFor(async () => {
    const item = await x.temp.store.outbox.findByMessage('send', id);
    return item === null || item.state === 'failed';
  }, `send of ${id} settled`);
}

describe('admin routes for jobs', () => {
  it('lists failed jobs with their reason; retrying a failed send resends its message (admins only)', async () => {
    h = await createHarness({ attempts: 2 });
    await h.addNumber(LOCAL);
    h.fake.setScript(() => ({ status: 503 }));
    const id = await sendOk(h, 'hello');
    await h.waitFor(async () => (await h!.message(id)).status === 'failed', 'failed');
    await jobSettled(h, id);
    const base = await serve(h);

    expect((await fetch(`${base}/admin/api/jobs/failed`)).status).toBe(401);
    expect((await fetch(`${base}/admin/api/jobs/send-${id}/retry`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${base}/admin/api/messages/${id}/resend`, { method: 'POST' })).status).toBe(401);

    const list = (await (await fetch(`${base}/admin/api/jobs/failed`, { headers: auth })).json()) as {
      jobs: Array<{ id: string; queue: string; messageId: string; failedReason: string; attemptsMade: number }>;
    };
    expect(list.jobs).toHaveLength(1);
    expect(list.jobs[0]).toMatchObject({ id: `send-${id}`, queue: 'send', messageId: id, attemptsMade: 2, number: LOCAL, contact: CONTACT, text: 'hello' });
    expect(list.jobs[0]!.failedReason).toMatch(/503/);

    // The provider is back; the admin retries the failed job: the message really goes out again.
    h.fake.setScript(() => 'ok');
    const retry = await post(`${base}/admin/api/jobs/send-${id}/retry`);
    expect(retry.status).toBe(200);
    const body = (await retry.json()) as ResendBody;
    expect(body).toMatchObject({ messageId: id, status: 'queued', jobId: `send-${id}`, possibleDuplicate: false, previous: { status: 'failed', errorCode: 'http_503' } });
    expect(body.warning).toBeUndefined();
    await h.waitFor(async () => (await h!.message(id)).status === 'sent', 'sent after the retry');
    expect(h.fake.requests).toHaveLength(3);
    expect(h.fake.sent.map((s) => s.messageId)).toEqual([id]);
    expect(await h.message(id)).toMatchObject({ statusReason: null, errorCode: null });
    // The failed job is gone from the failed list; the audit log says who resent what.
    expect(((await (await fetch(`${base}/admin/api/jobs/failed`, { headers: auth })).json()) as { jobs: unknown[] }).jobs).toHaveLength(0);
    const [entry] = await h.temp.store.audit.list({ limit: 1 });
    expect(entry).toMatchObject({ actor: 'admin', action: REQUEUE_AUDIT_ACTION, target: id, before: { status: 'failed', errorCode: 'http_503' } });

    // Sent now: nothing to resend.
    const again = await post(`${base}/admin/api/jobs/send-${id}/retry`);
    expect(again.status).toBe(409);
    expect(((await again.json()) as ErrorBody).error.reason).toBe('not_failed');
    expect(h.fake.requests).toHaveLength(3);

    expect((await post(`${base}/admin/api/jobs/send-nope/retry`)).status).toBe(404);
    expect((await post(`${base}/admin/api/jobs/other-${id}/retry`)).status).toBe(400);
    expect((await post(`${base}/admin/api/jobs/bad:id/retry`)).status).toBe(400);
  });

  it('resends by message id after the messages accepted before it in the conversation', async () => {
    h = await createHarness();
    await h.addNumber(LOCAL);
    let firstTry = true;
    h.fake.setScript((req) => {
      if (req.body === 'one' && firstTry) {
        firstTry = false;
        return { status: 400, body: { code: 'invalid', message: 'rejected for now' } };
      }
      return req.body === 'two' ? 'hold' : 'ok';
    });
    const one = await sendOk(h, 'one');
    await h.waitFor(async () => (await h!.message(one)).status === 'failed', 'one failed');
    await jobSettled(h, one);
    const two = await sendOk(h, 'two');
    await h.fake.waitForRequests(2); // 'two' is at the provider, unanswered
    const base = await serve(h);

    const res = await post(`${base}/admin/api/messages/${one}/resend`);
    expect(res.status).toBe(200);
    expect((await h.message(one)).status).toBe('queued');
    // 'one' now queues behind 'two', which is still in flight: it must not overtake it.
    await new Promise((r) => setTimeout(r, 400));
    expect(h.fake.requests.map((r) => r.body)).toEqual(['one', 'two']);
    h.fake.releaseHeld();
    await h.waitFor(async () => (await h!.message(one)).status === 'sent', 'one resent');
    expect((await h.message(two)).status).toBe('sent');
    expect(h.fake.requests.map((r) => r.body)).toEqual(['one', 'two', 'one']);
    expect(h.fake.sent.map((r) => r.body)).toEqual(['two', 'one']);
  });

  it('refuses to resend a message that may already have reached the contact, unless forced (with a warning)', async () => {
    h = await createHarness({ provider: (f) => restSmsProvider({ id: PROVIDER_ID, url: () => f.url, timeoutMs: 300 }) });
    await h.addNumber(LOCAL);
    h.fake.setScript(() => 'hold');
    const id = await sendOk(h, 'maybe sent');
    await h.waitFor(async () => (await h!.message(id)).errorCode === OUTCOME_UNKNOWN_CODE, 'outcome unknown');
    await jobSettled(h, id);
    h.fake.releaseHeld();
    h.fake.setScript(() => 'ok');
    const base = await serve(h);

    const refused = await post(`${base}/admin/api/messages/${id}/resend`);
    expect(refused.status).toBe(409);
    const err = ((await refused.json()) as ErrorBody).error;
    expect(err.reason).toBe('outcome_unknown');
    expect(err.message).toMatch(/force/);
    expect((await h.message(id)).status).toBe('failed');
    expect((await post(`${base}/admin/api/messages/${id}/resend`, { force: false })).status).toBe(409);

    const forced = await post(`${base}/admin/api/messages/${id}/resend`, { force: true });
    expect(forced.status).toBe(200);
    const body = (await forced.json()) as ResendBody;
    expect(body).toMatchObject({ possibleDuplicate: true, warning: POSSIBLE_DUPLICATE_WARNING, previous: { status: 'failed', errorCode: OUTCOME_UNKNOWN_CODE } });
    await h.waitFor(async () => (await h!.message(id)).status === 'sent', 'sent after the forced resend');
    expect(h.fake.requests).toHaveLength(2);
    expect((await h.temp.store.audit.list({ limit: 1 }))[0]!.after).toMatchObject({ force: true, possibleDuplicate: true });
  });

  it('resends an undelivered message through a deduplicating provider (8x8-like) for real, with a new key', async () => {
    h = await createHarness({ idempotent: true });
    await h.addNumber(LOCAL);
    const id = await sendOk(h, 'are you there?');
    await h.waitFor(async () => (await h!.message(id)).status === 'sent', 'sent');
    await jobSettled(h, id);
    // The carrier could not deliver it (handset off).
    const providerMessageId = (await h.message(id)).providerMessageId!;
    await applyDeliveryUpdate(
      { store: h.temp.store, clock: h.deps.clock },
      { provider: PROVIDER_ID, providerMessageId, status: 'undelivered', errorCode: '30003', reason: 'unreachable handset' },
    );
    expect((await h.message(id)).status).toBe('undelivered');
    const base = await serve(h);

    const res = await post(`${base}/admin/api/messages/${id}/resend`);
    expect(res.status).toBe(200);
    await h.waitFor(async () => (await h!.message(id)).status === 'sent', 'resent');
    // A second SMS really went out: the provider did not drop it as a repeat of the first.
    expect(h.fake.sent.map((s) => s.messageId)).toEqual([id, `${id}-r1`]);
    expect((await h.message(id)).providerMessageId).not.toBe(providerMessageId);
  });

  it('a resent message that failed before any provider call carries its resend generation from the first call', async () => {
    // Otherwise a timed-out first call (key <id>) and its retry (key <id>-r1) would be two SMS
    // at a deduplicating provider.
    h = await createHarness({ idempotent: true, worker: false });
    await h.addNumber(LOCAL);
    const id = await sendOk(h, 'first try');
    // Its provider is gone by the time it is sent (accepted while it was there).
    await h.temp.store.numbers.update(LOCAL, { provider: 'nowhere' });
    await h.startWorker();
    await h.waitFor(async () => (await h!.message(id)).status === 'failed', 'failed: no provider');
    expect((await h.message(id)).errorCode).toBe('no_provider');
    await jobSettled(h, id);
    await h.temp.store.numbers.update(LOCAL, { provider: PROVIDER_ID });
    const base = await serve(h);
    expect((await post(`${base}/admin/api/messages/${id}/resend`)).status).toBe(200);
    await h.waitFor(async () => (await h!.message(id)).status === 'sent', 'resent');
    expect(h.fake.sent.map((s) => s.messageId)).toEqual([`${id}-r1`]);
  });

  it('a resend whose wake-up was lost still goes out: the outbox is the record, the sweep wakes it', async () => {
    h = await createHarness({ worker: false, sweepMs: 100, overdueMs: 300 });
    await h.addNumber(LOCAL);
    const id = await sendOk(h, 'lost wake-up?');
    await h.temp.store.numbers.update(LOCAL, { provider: 'nowhere' });
    await h.startWorker();
    await h.waitFor(async () => (await h!.message(id)).status === 'failed', 'failed');
    await jobSettled(h, id);
    await h.temp.store.numbers.update(LOCAL, { provider: PROVIDER_ID });
    const base = await serve(h);
    const wake = h.queue.wake;
    h.queue.wake = async () => {
      h!.queue.wake = wake; // Redis was away for this one call
    };
    expect((await post(`${base}/admin/api/messages/${id}/resend`)).status).toBe(200);
    await h.waitFor(async () => (await h!.message(id)).status === 'sent', 'sent');
    expect(h.fake.sent).toHaveLength(1);
    expect(await h.temp.store.messages.resendCount(id)).toBe(1);
  });

  it('a message left queued with no work pending (a crash between two versions) is handed on when resent', async () => {
    h = await createHarness();
    await h.addNumber(LOCAL);
    h.fake.setScript(() => ({ status: 400, body: { code: 'x', message: 'no' } }));
    const id = await sendOk(h, 'stuck?');
    await h.waitFor(async () => (await h!.message(id)).status === 'failed', 'failed');
    await jobSettled(h, id);
    await h.temp.store.sql.run("UPDATE messages SET status = 'queued' WHERE id = ?", [id]);
    await h.temp.store.sql.run('DELETE FROM outbox');
    h.fake.setScript(() => 'ok');
    const base = await serve(h);
    const again = await post(`${base}/admin/api/messages/${id}/resend`);
    expect(again.status).toBe(200);
    expect(((await again.json()) as ResendBody & { note?: string }).note).toMatch(/queued already/);
    await h.waitFor(async () => (await h!.message(id)).status === 'sent', 'sent');
    // Audited apart: a hand-off is no new resend generation.
    expect((await h.temp.store.audit.list()).map((e) => e.action)).toEqual(['message.handoff']);
    expect(await h.temp.store.messages.resendCount(id)).toBe(0);
  });

  it('retrying a failed delivery posts it again and is recorded in the audit log', async () => {
    h = await createHarness();
    const s = h.temp.store;
    const item = await s.outbox.add('deliver', 'c-gone', 'm-gone');
    await s.outbox.fail(item.seq, 'the channel was archived');
    const base = await serve(h);
    const list = (await (await fetch(`${base}/admin/api/jobs/failed`, { headers: auth })).json()) as { jobs: unknown[] };
    expect(list.jobs).toEqual([expect.objectContaining({ id: 'deliver-m-gone', queue: 'deliver', failedReason: 'the channel was archived', text: null })]);
    const res = await post(`${base}/admin/api/jobs/deliver-m-gone/retry`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: 'deliver-m-gone', queue: 'deliver', state: 'waiting' });
    expect(await s.outbox.findByMessage('deliver', 'm-gone')).toMatchObject({ state: 'ready' });
    expect(h.deliveryWakes.map((w) => w.conversationId)).toEqual(['c-gone']);
    expect((await s.audit.list()).map((e) => [e.action, e.target])).toEqual([['job.retry', 'deliver/deliver-m-gone']]);
    // Pending now: a second retry is refused.
    expect((await post(`${base}/admin/api/jobs/deliver-m-gone/retry`)).status).toBe(409);
  });

  it('refuses to resend a message that did not fail, and answers 404 for an unknown one', async () => {
    h = await createHarness();
    await h.addNumber(LOCAL);
    const id = await sendOk(h, 'fine');
    await h.waitFor(async () => (await h!.message(id)).status === 'sent', 'sent');
    await jobSettled(h, id);
    const base = await serve(h);

    const res = await post(`${base}/admin/api/messages/${id}/resend`, { force: true });
    expect(res.status).toBe(409);
    expect(((await res.json()) as ErrorBody).error).toMatchObject({ code: 'conflict', reason: 'not_failed' });
    expect((await post(`${base}/admin/api/messages/00000000-0000-0000-0000-000000000000/resend`)).status).toBe(404);
    expect((await post(`${base}/admin/api/messages/bad:id/resend`)).status).toBe(400);
    expect(h.fake.requests).toHaveLength(1);
    expect(await h.temp.store.audit.list()).toHaveLength(0);
  });

  it('a resend asked while its message is still failing (its failure being shown) waits: 409, then a real resend in order', async () => {
    let open = () => {};
    const gate = new Promise<void>((r) => (open = r));
    // The failure notice of m1 (a chat post in production) takes a while: the resend comes then.
    h = await createHarness({ beforeNotice: (m) => (m.status === 'failed' && m.body === 'm1' ? gate : Promise.resolve()) });
    const base = await serve(h);
    await h.addNumber(LOCAL);
    let m1Refused = false;
    h.fake.setScript((r) => {
      if (r.body === 'm0') return 'hold';
      if (r.body !== 'm1' || m1Refused) return 'ok';
      m1Refused = true;
      return { status: 400, body: { code: '21211', message: "The 'To' number is not a valid phone number." } };
    });
    const m0 = await sendOk(h, 'm0');
    await h.fake.waitForRequests(1);
    const m1 = await sendOk(h, 'm1');
    const m2 = await sendOk(h, 'm2');
    h.fake.releaseHeld();
    await h.waitFor(async () => (await h!.message(m1)).status === 'failed', 'm1 failed');

    const early = await post(`${base}/admin/api/messages/${m1}/resend`);
    expect(early.status).toBe(409);
    expect(((await early.json()) as ErrorBody).error.reason).toBe('job_pending');
    expect((await h.message(m1)).status).toBe('failed');

    open();
    await h.waitFor(async () => (await h!.message(m2)).status === 'sent', 'm2 sent');
    await jobSettled(h, m1);
    const again = await post(`${base}/admin/api/messages/${m1}/resend`);
    expect(again.status).toBe(200);
    await h.waitFor(async () => (await h!.message(m1)).status === 'sent', 'm1 resent');
    expect(h.fake.sent.map((r) => r.body)).toEqual(['m0', 'm2', 'm1']);
    expect((await h.message(m0)).status).toBe('sent');
  });
});
