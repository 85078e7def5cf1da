// The wiring helper for src/modules.ts, and media handling in the send worker: files go out as the
// signed links the media part makes, and a message with files never goes out without them.
import express from 'express';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { requestOutbound } from '../../src/core/usecases/requestOutbound.js';
import { createJobsParts, createJobsProducers } from '../../jobs/module.js';
import { createHarness, deletePrefix, newRedis, uniquePrefix, type Harness } from './support/harness.js';
import { startFakeProvider } from './support/fakeProvider.js';
import { httpSmsProvider } from './support/httpProvider.js';
import { createTempStore } from '../support/tempStore.js';

const LOCAL = '+14152345678';
let h: Harness | null = null;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await h?.close();
  h = null;
});

describe('media in the send worker', () => {
  async function messageWithFile(x: Harness): Promise<string> {
    const r = await x.send(LOCAL, '+12123456789', 'see picture');
    if (!r.ok) throw new Error('refused');
    x.temp.store.media.create({ messageId: r.message.id, contentType: 'image/png', size: 1000, path: 'media/m1', sourceUrl: null, status: 'stored', reason: null });
    return r.message.id;
  }

  it('a message with a file is sent with its signed link', async () => {
    h = await createHarness({ worker: false });
    h.addNumber(LOCAL);
    const id = await messageWithFile(h);
    h.deps.mediaUrls = (m) => m.media.map((f) => `https://bridge.example/media/${f.id}?sig=x`);
    await h.startWorker();
    await h.waitFor(() => h!.message(id).status === 'sent', 'sent');
    expect(h.fake.sent[0]!.mediaUrls).toHaveLength(1);
    expect(h.fake.sent[0]!.mediaUrls[0]).toMatch(/^https:\/\/bridge\.example\/media\//);
  });

  it('without media links configured the message fails with the reason instead of going out without its file', async () => {
    h = await createHarness({ worker: false });
    h.addNumber(LOCAL);
    const id = await messageWithFile(h);
    await h.startWorker();
    await h.waitFor(() => h!.message(id).status === 'failed', 'failed');
    expect(h.message(id).errorCode).toBe('media_unavailable');
    expect(h.fake.requests).toHaveLength(0);
  });
});

describe('wiring for src/modules.ts', () => {
  it('producers exist before the workers; the parts send, deliver and mount the admin routes behind the admin token', async () => {
    const prefix = uniquePrefix();
    const redis = newRedis();
    const temp = createTempStore();
    const fake = await startFakeProvider();
    const provider = httpSmsProvider({ id: 'fake', url: fake.url });
    cleanups.push(async () => {
      await provider.close();
      await fake.close();
      await deletePrefix(redis, prefix);
      await redis.quit();
      temp.cleanup();
    });
    const config = loadConfig({ QUEUE_PREFIX: prefix, ADMIN_TOKEN: 'secret-token' });
    const ctx = { config, store: temp.store, redis, clock: { now: () => new Date() }, logger: createLogger({ level: 'silent' }) };

    const producers = createJobsProducers(ctx, { backoff: { baseMs: 20, maxMs: 100 } });
    const delivered: string[] = [];
    const parts = createJobsParts(ctx, producers, {
      providers: (id) => (id === 'fake' ? provider : null),
      notifier: { statusChanged: () => Promise.resolve() },
      deliver: async (id) => void delivered.push(id),
    });
    for (const s of parts.startables) await s.start();
    cleanups.push(async () => {
      for (const s of [...parts.startables].reverse()) await s.stop();
    });

    temp.store.numbers.create({ e164: LOCAL, provider: 'fake', type: 'local', status: 'active', country: 'US' });
    temp.store.numbers.create({ e164: '+14157654321', provider: 'fake', type: 'local', status: 'active', country: 'US' });
    const deps = { store: temp.store, clock: ctx.clock, queue: producers.outbound.queue, deliveries: producers.deliveries, providerCaps: () => provider.capabilities };
    const author = { platform: 'slack', userId: 'U1' };
    const out = await requestOutbound(deps, { fromNumber: LOCAL, to: ['+12123456789'], body: 'hi', media: [], author, platformMessageId: 'slack:w1' });
    const internal = await requestOutbound(deps, { fromNumber: LOCAL, to: ['+14157654321'], body: 'hi', media: [], author, platformMessageId: 'slack:w2' });
    if (!out.ok || !internal.ok) throw new Error('refused');
    const until = Date.now() + 10_000;
    while ((temp.store.messages.get(out.message.id)?.status !== 'sent' || delivered.length === 0) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(temp.store.messages.get(out.message.id)?.status).toBe('sent');
    expect(delivered).toHaveLength(1);
    expect(fake.sent).toHaveLength(1);

    const app = express();
    for (const m of parts.mounts) m(app);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect((await fetch(`${base}/admin/api/jobs/failed`)).status).toBe(401);
    const ok = await fetch(`${base}/admin/api/jobs/failed`, { headers: { authorization: 'Bearer secret-token' } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ jobs: [] });
  });
});
