// Twilio's message list as the adapter reads it (SentMessageFinder), against the fake that serves
// it as documented: Basic auth, To/From/DateSent> filters, PageSize pages followed by
// next_page_uri, Twilio's error shapes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { twilioFindSentMessages, LIST_PAGE_SIZE } from '../../adapters/sms/twilio/sentMessages.js';
import { ProviderError } from '../../src/core/errors.js';
import { startFakeTwilio, type FakeTwilio } from '../fakes/twilioFake.js';

const OUR = '+14152345678';
const CONTACT = '+12123456781';

let tw: FakeTwilio;
beforeEach(async () => {
  tw = await startFakeTwilio();
});
afterEach(async () => {
  await tw.close();
});

const cfg = () => ({ accountSid: tw.accountSid, authToken: tw.authToken, apiUrl: tw.url, timeoutMs: 2_000 });

describe('Twilio message list (finding a message we may have sent)', () => {
  it('follows next_page_uri through every page and keeps only our messages to the contact since the time', async () => {
    const since = new Date(Date.now() - 60_000);
    for (let i = 0; i < LIST_PAGE_SIZE * 2 + 5; i++) tw.seedMessage({ to: CONTACT, from: OUR, body: `m${i}` });
    tw.seedMessage({ to: '+12123456789', from: OUR, body: 'to someone else' });
    tw.seedMessage({ to: OUR, from: CONTACT, body: 'their text', direction: 'inbound' });
    const before = new Date(since.getTime() - 60_000);
    tw.seedMessage({ to: CONTACT, from: OUR, body: 'older', dateCreated: before, dateSent: before });
    const found = await twilioFindSentMessages(cfg(), { from: OUR, to: CONTACT, since: since.toISOString() });
    expect(found).toHaveLength(LIST_PAGE_SIZE * 2 + 5);
    expect(found.every((m) => m.body.startsWith('m') && m.mediaCount === 0)).toBe(true);
    // Three pages with the date filter, then the first page without it.
    expect(tw.listCalls.map((c) => c.status)).toEqual([200, 200, 200, 200]);
    expect(tw.listCalls.slice(1, 3).every((c) => c.query.some(([k]) => k === 'PageToken'))).toBe(true);
  });

  it('sees a message Twilio still holds in its queue (no date_sent yet)', async () => {
    const queued = tw.seedMessage({ to: CONTACT, from: OUR, body: 'queued', dateSent: null });
    const found = await twilioFindSentMessages(cfg(), { from: OUR, to: CONTACT, since: new Date(Date.now() - 10_000).toISOString() });
    expect(found.map((m) => m.providerMessageId)).toEqual([queued.sid]);
  });

  it('wrong credentials: Twilio 401 (20003), not retryable', async () => {
    const err = await twilioFindSentMessages({ ...cfg(), authToken: 'wrong' }, { from: OUR, to: CONTACT, since: new Date().toISOString() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ httpStatus: 401, providerCode: '20003', retryable: false });
  });

  it('the fake refuses what Twilio refuses: unknown paths 404, bad dates and page sizes 400, forged pages 400', async () => {
    const auth = { authorization: 'Basic ' + Buffer.from(`${tw.accountSid}:${tw.authToken}`).toString('base64') };
    const list = `${tw.url}/2010-04-01/Accounts/${tw.accountSid}/Messages.json`;
    const missing = await fetch(`${tw.url}/2010-04-01/Accounts/${tw.accountSid}/Mesages.json`, { headers: auth });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 20404, status: 404 });
    expect((await fetch(`${list}?DateSent%3E=06-12-2026`, { headers: auth })).status).toBe(400);
    expect((await fetch(`${list}?PageSize=1001`, { headers: auth })).status).toBe(400);
    expect((await fetch(`${list}?Page=2&PageToken=PAforged`, { headers: auth })).status).toBe(400);
    expect((await fetch(list)).status).toBe(401);
  });

  it('a 503 or 429 from the list is retryable (the worker waits; it never guesses)', async () => {
    tw.failNextList({ status: 503 });
    tw.failNextList({ status: 429, retryAfter: 2 });
    const q = { from: OUR, to: CONTACT, since: new Date().toISOString() };
    expect(await twilioFindSentMessages(cfg(), q).catch((e: unknown) => e)).toMatchObject({ httpStatus: 503, retryable: true });
    expect(await twilioFindSentMessages(cfg(), q).catch((e: unknown) => e)).toMatchObject({ httpStatus: 429, retryable: true, retryAfterMs: 2000 });
  });
});
