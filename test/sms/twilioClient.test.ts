import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/core/errors.js';
import { twilioSend, type TwilioClientConfig } from '../../adapters/sms/twilio/client.js';
import { startFakeTwilio, type FakeTwilio } from '../fakes/twilioFake.js';

const sms = { messageId: 'm1', from: '+14156901234', to: '+14158675309', body: 'hi', mediaUrls: [] };

describe('Twilio send errors', () => {
  let fake: FakeTwilio;
  let cfg: TwilioClientConfig;
  beforeEach(async () => {
    fake = await startFakeTwilio();
    cfg = { accountSid: fake.accountSid, authToken: fake.authToken, apiUrl: fake.url, statusCallbackUrl: null, timeoutMs: 500 };
  });
  afterEach(() => fake.close());

  const fail = async (c: TwilioClientConfig = cfg, s = sms): Promise<ProviderError> => {
    const e = await twilioSend(c, s).then(() => null, (x: unknown) => x);
    expect(e).toBeInstanceOf(ProviderError);
    return e as ProviderError;
  };

  it.each([21211, 21614, 21612, 21408])('treats Twilio error %i as permanent, keeping the code', async (code) => {
    fake.failNext({ twilioCode: code });
    const e = await fail();
    expect(e).toMatchObject({ retryable: false, optedOut: false, providerCode: String(code), httpStatus: 400 });
  });

  it('marks 21610 as opted out with a human reason', async () => {
    fake.failNext({ twilioCode: 21610 });
    const e = await fail();
    expect(e).toMatchObject({ retryable: false, optedOut: true, providerCode: '21610' });
    expect(e.message).toMatch(/opted out/);
  });

  it('treats code 20429 as a rate limit even without HTTP 429', async () => {
    fake.failNext({ status: 400, twilioCode: 20429 });
    expect((await fail()).retryable).toBe(true);
  });

  it('honours Retry-After on a 5xx too', async () => {
    fake.failNext({ status: 503, retryAfter: 7 });
    expect(await fail()).toMatchObject({ retryable: true, retryAfterMs: 7000, httpStatus: 503 });
  });

  it('treats a refused connection as retryable', async () => {
    await fake.close();
    const e = await fail();
    expect(e.retryable).toBe(true);
  });

  it('is refused by the strict fake with wrong credentials (20003), not retryable', async () => {
    const e = await fail({ ...cfg, authToken: 'wrong' });
    expect(e).toMatchObject({ retryable: false, providerCode: '20003', httpStatus: 401 });
  });

  it('sends an MMS without text as media only (no empty Body)', async () => {
    await twilioSend(cfg, { ...sms, body: '', mediaUrls: ['https://bridge.example.com/media/1?sig=x'] });
    expect(fake.calls[0]!.fields).toEqual([
      ['To', sms.to],
      ['From', sms.from],
      ['MediaUrl', 'https://bridge.example.com/media/1?sig=x'],
    ]);
  });
});
