// The contract every SMS provider adapter passes (Twilio, 8x8, local; a fourth provider adds a
// harness and one *.test.ts). Each provider test file supplies a harness that speaks the
// provider's wire format; the cases below only speak the bridge's words.
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/core/errors.js';
import type { SmsProvider, Store } from '../../src/core/ports.js';
import type { DeliveryUpdate, OutboundSms } from '../../src/core/types.js';
import type { MediaFetcher } from '../../src/media/fetcher.js';
import type { RecordingNotifier, RecordingTurnQueue } from './support/recorders.js';

export const OUR_NUMBER = '+14156901234';
export const UNMAPPED_NUMBER = '+14156905678';
export const UNKNOWN_NUMBER = '+14156909999';
export const CONTACT = '+14158675309';
export const UK_CONTACT = '+447700900123';

export interface InboundSpec {
  id: string;
  from: string;
  to: string;
  body: string;
  media?: Array<{ url: string; contentType: string }>;
}

export type FailureKind =
  | { kind: 'permanent' }
  | { kind: 'optedOut' }
  | { kind: 'rateLimited'; retryAfterSec: number }
  | { kind: 'unavailable' }
  | { kind: 'timeout' };

export interface SentCall {
  to: string | undefined;
  from: string | undefined;
  body: string | undefined;
  mediaUrls: string[];
}

export interface ProviderUnderTest {
  store: Store;
  provider: SmsProvider;
  queue: RecordingTurnQueue;
  notifier: RecordingNotifier;
  fetcher: MediaFetcher;
  dataDir: string;
  /** What a request with bad credentials gets (Twilio 403, 8x8 and admin 401). */
  rejectStatus: 401 | 403;
  postInbound(m: InboundSpec, auth?: 'good' | 'bad' | 'missing'): Promise<Response>;
  postStatus(u: { providerMessageId: string; messageId: string; status: DeliveryUpdate['status'] }): Promise<Response>;
  /** Raw bytes to the inbound endpoint with valid credentials (signed where the provider signs). */
  postRawInbound(body: string, contentType: string): Promise<Response>;
  /** Arbitrary, correctly authenticated input: random form fields or JSON, per the wire format. */
  postArbitrary(input: { form: Array<[string, string]>; json: unknown }): Promise<Response>;
  sends(): SentCall[] | Promise<SentCall[]>;
  /** Asserts the provider recorded exactly the documented request fields for `sms`. */
  expectDocumentedFields(index: number, sms: OutboundSms): void | Promise<void>;
  failNext(f: FailureKind): void;
  /** Media served the way the provider serves it (with its auth where it uses auth). */
  addMedia(file: { contentType: string; body: Buffer }): string;
  /** A provider media link that redirects to `location`. */
  addRedirect(location: string): string;
  /** Authorization header of each request the provider's media host received. */
  mediaAuthorizations(): Array<string | undefined>;
  /** True when the provider requires its credentials on media downloads (Twilio). */
  mediaNeedsAuth: boolean;
  /**
   * The provider's inbound media may come from any public HTTPS host (8x8: pre-signed links to
   * storage it does not name); others only from their own hosts.
   */
  mediaFromAnyPublicHttpsHost?: boolean;
  /** A server on 127.0.0.1 but another port: a host outside the provider. */
  outsider: { url: string; requests(): number };
  close(): Promise<void>;
}

export interface ProviderHarness {
  name: string;
  providerId: string;
  /** The wire format declares each media file's content type (Twilio yes, 8x8 no). */
  declaresMediaTypes: boolean;
  /**
   * Largest inbound body accepted; default 1 MB. The local provider's is larger: the dev phone
   * sends pictures inline (base64), up to the MMS size limit.
   */
  maxInboundBodyBytes?: number;
  start(): Promise<ProviderUnderTest>;
}

const sms = (over: Partial<OutboundSms> = {}): OutboundSms => ({
  messageId: '9f0b5a4e-8a9d-4c7c-9d55-3f2f9a0c1b11',
  from: OUR_NUMBER,
  to: CONTACT,
  body: 'Your table is ready',
  mediaUrls: [],
  ...over,
});

