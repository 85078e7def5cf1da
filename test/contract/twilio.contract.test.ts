// Twilio passes the SmsProvider contract against the strict local fake Twilio.
import { createTwilioProvider } from '../../adapters/sms/twilio/index.js';
import { signTwilioWebhook, startFakeTwilio, twilioInboundParams } from '../fakes/twilioFake.js';
import { serveRouters } from './support/app.js';
import { commonParts } from './support/parts.js';
import { expect } from 'vitest';
import { smsProviderContract, type ProviderUnderTest } from './smsProvider.contract.js';

const PUBLIC_URL = 'https://bridge.example.com';

smsProviderContract({
  name: 'twilio',
  providerId: 'twilio',
  declaresMediaTypes: true,
  async start(): Promise<ProviderUnderTest> {
    const parts = await commonParts();
    const fake = await startFakeTwilio();
    const adapter = createTwilioProvider(
      { accountSid: fake.accountSid, authToken: fake.authToken, apiUrl: fake.url, publicUrl: PUBLIC_URL, timeoutMs: 300 },
      { store: parts.store, clock: parts.clock, queue: parts.queue, notifier: parts.notifier },
    );
    const app = await serveRouters(adapter.router);

    const post = (path: string, params: Array<[string, string]>, token: string | null) => {
      const signed = signTwilioWebhook(token ?? 'unused', PUBLIC_URL + path, params);
      const headers: Record<string, string> = { ...signed.headers };
      if (token === null) delete headers['x-twilio-signature'];
      return fetch(app.url + path, { method: 'POST', headers, body: signed.body });
    };

    return {
      store: parts.store,
      provider: adapter.provider,
      queue: parts.queue,
      notifier: parts.notifier,
      fetcher: parts.fetcherFor('twilio', adapter.mediaSource),
      dataDir: parts.dataDir,
      rejectStatus: 403,
      postInbound(m, auth = 'good') {
        const params = Object.entries(twilioInboundParams({ sid: m.id, from: m.from, to: m.to, body: m.body, media: m.media, accountSid: fake.accountSid }));
        return post('/webhooks/twilio/sms', params, auth === 'good' ? fake.authToken : auth === 'bad' ? 'not-the-token' : null);
      },
      postStatus(u) {
        const params: Array<[string, string]> = [
          ['MessageSid', u.providerMessageId],
          ['SmsSid', u.providerMessageId],
          ['MessageStatus', u.status],
          ['SmsStatus', u.status],
          ['AccountSid', fake.accountSid],
          ['From', '+14156901234'],
          ['To', '+14158675309'],
          ['ApiVersion', '2010-04-01'],
          ...(u.status === 'failed' || u.status === 'undelivered' ? ([['ErrorCode', '30003']] as Array<[string, string]>) : []),
        ];
        return post('/webhooks/twilio/status', params, fake.authToken);
      },
      postRawInbound(body, contentType) {
        const params = [...new URLSearchParams(body).entries()];
        const signed = signTwilioWebhook(fake.authToken, PUBLIC_URL + '/webhooks/twilio/sms', params);
        return fetch(app.url + '/webhooks/twilio/sms', {
          method: 'POST',
          headers: { 'content-type': contentType, 'x-twilio-signature': signed.headers['x-twilio-signature']! },
          body,
        });
      },
      postArbitrary({ form }) {
        return post(form.length % 2 === 0 ? '/webhooks/twilio/sms' : '/webhooks/twilio/status', form, fake.authToken);
      },
      sends: () => fake.calls.map((c) => ({ to: c.To, from: c.From, body: c.Body, mediaUrls: c.MediaUrl })),
      expectDocumentedFields(i, sms) {
        const call = fake.calls[i]!;
        const expected: Array<[string, string]> = [
          ['To', sms.to],
          ['From', sms.from],
          ['Body', sms.body],
          ...sms.mediaUrls.map((u): [string, string] => ['MediaUrl', u]),
          // Our send key rides in the callback URL (a receipt can beat the send's answer).
          ['StatusCallback', `${PUBLIC_URL}/webhooks/twilio/status?send=${encodeURIComponent(sms.messageId)}`],
        ];
        expect(call.accountSid).toBe(fake.accountSid);
        expect(call.fields).toEqual(expected);
      },
      failNext(f) {
        if (f.kind === 'permanent') fake.failNext({ twilioCode: 21211 });
        else if (f.kind === 'optedOut') fake.failNext({ twilioCode: 21610 });
        else if (f.kind === 'rateLimited') fake.failNext({ status: 429, twilioCode: 20429, retryAfter: f.retryAfterSec });
        else if (f.kind === 'unavailable') fake.failNext({ status: 503 });
        else fake.failNext({ delayMs: 1500 });
      },
      addMedia: (file) => fake.addMedia(file),
      addRedirect: (location) => fake.addMedia({ contentType: 'image/png', body: Buffer.alloc(0), redirectTo: location }),
      mediaAuthorizations: () => fake.media.requests.map((r) => r.authorization),
      mediaNeedsAuth: true,
      outsider: parts.outsider,
      async close() {
        await app.close();
        await fake.close();
        await parts.close();
      },
    };
  },
});
