// The admin routes the console's pages read besides the inbox: number check (live validation),
// people, opt-outs, queue health, failed jobs with what they were, and the audit log naming who.
// The bridge runs without its send and delivery workers (only the admin routes are mounted), so
// outbox items seeded here stay as seeded while the queue counts are read.
import { Queue } from 'bullmq';
import type { ConnectionOptions } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BridgeModule } from '../../src/app.js';
import { adminGuard } from '../../src/admin/auth.js';
import { createJobsAdminRouter } from '../../src/admin/jobs.js';
import { createQueuesAdminRouter } from '../../src/admin/queues.js';
import { json, startTestBridge, type TestBridge } from '../http/helpers.js';

const OURS = '+14155552671';
const CONTACT = '+16465553890';

let queues: Record<'send' | 'deliver', Queue> | null = null;

/** The queue-health and jobs routes as wiring mounts them, over real BullMQ queues with no worker. */
const adminOnly: BridgeModule = (ctx) => {
  const connection = ctx.redis as unknown as ConnectionOptions;
  queues = { send: new Queue('send', { connection, prefix: ctx.config.queuePrefix }), deliver: new Queue('deliver', { connection, prefix: ctx.config.queuePrefix }) };
  const q = queues;
  // With Redis away (one test), BullMQ reports every reconnect attempt: expected there, not news.
  for (const queue of Object.values(q)) queue.on('error', () => undefined);
  const requireAdmin = adminGuard(ctx);
  return {
    mounts: [
      (app) => app.use(createJobsAdminRouter({ store: ctx.store, queue: { wake: async () => undefined }, requireAdmin })),
      (app) => app.use(createQueuesAdminRouter({ outbox: ctx.store.outbox, queues: q, clock: ctx.clock, requireAdmin })),
    ],
    startables: [{ name: 'test-queues', start: () => undefined, stop: async () => void (await Promise.all([q.send.close(), q.deliver.close()])) }],
  };
};

let bridge: TestBridge;
beforeEach(async () => {
  bridge = await startTestBridge({}, { modules: [adminOnly] });
});
afterEach(async () => {
  await bridge.cleanup();
  queues = null;
});

async function outboundMessage(body: string) {
  const { store } = bridge.ctx;
  const { conversation } = await store.conversations.getOrCreate(OURS, CONTACT);
  const { message } = await store.messages.insert({ conversationId: conversation.id, direction: 'outbound', body, status: 'queued', encoding: 'GSM-7', segments: 1 });
  return { conversation, message };
}

describe('POST /admin/api/numbers/check', () => {
  it('says a toll-free number cannot carry SMS and why, without storing it', async () => {
    const res = await json(bridge.call('POST', '/admin/api/numbers/check', { body: { number: '(888) 555-0100' } }));
    expect(res).toEqual({
      status: 200,
      body: { e164: '+18885550100', display: '(888) 555-0100', type: 'toll-free', smsCapable: false, reasons: [expect.stringMatching(/toll-free numbers are not enabled for SMS/)], provisioned: false },
    });
    expect((await json(bridge.call('GET', '/admin/api/numbers'))).body).toEqual([]);
    expect((await json(bridge.call('GET', '/admin/api/audit'))).body).toEqual([]);
  });

  it('a local US number on the local provider can; one on a provider not set up cannot; a type that contradicts the number is a reason', async () => {
    expect((await json(bridge.call('POST', '/admin/api/numbers/check', { body: { number: '415 555 2671', provider: 'local' } }))).body).toMatchObject({ e164: OURS, type: 'local', smsCapable: true, reasons: [] });
    const twilio = await json<{ smsCapable: boolean; reasons: string[] }>(bridge.call('POST', '/admin/api/numbers/check', { body: { number: OURS, provider: 'twilio' } }));
    expect(twilio.body).toMatchObject({ smsCapable: false, reasons: [expect.stringMatching(/"twilio", which is not set up on this bridge/)] });
    const typed = await json<{ type: string; reasons: string[] }>(bridge.call('POST', '/admin/api/numbers/check', { body: { number: '+18885550100', type: 'local' } }));
    expect(typed.body.type).toBe('toll-free');
    expect(typed.body.reasons).toContainEqual(expect.stringMatching(/is a toll-free number, so its type is "toll-free"/));
  });

  it('a UK number cannot (outside US/CA); text that is no number answers with the problem; an existing one is flagged provisioned', async () => {
    expect((await json(bridge.call('POST', '/admin/api/numbers/check', { body: { number: '+44 20 7946 0958' } }))).body).toMatchObject({ e164: '+442079460958', smsCapable: false, reasons: [expect.stringMatching(/only US and Canadian numbers/)] });
    expect((await json(bridge.call('POST', '/admin/api/numbers/check', { body: { number: 'call me' } }))).body).toMatchObject({ e164: null, display: 'call me', smsCapable: false, reasons: [expect.stringMatching(/not a usable phone number/)] });
    await bridge.call('POST', '/admin/api/numbers', { body: { number: OURS, provider: 'local' } });
    expect((await json(bridge.call('POST', '/admin/api/numbers/check', { body: { number: OURS } }))).body).toMatchObject({ provisioned: true });
    expect(await json(bridge.call('POST', '/admin/api/numbers/check', { body: { number: OURS, colour: 'red' } }))).toMatchObject({ status: 422, body: { error: { field: 'colour' } } });
  });
});

