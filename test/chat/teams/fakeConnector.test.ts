// The fake Bot Framework connector is strict like the real one, so the adapter cannot pass tests
// by sending activities Teams would reject.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeBotConnector, type FakeBotConnector } from '../../fakes/fakeBotConnector.js';

let fake: FakeBotConnector;
beforeEach(async () => {
  fake = await startFakeBotConnector();
});
afterEach(async () => {
  await fake.close();
});

const call = (method: string, path: string, body?: unknown) =>
  fetch(`${fake.serviceUrl.replace(/\/$/, '')}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe('fake Bot Framework connector', () => {
  it('creates a thread root, takes posts and replies in it, and updates activities', async () => {
    const created = await call('POST', '/v3/conversations', { isGroup: true, channelData: { channel: { id: '19:c@thread.tacv2' } }, activity: { type: 'message', text: 'root' } });
    expect(created.status).toBe(201);
    const { id: conv, activityId: root } = (await created.json()) as { id: string; activityId: string };
    expect(conv).toBe(`19:c@thread.tacv2;messageid=${root}`);

    const posted = await call('POST', `/v3/conversations/${encodeURIComponent(conv)}/activities`, { type: 'message', text: 'a', conversation: { id: conv } });
    const { id: a } = (await posted.json()) as { id: string };
    const replied = await call('POST', `/v3/conversations/${encodeURIComponent('19:c@thread.tacv2')}/activities/${root}`, { type: 'message', text: 'b', conversation: { id: '19:c@thread.tacv2' } });
    expect(replied.status).toBe(201);
    expect(fake.thread(root).map((x) => x.activity.text)).toEqual(['a', 'b']);

    const put = await call('PUT', `/v3/conversations/${encodeURIComponent(conv)}/activities/${a}`, { type: 'message', text: 'a2', conversation: { id: conv } });
    expect(put.status).toBe(200);
    expect(fake.thread(root)[0]!.updates.map((u) => u.text)).toEqual(['a2']);
  });

  it('rejects malformed activities: missing type, missing or wrong conversation, unknown thread', async () => {
    const conv = '19:c@thread.tacv2;messageid=1';
    expect((await call('POST', '/v3/conversations', { isGroup: true, channelData: { channel: { id: '19:c' } }, activity: { text: 'no type' } })).status).toBe(400);
    expect((await call('POST', '/v3/conversations', { isGroup: true, activity: { type: 'message' } })).status).toBe(400);
    expect((await call('POST', `/v3/conversations/${encodeURIComponent(conv)}/activities`, { text: 'x', conversation: { id: conv } })).status).toBe(400);
    expect((await call('POST', `/v3/conversations/${encodeURIComponent(conv)}/activities`, { type: 'message', text: 'x' })).status).toBe(400);
    expect((await call('POST', `/v3/conversations/${encodeURIComponent(conv)}/activities`, { type: 'message', conversation: { id: 'other' } })).status).toBe(400);
    expect((await call('POST', `/v3/conversations/${encodeURIComponent(conv)}/activities`, { type: 'message', conversation: { id: conv } })).status).toBe(404);
    expect((await call('PUT', `/v3/conversations/${encodeURIComponent(conv)}/activities/77`, { type: 'message', conversation: { id: conv } })).status).toBe(404);
    expect(fake.activities).toEqual([]);
  });

  it('answers 429 with Retry-After, 5xx, and checks the bearer token when asked', async () => {
    fake.failNext({ status: 429, retryAfter: 2 });
    fake.failNext({ status: 502 });
    const body = { isGroup: true, channelData: { channel: { id: '19:c' } }, activity: { type: 'message' } };
    const throttled = await call('POST', '/v3/conversations', body);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('2');
    expect((await call('POST', '/v3/conversations', body)).status).toBe(502);
    fake.requireToken('t0k');
    expect((await call('POST', '/v3/conversations', body)).status).toBe(401);
    expect(fake.calls.map((c) => c.status)).toEqual([429, 502, 401]);
  });
});
