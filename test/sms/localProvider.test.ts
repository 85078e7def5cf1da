// The local dev provider: a dev phone behind the admin token, nothing sent anywhere.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalProvider, type LocalAdapter } from '../../adapters/sms/local/index.js';
import type { LocalOutboxEntry } from '../../adapters/sms/local/index.js';
import { requireAdmin } from '../../src/admin/auth.js';
import { serveRouters, type TestApp } from '../contract/support/app.js';
import { commonParts, type CommonParts } from '../contract/support/parts.js';

const TOKEN = 'admin-token-for-tests';
const sms = { messageId: 'm-1', from: '+14156901234', to: '+14158675309', body: 'hello', mediaUrls: [] };

describe('local dev provider', () => {
  let parts: CommonParts;
  let adapter: LocalAdapter;
  let app: TestApp;
  beforeEach(async () => {
    parts = await commonParts();
    adapter = createLocalProvider({ requireAdmin: requireAdmin(TOKEN) }, { store: parts.store, clock: parts.clock, queue: parts.queue });
    app = await serveRouters(adapter.router);
  });
  afterEach(async () => {
    await app.close();
    await parts.close();
  });

  it('lists what was "sent" in the outbox, to admins only', async () => {
    await adapter.provider.send(sms);
    expect((await fetch(`${app.url}/admin/api/dev/outbox`)).status).toBe(401);
    const res = await fetch(`${app.url}/admin/api/dev/outbox`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const list = (await res.json()) as LocalOutboxEntry[];
    expect(list.map((e) => [e.to, e.body])).toEqual([[sms.to, sms.body]]);
  });

  it('sends a message id once: a retried send returns the same provider id', async () => {
    const seen: LocalOutboxEntry[] = [];
    adapter.provider.events.on('sent', (e: LocalOutboxEntry) => seen.push(e));
    const a = await adapter.provider.send(sms);
    const b = await adapter.provider.send(sms);
    expect(b.providerMessageId).toBe(a.providerMessageId);
    expect(await adapter.provider.outbox()).toHaveLength(1);
    expect(seen).toHaveLength(1);
    expect(adapter.provider.capabilities.idempotentSend).toBe(true);
  });

  it('answers 201 for a new injected message and 200 for a repeat of the same id', async () => {
    const inject = () =>
      fetch(`${app.url}/admin/api/dev/inbound`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'dev-1', from: '(415) 867-5309', to: '+1 415 690 1234', body: 'hi' }),
      });
    const first = await inject();
    expect(first.status).toBe(201);
    const body = (await first.json()) as { messageId: string; duplicate: boolean; routed: boolean };
    expect(body).toMatchObject({ duplicate: false, routed: false });
    expect((await inject()).status).toBe(200);
    const conv = await parts.store.conversations.list();
    expect(conv).toHaveLength(1);
    expect(conv[0]).toMatchObject({ number: '+14156901234', contact: '+14158675309' });
  });

  it("never injects a text to a real provider's number (no faked contact, no faked STOP), and stores nothing", async () => {
    await parts.store.numbers.create({ e164: '+14156901234', provider: 'twilio', type: 'local', status: 'active', country: 'US' });
    const res = await fetch(`${app.url}/admin/api/dev/inbound`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ from: '+14158675309', to: '(415) 690-1234', body: 'STOP' }),
    });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { field: string; message: string } };
    expect(error.field).toBe('to');
    expect(error.message).toContain('is a twilio number');
    expect(await parts.store.conversations.list()).toHaveLength(0);
    expect(await parts.store.optOuts.isOptedOut('+14156901234', '+14158675309')).toBe(false);
  });

  it('names the field of an invalid injected message', async () => {
    const res = await fetch(`${app.url}/admin/api/dev/inbound`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: '+14156901234', body: 'x' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { field: string } }).error.field).toBe('from');
  });

  it('refuses every injected media link when no media base URL is configured', async () => {
    const res = await fetch(`${app.url}/admin/api/dev/inbound`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ from: '+14158675309', to: '+14156901234', body: '', mediaUrls: ['http://127.0.0.1:1/x.png'] }),
    });
    const { messageId } = (await res.json()) as { messageId: string };
    const fetcher = parts.fetcherFor('local', adapter.mediaSource);
    expect((await fetcher.fetchPendingMedia(messageId))[0]).toMatchObject({ status: 'refused', reason: 'media link pointed outside the provider' });
  });
});
