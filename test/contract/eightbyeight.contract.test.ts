// 8x8 passes the SmsProvider contract against the strict local fake 8x8.
import { expect } from 'vitest';
import { createEightByEightProvider } from '../../adapters/sms/eightbyeight/index.js';
import { eightByEightInbound, eightByEightStatus, startFakeEightByEight } from '../fakes/eightbyeightFake.js';
import { serveRouters } from './support/app.js';
import { commonParts } from './support/parts.js';
import { smsProviderContract, type ProviderUnderTest } from './smsProvider.contract.js';

const PUBLIC_URL = 'https://bridge.example.com';
const WEBHOOK_AUTH = 'Basic c21zYnJpZGdlOnMzY3JldC13ZWJob29r';

smsProviderContract({
  name: '8x8',
  providerId: '8x8',
  declaresMediaTypes: false,
  async start(): Promise<ProviderUnderTest> {
    const parts = await commonParts();
    const fake = await startFakeEightByEight();
    const adapter = createEightByEightProvider(
      { apiKey: fake.apiKey, subaccountId: fake.subaccountId, apiUrl: fake.url, webhookAuth: WEBHOOK_AUTH, publicUrl: PUBLIC_URL, timeoutMs: 300 },
      { store: parts.store, clock: parts.clock, queue: parts.queue, notifier: parts.notifier },
    );
    const app = await serveRouters(adapter.router);
    const post = (body: string, auth: string | null, contentType = 'application/json') =>
      fetch(app.url + '/webhooks/8x8', {
        method: 'POST',
        headers: { 'content-type': contentType, ...(auth === null ? {} : { authorization: auth }) },
        body,
      });

    return {
      store: parts.store,
      provider: adapter.provider,
      queue: parts.queue,
      notifier: parts.notifier,
      fetcher: parts.fetcherFor('8x8', adapter.mediaSource),
      dataDir: parts.dataDir,
      rejectStatus: 401,
      postInbound(m, auth = 'good') {
        const body = eightByEightInbound({ umid: m.id, from: m.from, to: m.to, body: m.body, mediaUrls: m.media?.map((x) => x.url) });
        return post(JSON.stringify(body), auth === 'good' ? WEBHOOK_AUTH : auth === 'bad' ? 'Basic bm9wZTpub3Bl' : null);
      },
      postStatus(u) {
        const body = eightByEightStatus({
          umid: u.providerMessageId,
          clientMessageId: u.messageId,
          state: u.status,
          ...(u.status === 'failed' ? { errorCode: 7, errorMessage: 'Unknown subscriber' } : {}),
        });
        return post(JSON.stringify(body), WEBHOOK_AUTH);
      },
      postRawInbound: (body, contentType) => post(body, WEBHOOK_AUTH, contentType),
      postArbitrary: ({ json }) => post(JSON.stringify(json), WEBHOOK_AUTH),
      sends: () =>
        fake.calls.map((c) => ({
          to: c.body.destination as string | undefined,
          from: c.body.source as string | undefined,
          body: c.body.text as string | undefined,
          mediaUrls: (c.body.mediaUrls as string[] | undefined) ?? [],
        })),
      expectDocumentedFields(i, sms) {
        const call = fake.calls[i]!;
        expect(call.subaccountId).toBe(fake.subaccountId);
        expect(call.body).toEqual({
          destination: sms.to,
          text: sms.body,
          source: sms.from,
          clientMessageId: sms.messageId,
          encoding: 'AUTO',
          dlrCallbackUrl: `${PUBLIC_URL}/webhooks/8x8`,
          ...(sms.mediaUrls.length > 0 ? { mediaUrls: sms.mediaUrls } : {}),
        });
      },
      failNext(f) {
        if (f.kind === 'permanent') fake.failNext({ rejected: 'Destination is not valid' });
        else if (f.kind === 'optedOut') fake.failNext({ rejected: 'Recipient has unsubscribed (opted out)' });
        else if (f.kind === 'rateLimited') fake.failNext({ status: 429, retryAfter: f.retryAfterSec });
        else if (f.kind === 'unavailable') fake.failNext({ status: 503 });
        else fake.failNext({ delayMs: 1500 });
      },
      addMedia: (file) => fake.addMedia(file),
      addRedirect: (location) => fake.addMedia({ contentType: 'image/png', body: Buffer.alloc(0), redirectTo: location }),
      mediaAuthorizations: () => fake.media.requests.map((r) => r.authorization),
      mediaNeedsAuth: false,
      mediaFromAnyPublicHttpsHost: true,
      outsider: parts.outsider,
      async close() {
        await app.close();
        await fake.close();
        await parts.close();
      },
    };
  },
});
