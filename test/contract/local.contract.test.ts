// The local dev provider passes the same SmsProvider contract: inbound through the admin-guarded
// dev endpoint, "sends" into its outbox, failures rehearsed with failNext.
import { expect } from 'vitest';
import { createLocalProvider } from '../../adapters/sms/local/index.js';
import { LOCAL_INBOUND_BODY_LIMIT } from '../../adapters/sms/local/routes.js';
import { requireAdmin } from '../../src/admin/auth.js';
import { MediaShelf, startFakeServer } from './support/httpFake.js';
import { serveRouters } from './support/app.js';
import { commonParts } from './support/parts.js';
import { smsProviderContract, type ProviderUnderTest } from './smsProvider.contract.js';

const ADMIN_TOKEN = 'dev-admin-token-0123456789';

smsProviderContract({
  name: 'local',
  providerId: 'local',
  declaresMediaTypes: true,
  maxInboundBodyBytes: LOCAL_INBOUND_BODY_LIMIT,
  async start(): Promise<ProviderUnderTest> {
    const parts = await commonParts();
    // Where injected media live in these tests (a dev machine's own file server, say).
    const shelf = new MediaShelf();
    const media = await startFakeServer((req, res) => {
      if (!shelf.serve(req, res)) res.writeHead(404).end();
    });
    const adapter = createLocalProvider(
      { requireAdmin: requireAdmin(ADMIN_TOKEN), mediaBaseUrls: [media.url] },
      { store: parts.store, clock: parts.clock, queue: parts.queue, notifier: parts.notifier },
    );
    const app = await serveRouters(adapter.router);
    const post = (path: string, body: string, auth: string | null, contentType = 'application/json') =>
      fetch(app.url + path, {
        method: 'POST',
        headers: { 'content-type': contentType, ...(auth === null ? {} : { authorization: `Bearer ${auth}` }) },
        body,
      });
    let n = 0;

    return {
      store: parts.store,
      provider: adapter.provider,
      queue: parts.queue,
      notifier: parts.notifier,
      fetcher: parts.fetcherFor('local', adapter.mediaSource),
      dataDir: parts.dataDir,
      rejectStatus: 401,
      postInbound(m, auth = 'good') {
        const body = { id: m.id, from: m.from, to: m.to, body: m.body, ...(m.media ? { media: m.media } : {}) };
        return post('/admin/api/dev/inbound', JSON.stringify(body), auth === 'good' ? ADMIN_TOKEN : auth === 'bad' ? 'wrong-token' : null);
      },
      postStatus: (u) =>
        post('/admin/api/dev/status', JSON.stringify({ providerMessageId: u.providerMessageId, status: u.status }), ADMIN_TOKEN),
      postRawInbound: (body, contentType) => post('/admin/api/dev/inbound', body, ADMIN_TOKEN, contentType),
      postArbitrary: ({ json }) => post(n++ % 2 ? '/admin/api/dev/inbound' : '/admin/api/dev/status', JSON.stringify(json), ADMIN_TOKEN),
      sends: async () => (await adapter.provider.outbox()).map((e) => ({ to: e.to, from: e.from, body: e.body, mediaUrls: e.mediaUrls })),
      async expectDocumentedFields(i, sms) {
        const e = (await adapter.provider.outbox())[i]!;
        expect(e).toEqual({
          providerMessageId: expect.stringMatching(/^local-[0-9a-f-]{36}$/),
          messageId: sms.messageId,
          from: sms.from,
          to: sms.to,
          body: sms.body,
          mediaUrls: sms.mediaUrls,
          at: expect.any(String),
        });
      },
      failNext(f) {
        if (f.kind === 'rateLimited') adapter.provider.failNext({ kind: 'rateLimited', retryAfterMs: f.retryAfterSec * 1000 });
        else adapter.provider.failNext(f);
      },
      addMedia(file) {
        const path = `/files/${++n}`;
        shelf.put(path, file);
        return media.url + path;
      },
      addRedirect(location) {
        const path = `/files/${++n}`;
        shelf.put(path, { contentType: 'image/png', body: Buffer.alloc(0), redirectTo: location });
        return media.url + path;
      },
      mediaAuthorizations: () => shelf.requests.map((r) => r.authorization),
      mediaNeedsAuth: false,
      outsider: parts.outsider,
      async close() {
        await app.close();
        await media.close();
        await parts.close();
      },
    };
  },
});
