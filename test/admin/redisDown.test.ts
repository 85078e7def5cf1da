// While Redis does not answer, the admin API keeps answering at once: failed work, resends and
// retries live in the store (the outbox), so a resend is recorded with its place in the send
// order and goes out when Redis answers again (the workers wake it from the outbox).
import { afterEach, describe, expect, it } from 'vitest';
import { startTestBridge, type TestBridge } from '../http/helpers.js';

let bridge: TestBridge | null = null;
afterEach(async () => {
  await bridge?.cleanup();
  bridge = null;
});

describe('admin API while Redis is down', () => {
  it('failed jobs, resend and retry answer at once from the store; a resend is recorded for when Redis is back', async () => {
    bridge = await startTestBridge({ REDIS_URL: 'redis://127.0.0.1:1' });
    const b = bridge;
    const s = b.ctx.store;
    await s.numbers.create({ e164: '+14155552671', provider: 'local', type: 'local', status: 'active', country: 'US' });
    const conversation = (await s.conversations.getOrCreate('+14155552671', '+12125553456')).conversation;
    const failed = (await s.messages.insert({
      conversationId: conversation.id, direction: 'outbound', body: 'try me again', status: 'failed', encoding: 'GSM-7', segments: 1,
      statusReason: 'provider down', errorCode: 'http_503', provider: 'local',
    })).message;
    await s.outbox.fail((await s.outbox.add('send', conversation.id, failed.id)).seq, 'provider down');

    const started = Date.now();
    const list = await b.call('GET', '/admin/api/jobs/failed');
    expect(list.status).toBe(200);
    expect(((await list.json()) as { jobs: Array<{ messageId: string }> }).jobs.map((j) => j.messageId)).toEqual([failed.id]);
    const resend = await b.call('POST', `/admin/api/messages/${failed.id}/resend`);
    expect(resend.status).toBe(200);
    expect(await resend.json()).toMatchObject({ messageId: failed.id, status: 'queued' });
    expect(await s.outbox.findByMessage('send', failed.id)).toMatchObject({ state: 'ready' });
    expect((await b.call('POST', `/admin/api/jobs/send-${failed.id}/retry`)).status).toBe(409); // queued already
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await b.call('GET', '/admin/api/numbers')).status).toBe(200);
  }, 20_000);
});