export function smsProviderContract(h: ProviderHarness): void {
  describe(`SmsProvider contract: ${h.name}`, () => {
    let t: ProviderUnderTest;
    let seq = 0;
    const nextId = () => `${h.providerId}-msg-${Date.now()}-${seq++}`;

    beforeEach(async () => {
      t = await h.start();
      await t.store.numbers.create({ e164: OUR_NUMBER, provider: h.providerId, type: 'local', status: 'active', country: 'US' });
      await t.store.numbers.create({ e164: UNMAPPED_NUMBER, provider: h.providerId, type: 'local', status: 'active', country: 'US' });
      await t.store.mappings.create({ number: OUR_NUMBER, platform: 'slack', channel: 'C0123456' });
    });
    afterEach(async () => {
      await t.close();
    });

    const messageCount = async () => (await t.store.messages.search({ limit: 1000 })).length;
    const inboundOf = async (providerMessageId: string) => await t.store.messages.getByProviderId(h.providerId, providerMessageId);

    async function storeOutbound(providerMessageId: string) {
      const { conversation } = await t.store.conversations.getOrCreate(OUR_NUMBER, CONTACT);
      return (await t.store.messages.insert({
        conversationId: conversation.id,
        direction: 'outbound',
        body: 'hello',
        status: 'queued',
        provider: h.providerId,
        providerMessageId,
        encoding: 'GSM-7',
        segments: 1,
      })).message;
    }

    // -- webhook authentication ---------------------------------------------------------------
    describe('webhook authentication', () => {
      it('refuses a webhook with bad credentials and stores nothing', async () => {
        const res = await t.postInbound({ id: nextId(), from: CONTACT, to: OUR_NUMBER, body: 'hi' }, 'bad');
        expect(res.status).toBe(t.rejectStatus);
        expect(await messageCount()).toBe(0);
        expect(await t.store.conversations.list()).toHaveLength(0);
        expect(t.queue.calls).toHaveLength(0);
      });

      it('refuses a webhook without credentials and stores nothing', async () => {
        const res = await t.postInbound({ id: nextId(), from: CONTACT, to: OUR_NUMBER, body: 'hi' }, 'missing');
        expect(res.status).toBe(t.rejectStatus);
        expect(await messageCount()).toBe(0);
      });

      it('accepts a correctly authenticated webhook', async () => {
        const res = await t.postInbound({ id: nextId(), from: CONTACT, to: OUR_NUMBER, body: 'hi' });
        expect(res.status).toBeGreaterThanOrEqual(200);
        expect(res.status).toBeLessThan(300);
      });
    });

    // -- inbound ---------------------------------------------------------------------------------
    describe('inbound messages', () => {
      it('stores an inbound SMS in its conversation with its chat delivery, and wakes delivery before acknowledging', async () => {
        const id = nextId();
        const res = await t.postInbound({ id, from: CONTACT, to: OUR_NUMBER, body: 'Is the shop open today?' });
        expect(res.ok).toBe(true);
        const m = await inboundOf(id);
        expect(m).not.toBeNull();
        expect(m!.direction).toBe('inbound');
        expect(m!.status).toBe('received');
        expect(m!.body).toBe('Is the shop open today?');
        const conv = (await t.store.conversations.get(m!.conversationId))!;
        expect(conv).toMatchObject({ number: OUR_NUMBER, contact: CONTACT });
        const item = await t.store.outbox.findByMessage('deliver', m!.id);
        expect(item).toMatchObject({ state: 'ready', conversationId: conv.id });
        expect([...t.queue.jobs]).toEqual([`deliver/${conv.id}.m${item!.seq}`]);
      });

      it('stores an inbound MMS with one pending media row per file, keeping the source link', async () => {
        const id = nextId();
        const a = t.addMedia({ contentType: 'image/jpeg', body: Buffer.from('jpeg') });
        const b = t.addMedia({ contentType: 'image/png', body: Buffer.from('png') });
        const res = await t.postInbound({
          id,
          from: CONTACT,
          to: OUR_NUMBER,
          body: 'two pictures',
          media: [
            { url: a, contentType: 'image/jpeg' },
            { url: b, contentType: 'image/png' },
          ],
        });
        expect(res.ok).toBe(true);
        const m = (await inboundOf(id))!;
        const media = await t.store.media.listForMessage(m.id);
        expect(media.map((x) => x.sourceUrl).sort()).toEqual([a, b].sort());
        expect(media.every((x) => x.status === 'pending')).toBe(true);
      });

      it('acknowledges a duplicate webhook without a second message or a second delivery', async () => {
        const spec = { id: nextId(), from: CONTACT, to: OUR_NUMBER, body: 'once' };
        const first = await t.postInbound(spec);
        const second = await t.postInbound(spec);
        expect(first.ok).toBe(true);
        expect(second.ok).toBe(true);
        expect(await messageCount()).toBe(1);
        expect(await t.store.conversations.list()).toHaveLength(1);
        expect(await t.store.outbox.pendingConversations('deliver')).toHaveLength(1);
        expect(t.queue.jobs.size).toBe(1);
      });

      it('acknowledges while the queue is away: the stored delivery is the hand-off, and a retried webhook wakes it again', async () => {
        const spec = { id: nextId(), from: CONTACT, to: OUR_NUMBER, body: 'queue was down' };
        t.queue.dropping = true;
        const first = await t.postInbound(spec);
        t.queue.dropping = false;
        expect(first.ok).toBe(true);
        const m = (await inboundOf(spec.id))!;
        expect(await t.store.outbox.findByMessage('deliver', m.id)).toMatchObject({ state: 'ready' }); // stored, never lost
        const retry = await t.postInbound(spec);
        expect(retry.ok).toBe(true);
        expect(await messageCount()).toBe(1);
        expect(await t.store.outbox.pendingConversations('deliver')).toHaveLength(1);
        expect(t.queue.jobs.size).toBe(1);
      });

      it('stores a message to a number we do not know as unrouted', async () => {
        const id = nextId();
        const res = await t.postInbound({ id, from: CONTACT, to: UNKNOWN_NUMBER, body: 'anyone there?' });
        expect(res.ok).toBe(true);
        const m = (await inboundOf(id))!;
        expect((await t.store.messages.listUnrouted()).map((x) => x.id)).toContain(m.id);
      });

      it('stores a message to a provisioned but unmapped number as unrouted', async () => {
        const id = nextId();
        await t.postInbound({ id, from: CONTACT, to: UNMAPPED_NUMBER, body: 'hello?' });
        expect((await t.store.messages.listUnrouted()).map((x) => x.providerMessageId)).toContain(id);
      });

      it('stores a message from an alphanumeric sender with the sender id as the contact', async () => {
        const id = nextId();
        const res = await t.postInbound({ id, from: 'ACMEBANK', to: OUR_NUMBER, body: 'Your code is 1234' });
        expect(res.ok).toBe(true);
        const conv = (await t.store.conversations.get((await inboundOf(id))!.conversationId))!;
        expect(conv.contact).toBe('ACMEBANK');
      });

      it('stores a message from a number anywhere in the world', async () => {
        const id = nextId();
        await t.postInbound({ id, from: UK_CONTACT, to: OUR_NUMBER, body: 'hello from London' });
        expect((await t.store.conversations.get((await inboundOf(id))!.conversationId))!.contact).toBe(UK_CONTACT);
      });

      it('opts the contact out on STOP and still stores and delivers the message; START opts back in', async () => {
        const stop = nextId();
        await t.postInbound({ id: stop, from: CONTACT, to: OUR_NUMBER, body: ' stop ' });
        expect(await t.store.optOuts.isOptedOut(OUR_NUMBER, CONTACT)).toBe(true);
        expect((await inboundOf(stop))!.body).toBe(' stop ');
        expect(await t.store.outbox.findByMessage('deliver', (await inboundOf(stop))!.id)).toMatchObject({ state: 'ready' });
        await t.postInbound({ id: nextId(), from: CONTACT, to: OUR_NUMBER, body: 'START' });
        expect(await t.store.optOuts.isOptedOut(OUR_NUMBER, CONTACT)).toBe(false);
      });

      it('refuses a body over its limit (1 MB unless the provider says) with 413 and stores nothing', async () => {
        const res = await t.postRawInbound('x'.repeat((h.maxInboundBodyBytes ?? 1024 * 1024) + 10), 'application/json');
        expect(res.status).toBe(413);
        expect(await messageCount()).toBe(0);
      });

      it('answers a malformed body with 400 and stores nothing', async () => {
        const res = await t.postRawInbound('{"not": "what we expect"', 'application/json');
        expect(res.status).toBe(400);
        expect(await messageCount()).toBe(0);
      });

      it('never answers 5xx to random authenticated input', async () => {
        const key = fc.oneof(
          fc.constantFrom('MessageSid', 'From', 'To', 'Body', 'NumMedia', 'MediaUrl0', 'MediaContentType0', 'NumSegments', 'MessageStatus'),
          fc.string({ maxLength: 12 }),
        );
        const value = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom(CONTACT, OUR_NUMBER, '1', '11', '-1', 'ACME', ''));
        const form = fc.array(fc.tuple(key, value), { maxLength: 12 });
        const payload = fc.dictionary(
          fc.constantFrom('umid', 'source', 'destination', 'body', 'mediaUrls', 'status', 'clientMessageId', 'timestamp'),
          fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(CONTACT, OUR_NUMBER, 'delivered')),
        );
        const json = fc.oneof(
          fc.jsonValue({ maxDepth: 3 }),
          fc.record({ eventType: fc.constantFrom('inbound_message_received', 'outbound_message_status_changed', 'x'), payload }),
          fc.record(
            { id: fc.string({ maxLength: 10 }), from: value, to: value, body: fc.jsonValue({ maxDepth: 1 }), mediaUrls: fc.jsonValue({ maxDepth: 2 }) },
            { requiredKeys: [] },
          ),
        );
        await fc.assert(
          fc.asyncProperty(form, json, async (f, j) => {
            const res = await t.postArbitrary({ form: f, json: j });
            await res.arrayBuffer();
            expect(res.status).toBeLessThan(500);
          }),
          { numRuns: 60 },
        );
      });
    });

    // -- delivery status -------------------------------------------------------------------------
    describe('delivery status', () => {
      it('moves a status forward only: delivered then a late sent stays delivered', async () => {
        const m = await storeOutbound('PROV-1');
        expect((await t.postStatus({ providerMessageId: 'PROV-1', messageId: m.id, status: 'delivered' })).ok).toBe(true);
        expect((await t.postStatus({ providerMessageId: 'PROV-1', messageId: m.id, status: 'sent' })).ok).toBe(true);
        expect((await t.store.messages.get(m.id))!.status).toBe('delivered');
        expect(t.notifier.changes).toEqual([{ id: m.id, status: 'delivered' }]);
      });

      it('applies sent then delivered in order and tells the chat side each time', async () => {
        const m = await storeOutbound('PROV-2');
        await t.postStatus({ providerMessageId: 'PROV-2', messageId: m.id, status: 'sent' });
        await t.postStatus({ providerMessageId: 'PROV-2', messageId: m.id, status: 'delivered' });
        expect(t.notifier.changes.map((c) => c.status)).toEqual(['sent', 'delivered']);
      });

      it('acknowledges a duplicate status callback with no second effect', async () => {
        const m = await storeOutbound('PROV-3');
        await t.postStatus({ providerMessageId: 'PROV-3', messageId: m.id, status: 'failed' });
        const again = await t.postStatus({ providerMessageId: 'PROV-3', messageId: m.id, status: 'failed' });
        expect(again.ok).toBe(true);
        expect(t.notifier.changes).toHaveLength(1);
      });

      it('acknowledges a status for a message we do not know and changes nothing', async () => {
        const res = await t.postStatus({ providerMessageId: 'NOT-OURS', messageId: '00000000-0000-4000-8000-000000000000', status: 'delivered' });
        expect(res.ok).toBe(true);
        expect(t.notifier.changes).toHaveLength(0);
      });
    });

    // -- send ------------------------------------------------------------------------------------
    describe('send', () => {
      it('sends an SMS with exactly the documented fields and returns the provider id', async () => {
        const out = sms();
        const r = await t.provider.send(out);
        expect(r.providerMessageId).toMatch(/\S/);
        expect(['queued', 'sent']).toContain(r.status);
        expect(await t.sends()).toHaveLength(1);
        await t.expectDocumentedFields(0, out);
      });

      it('sends an MMS with its media links', async () => {
        const out = sms({ mediaUrls: ['https://bridge.example.com/media/a?exp=1&sig=x', 'https://bridge.example.com/media/b?exp=1&sig=y'] });
        await t.provider.send(out);
        expect((await t.sends())[0]!.mediaUrls).toEqual(out.mediaUrls);
        await t.expectDocumentedFields(0, out);
      });

      it('declares its capabilities', () => {
        expect(t.provider.id).toBe(h.providerId);
        expect(t.provider.capabilities.maxMediaFiles).toBeGreaterThan(0);
        expect(t.provider.capabilities.maxMediaBytes).toBeGreaterThan(0);
      });

      const failing = async (f: FailureKind): Promise<ProviderError> => {
        t.failNext(f);
        const err = await t.provider.send(sms()).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(ProviderError);
        return err as ProviderError;
      };

      it('reports a permanent refusal as not retryable', async () => {
        const e = await failing({ kind: 'permanent' });
        expect(e.retryable).toBe(false);
        expect(e.optedOut).toBe(false);
        expect(e.message).toMatch(/\S/);
      });

      it('reports a recipient who opted out at the provider as opted out and not retryable', async () => {
        const e = await failing({ kind: 'optedOut' });
        expect(e.optedOut).toBe(true);
        expect(e.retryable).toBe(false);
      });

      it('reports 429 as retryable after the provider\'s Retry-After', async () => {
        const e = await failing({ kind: 'rateLimited', retryAfterSec: 2 });
        expect(e.retryable).toBe(true);
        expect(e.retryAfterMs).toBe(2000);
      });

      it('reports a provider outage (5xx) as retryable', async () => {
        const e = await failing({ kind: 'unavailable' });
        expect(e.retryable).toBe(true);
      });

      it('reports a timeout as retryable', async () => {
        const e = await failing({ kind: 'timeout' });
        expect(e.retryable).toBe(true);
      });
    });

    // -- media -----------------------------------------------------------------------------------
    describe('inbound media download', () => {
      async function inboundWithMedia(urls: Array<{ url: string; contentType: string }>) {
        const id = nextId();
        const res = await t.postInbound({ id, from: CONTACT, to: OUR_NUMBER, body: 'look', media: urls });
        expect(res.ok).toBe(true);
        return (await inboundOf(id))!;
      }

      it('downloads media from the provider (with its credentials where required) into the store', async () => {
        const bytes = Buffer.from('\x89PNG fake image bytes');
        const url = t.addMedia({ contentType: 'image/png', body: bytes });
        const m = await inboundWithMedia([{ url, contentType: 'image/png' }]);
        const items = await t.fetcher.fetchPendingMedia(m.id);
        expect(items).toHaveLength(1);
        const item = items[0]!;
        expect(item).toMatchObject({ status: 'stored', size: bytes.length, contentType: 'image/png', path: null });
        expect(await t.store.mediaFiles.get(item.id)).toEqual(bytes);
        const auth = t.mediaAuthorizations();
        expect(auth).toHaveLength(1);
        if (t.mediaNeedsAuth) expect(auth[0]).toMatch(/^Basic /);
        else expect(auth[0]).toBeUndefined();
      });

      it('refuses a media link to another host, keeps the message, and never contacts that host', async () => {
        // For a provider whose media may come from any public HTTPS host, "another host" is one
        // reached over plain http or by IP address.
        const url = t.mediaFromAnyPublicHttpsHost ? 'http://media.example.invalid/picture.jpg' : 'https://media.example.invalid/picture.jpg';
        const m = await inboundWithMedia([{ url, contentType: 'image/jpeg' }, { url: 'https://203.0.113.7/picture.jpg', contentType: 'image/jpeg' }]);
        const items = await t.fetcher.fetchPendingMedia(m.id);
        for (const item of items) expect(item).toMatchObject({ status: 'refused', path: null, reason: 'media link pointed outside the provider' });
        expect(await t.store.messages.get(m.id)).not.toBeNull();
      });

      it('refuses a media link to 127.0.0.1 on another port (a private address not allowed)', async () => {
        const m = await inboundWithMedia([{ url: `${t.outsider.url}/secret.png`, contentType: 'image/png' }]);
        const [item] = await t.fetcher.fetchPendingMedia(m.id);
        expect(item).toMatchObject({ status: 'refused', reason: 'media link pointed outside the provider' });
        expect(t.outsider.requests()).toBe(0);
      });

      it('refuses a provider media link that redirects elsewhere, without following it', async () => {
        const url = t.addRedirect(`${t.outsider.url}/metadata`);
        const m = await inboundWithMedia([{ url, contentType: 'image/png' }]);
        const [item] = await t.fetcher.fetchPendingMedia(m.id);
        expect(item).toMatchObject({ status: 'refused', reason: 'media link pointed outside the provider' });
        expect(t.outsider.requests()).toBe(0);
      });

      it.runIf(h.declaresMediaTypes)('refuses a file whose content type differs from the declared one', async () => {
        const url = t.addMedia({ contentType: 'text/html', body: Buffer.from('<html>') });
        const m = await inboundWithMedia([{ url, contentType: 'image/jpeg' }]);
        const [item] = await t.fetcher.fetchPendingMedia(m.id);
        expect(item!.status).toBe('refused');
        expect(item!.reason).toMatch(/text\/html.*image\/jpeg/);
        expect(await t.store.mediaFiles.get(item!.id)).toBeNull();
      });

      it('refuses a file larger than the policy allows, keeping nothing of it', async () => {
        await t.store.policy.update({ mms: { ...(await t.store.policy.get()).mms, maxTotalBytes: 1000 } });
        const url = t.addMedia({ contentType: 'image/png', body: Buffer.alloc(5000, 1) });
        const m = await inboundWithMedia([{ url, contentType: 'image/png' }]);
        const [item] = await t.fetcher.fetchPendingMedia(m.id);
        expect(item!.status).toBe('refused');
        expect(item!.reason).toMatch(/larger/);
        expect(await t.store.mediaFiles.get(item!.id)).toBeNull();
      });
    });
  });
}