describe('GET /admin/api/users and /admin/api/optouts', () => {
  it('lists people with their send rights, `limit` at a time, following Link rel="next" to the end', async () => {
    for (const u of ['U1', 'U2', 'U3']) await bridge.call('PUT', `/admin/api/users/slack/${u}`, { body: { smsEnabled: u !== 'U2' } });
    const first = await bridge.call('GET', '/admin/api/users?limit=2');
    expect(((await first.json()) as { userId: string }[]).map((u) => u.userId)).toEqual(['U1', 'U2']);
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.get('link') ?? '')?.[1];
    expect(next).toBeDefined();
    const second = await bridge.call('GET', next!);
    expect(await second.json()).toEqual([expect.objectContaining({ platform: 'slack', userId: 'U3', smsEnabled: true, admin: false })]);
    expect(second.headers.get('link')).toBeNull();
    expect(await json(bridge.call('GET', '/admin/api/users?cursor=nonsense'))).toMatchObject({ status: 422, body: { error: { field: 'cursor' } } });
  });

  it('lists the contacts opted out of a number (typed in any format), not those who texted START again', async () => {
    const { optOuts } = bridge.ctx.store;
    await optOuts.set(OURS, CONTACT, true, 'STOP');
    await optOuts.set(OURS, '+16465550001', true, 'STOP');
    await optOuts.set(OURS, '+16465550001', false, 'START');
    await optOuts.set('+14155550000', CONTACT, true, 'QUIT');
    const res = await json(bridge.call('GET', `/admin/api/optouts?number=${encodeURIComponent('(415) 555-2671')}`));
    expect(res).toEqual({ status: 200, body: [{ number: OURS, contact: CONTACT, keyword: 'STOP', since: expect.any(String) }] });
    expect((await json<unknown[]>(bridge.call('GET', '/admin/api/optouts'))).body).toHaveLength(2);
    expect((await json(bridge.call('GET', '/admin/api/optouts?number=nope'))).status).toBe(400);
  });
});

describe('GET /admin/api/queues and failed jobs', () => {
  it('counts waiting, delayed, active and failed per queue and how long the oldest has waited', async () => {
    const { store } = bridge.ctx;
    const a = await outboundMessage('first');
    const b = await outboundMessage('second');
    const waiting = await store.outbox.add('send', a.conversation.id, a.message.id);
    await store.outbox.hold(waiting.seq, Date.now() - 90_000); // due for a minute and a half
    const failed = await store.outbox.add('send', b.conversation.id, b.message.id);
    await store.outbox.fail(failed.seq, 'provider said no');
    await queues!.deliver.add('turn', { c: a.conversation.id }, { jobId: 'x.1', delay: 60_000 });
    const res = await json<{ queues: Array<Record<string, unknown>>; redis: string | null }>(bridge.call('GET', '/admin/api/queues'));
    expect(res.status).toBe(200);
    expect(res.body.redis).toBeNull();
    const send = res.body.queues.find((q) => q.queue === 'send');
    expect(send).toMatchObject({ waiting: 1, preparing: 0, active: 0, delayed: 0, failed: 1 });
    expect(send!.oldestPendingSeconds).toBeGreaterThanOrEqual(90);
    expect(send!.oldestPendingSeconds).toBeLessThan(200);
    expect(res.body.queues.find((q) => q.queue === 'deliver')).toEqual({ queue: 'deliver', waiting: 0, preparing: 0, active: 0, delayed: 1, failed: 0, oldestPendingSeconds: 0 });
  });

  it('with Redis away, still answers the store\'s counts within a few seconds; active and delayed are unknown and `redis` says why', async () => {
    await bridge.cleanup();
    bridge = await startTestBridge({ REDIS_URL: 'redis://127.0.0.1:1' }, { modules: [adminOnly] });
    const started = Date.now();
    const res = await json<{ queues: Array<Record<string, unknown>>; redis: string | null }>(bridge.call('GET', '/admin/api/queues'));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(res.status).toBe(200);
    expect(res.body.redis).toMatch(/Redis did not answer/);
    expect(res.body.queues[0]).toMatchObject({ queue: 'send', waiting: 0, failed: 0, active: null, delayed: null });
  });

  it('lists a failed send with its contact, number and the text (a preview cut at 140 characters)', async () => {
    const long = `${'Your appointment is confirmed. '.repeat(6)}End.`;
    const { conversation, message } = await outboundMessage(long);
    const item = await bridge.ctx.store.outbox.add('send', conversation.id, message.id);
    await bridge.ctx.store.outbox.fail(item.seq, 'provider said no');
    const res = await json<{ jobs: Array<Record<string, unknown>> }>(bridge.call('GET', '/admin/api/jobs/failed'));
    expect(res.body.jobs).toEqual([
      expect.objectContaining({ id: `send-${message.id}`, number: OURS, contact: CONTACT, text: long, preview: expect.stringMatching(/^Your appointment is confirmed\. .*…$/), mediaCount: 0 }),
    ]);
    expect([...(res.body.jobs[0]!.preview as string)]).toHaveLength(140);
  });
});

describe('audit log', () => {
  it('names who made each change and shows readable targets', async () => {
    await bridge.call('POST', '/admin/api/numbers', { body: { number: OURS, provider: 'local' } });
    await bridge.call('POST', '/admin/api/mappings', { body: { number: OURS, platform: 'slack', channel: 'C0123ABC', allowOff: true } });
    await bridge.call('PUT', '/admin/api/users/slack/U1', { body: { admin: true } });
    const audit = await json<{ actor: string; action: string; targetLabel: string }[]>(bridge.call('GET', '/admin/api/audit'));
    const rows = audit.body.map((e) => [e.actor, e.action, e.targetLabel]).sort((x, y) => x[1]!.localeCompare(y[1]!));
    expect(rows).toEqual([
      ['admin', 'mapping.create', '(415) 555-2671 → slack C0123ABC'],
      ['admin', 'number.create', '(415) 555-2671'],
      ['admin', 'user.update', 'slack user U1'],
    ]);
  });
});
