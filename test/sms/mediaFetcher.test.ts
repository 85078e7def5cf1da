// The media fetcher's guard rails, beyond the contract's per-provider cases.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isNonPublicAddress } from '../../src/media/addresses.js';
import { createMediaFetcher } from '../../src/media/fetcher.js';
import { ANY_PUBLIC_HTTPS_HOST, httpsHostRule, ruleFromUrl, ruleMatches, type MediaSourcePolicy } from '../../src/media/hostRules.js';
import { eightByEightMediaSource } from '../../adapters/sms/eightbyeight/index.js';
import { MediaShelf, sendJson, startFakeServer, type FakeServer } from '../contract/support/httpFake.js';
import { commonParts, type CommonParts } from '../contract/support/parts.js';

describe('media host rules', () => {
  it('matches a wildcard on subdomains only, over HTTPS on the default port', () => {
    const r = httpsHostRule('*.twiliocdn.com');
    expect(ruleMatches(r, new URL('https://mms.twiliocdn.com/a'))).toBe(true);
    expect(ruleMatches(r, new URL('https://twiliocdn.com/a'))).toBe(false);
    expect(ruleMatches(r, new URL('https://eviltwiliocdn.com/a'))).toBe(false);
    expect(ruleMatches(r, new URL('https://mms.twiliocdn.com.evil.com/a'))).toBe(false);
    expect(ruleMatches(r, new URL('http://mms.twiliocdn.com/a'))).toBe(false);
    expect(ruleMatches(r, new URL('https://mms.twiliocdn.com:8443/a'))).toBe(false);
  });

  it('"any public HTTPS host" matches host names over HTTPS on the default port, never IP literals or plain http', () => {
    const r = ANY_PUBLIC_HTTPS_HOST;
    expect(ruleMatches(r, new URL('https://media-store.example.net/inbound/abc.jpg?X-Amz-Signature=1'))).toBe(true);
    expect(ruleMatches(r, new URL('http://media-store.example.net/a'))).toBe(false);
    expect(ruleMatches(r, new URL('https://media-store.example.net:8443/a'))).toBe(false);
    expect(ruleMatches(r, new URL('https://169.254.169.254/latest/meta-data'))).toBe(false);
    expect(ruleMatches(r, new URL('https://[::1]/a'))).toBe(false);
    expect(r.allowPrivate).toBe(false); // a name that resolves to a private address is refused at connect time
  });

  it('8x8: inbound media from any public HTTPS host by default (its storage is not named), or only the configured hosts', () => {
    const signedLink = new URL('https://mms-media.storage.example.com/abc?sig=1');
    const byDefault = eightByEightMediaSource({ apiUrl: 'https://sms.us.8x8.com', mediaHosts: null });
    expect(byDefault.authorization).toBeUndefined(); // pre-signed links: no credentials go with them
    expect(byDefault.allowed.some((r) => ruleMatches(r, signedLink))).toBe(true);
    const pinned = eightByEightMediaSource({ apiUrl: 'https://sms.us.8x8.com', mediaHosts: ['*.8x8media.example'] });
    expect(pinned.allowed.some((r) => ruleMatches(r, signedLink))).toBe(false);
    expect(pinned.allowed.some((r) => ruleMatches(r, new URL('https://a.8x8media.example/x')))).toBe(true);
  });

  it('takes scheme, host and exact port from a configured base URL', () => {
    const r = ruleFromUrl('http://127.0.0.1:4010');
    expect(r.allowPrivate).toBe(true);
    expect(ruleMatches(r, new URL('http://127.0.0.1:4010/x'))).toBe(true);
    expect(ruleMatches(r, new URL('http://127.0.0.1:4011/x'))).toBe(false);
    expect(ruleMatches(r, new URL('http://127.0.0.2:4010/x'))).toBe(false);
    expect(ruleFromUrl('https://api.twilio.com').allowPrivate).toBe(false);
  });

  it.each([
    ['127.0.0.1', true],
    ['10.1.2.3', true],
    ['172.20.0.1', true],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['::1', true],
    ['fd00::1', true],
    ['fe80::1', true],
    ['::ffff:127.0.0.1', true],
    // IPv6 forms that embed or reach an IPv4 (or private) host are refused whatever they embed.
    ['::127.0.0.1', true], // IPv4-compatible
    ['::7f00:1', true],
    ['::ffff:7f00:1', true], // IPv4-mapped, as a URL writes it
    ['::ffff:0:0', true],
    ['::ffff:8.8.8.8', true], // mapped, even to a public IPv4
    ['::ffff:0:7f00:1', true], // IPv4-translated
    ['64:ff9b::a9fe:a9fe', true], // NAT64 to 169.254.169.254
    ['64:ff9b:1::a00:1', true], // NAT64 local-use prefix
    ['2002:7f00:1::1', true], // 6to4 around 127.0.0.1
    ['2002:808:808::1', true], // 6to4, any embedded address
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', true], // Teredo
    ['fec0::1', true], // site-local
    ['fe80::1%eth0', true],
    ['100::1', true],
    ['not-an-ip', true],
    ['54.172.60.1', false],
    ['2600:1f18::1', false],
    ['2001:4860:4860::8888', false], // public, next to Teredo's 2001::/32
    ['2a00:1450:4001::200e', false],
  ])('%s is non-public: %s', (ip, expected) => {
    expect(isNonPublicAddress(ip)).toBe(expected);
  });
});

describe('media fetcher', () => {
  let parts: CommonParts;
  let provider: FakeServer;
  let cdn: FakeServer;
  const providerShelf = new MediaShelf();
  const cdnShelf = new MediaShelf();
  let flaky = 0;

  beforeEach(async () => {
    parts = await commonParts();
    providerShelf.files.clear();
    providerShelf.requests.length = 0;
    cdnShelf.files.clear();
    cdnShelf.requests.length = 0;
    provider = await startFakeServer((req, res) => {
      if (req.path === '/flaky') return flaky-- > 0 ? sendJson(res, 503, {}) : void res.writeHead(200, { 'content-type': 'image/png' }).end('ok');
      if (!providerShelf.serve(req, res)) sendJson(res, 404, {});
    });
    cdn = await startFakeServer((req, res) => {
      if (!cdnShelf.serve(req, res)) sendJson(res, 404, {});
    });
  });
  afterEach(async () => {
    await provider.close();
    await cdn.close();
    await parts.close();
  });

  function source(): MediaSourcePolicy {
    return { allowed: [ruleFromUrl(provider.url), ruleFromUrl(cdn.url)], authorization: 'Basic c2VjcmV0', authHosts: [ruleFromUrl(provider.url)] };
  }

  async function inbound(urls: Array<{ url: string; contentType: string | null }>) {
    const { conversation } = await parts.store.conversations.getOrCreate('+14156901234', '+14158675309');
    const m = (await parts.store.messages.insert({
      conversationId: conversation.id, direction: 'inbound', body: '', status: 'received', provider: 'twilio', providerMessageId: `SM${Math.random()}`, encoding: 'GSM-7', segments: 1,
    })).message;
    for (const u of urls) {
      await parts.store.media.create({ messageId: m.id, contentType: u.contentType ?? 'application/octet-stream', size: 0, path: null, sourceUrl: u.url, status: 'pending', reason: null });
    }
    return m;
  }

  it('follows a redirect to an allowed CDN without forwarding the provider credentials', async () => {
    cdnShelf.put('/signed/1', { contentType: 'image/jpeg', body: Buffer.from('jpeg!') });
    providerShelf.put('/Media/ME1', { contentType: 'image/jpeg', body: Buffer.alloc(0), authorization: 'Basic c2VjcmV0', redirectTo: `${cdn.url}/signed/1` });
    const m = await inbound([{ url: `${provider.url}/Media/ME1`, contentType: 'image/jpeg' }]);
    const [item] = await parts.fetcherFor('twilio', source()).fetchPendingMedia(m.id);
    expect(item).toMatchObject({ status: 'stored', size: 5 });
    expect(providerShelf.requests[0]!.authorization).toBe('Basic c2VjcmV0');
    expect(cdnShelf.requests[0]!.authorization).toBeUndefined();
  });

  it('takes a data: picture only from a source that accepts them (the local dev provider), never from a real provider', async () => {
    const png = `data:image/png;base64,${Buffer.from('png!').toString('base64')}`;
    const fromTwilio = await inbound([{ url: png, contentType: 'image/png' }]);
    const [refused] = await parts.fetcherFor('twilio', source()).fetchPendingMedia(fromTwilio.id);
    expect(refused).toMatchObject({ status: 'refused', reason: 'inline (data:) media from twilio is not accepted' });

    const fromDevPhone = await inbound([{ url: png, contentType: 'image/png' }, { url: png, contentType: 'image/jpeg' }]);
    const [stored, mislabelled] = await parts.fetcherFor('twilio', { allowed: [], dataUrls: true }).fetchPendingMedia(fromDevPhone.id);
    expect(stored).toMatchObject({ status: 'stored', size: 4, contentType: 'image/png' });
    expect(await parts.store.mediaFiles.get(stored!.id)).toEqual(Buffer.from('png!'));
    expect(mislabelled).toMatchObject({ status: 'refused', reason: 'media content type image/png differs from the declared image/jpeg' });
  });

  it('refuses a host name that resolves to a private address unless explicitly allowed', async () => {
    const port = new URL(provider.url).port;
    providerShelf.put('/x', { contentType: 'image/png', body: Buffer.from('x') });
    const m = await inbound([{ url: `http://localhost:${port}/x`, contentType: 'image/png' }]);
    const rule = { ...ruleFromUrl(`http://localhost:${port}`), allowPrivate: false };
    const [item] = await parts.fetcherFor('twilio', { allowed: [rule] }).fetchPendingMedia(m.id);
    expect(item).toMatchObject({ status: 'refused', reason: 'media link pointed outside the provider' });
    expect(providerShelf.requests).toHaveLength(0);
  });

  it('downloads through a host name when its rule allows it (the resolver path real hosts take)', async () => {
    const port = new URL(provider.url).port;
    providerShelf.put('/named', { contentType: 'image/gif', body: Buffer.from('GIF89a') });
    const m = await inbound([{ url: `http://localhost:${port}/named`, contentType: 'image/gif' }]);
    const [item] = await parts.fetcherFor('twilio', { allowed: [ruleFromUrl(`http://localhost:${port}`)] }).fetchPendingMedia(m.id);
    expect(item).toMatchObject({ status: 'stored', size: 6 });
  });

  it('takes the type from the server when the provider declared none', async () => {
    providerShelf.put('/y', { contentType: 'video/mp4; codecs="avc1"', body: Buffer.from('mp4') });
    const m = await inbound([{ url: `${provider.url}/y`, contentType: null }]);
    const [item] = await parts.fetcherFor('twilio', source()).fetchPendingMedia(m.id);
    expect(item).toMatchObject({ status: 'stored', contentType: 'video/mp4' });
  });

  it('counts every file of a message against the policy total', async () => {
    await parts.store.policy.update({ mms: { ...(await parts.store.policy.get()).mms, maxTotalBytes: 1000 } });
    providerShelf.put('/a', { contentType: 'image/png', body: Buffer.alloc(600) });
    providerShelf.put('/b', { contentType: 'image/png', body: Buffer.alloc(600) });
    const m = await inbound([
      { url: `${provider.url}/a`, contentType: 'image/png' },
      { url: `${provider.url}/b`, contentType: 'image/png' },
    ]);
    const items = await parts.fetcherFor('twilio', source()).fetchPendingMedia(m.id);
    expect(items.map((i) => i.status).sort()).toEqual(['refused', 'stored']);
  });

  it('leaves a file pending after a transient failure when another attempt will come, then stores it', async () => {
    flaky = 1;
    const m = await inbound([{ url: `${provider.url}/flaky`, contentType: 'image/png' }]);
    const fetcher = parts.fetcherFor('twilio', source());
    expect((await fetcher.fetchPendingMedia(m.id, { finalAttempt: false }))[0]!.status).toBe('pending');
    expect((await fetcher.fetchPendingMedia(m.id))[0]!.status).toBe('stored');
  });

  it('marks a file failed with the reason on the final attempt', async () => {
    const m = await inbound([{ url: `${provider.url}/missing`, contentType: 'image/png' }]);
    const [item] = await parts.fetcherFor('twilio', source()).fetchPendingMedia(m.id);
    expect(item).toMatchObject({ status: 'failed', reason: 'the provider answered HTTP 404 for the media file' });
    expect(await parts.store.mediaFiles.get(item!.id)).toBeNull();
  });

  it('gives up on a host that trickles a byte a second at one deadline for the whole download: failed, with the reason', async () => {
    providerShelf.put('/Media/SLOW', { contentType: 'image/png', body: Buffer.alloc(100, 1), trickleMs: 1000 });
    const m = await inbound([{ url: `${provider.url}/Media/SLOW`, contentType: 'image/png' }]);
    const fetcher = createMediaFetcher({ store: parts.store, sources: { twilio: source() }, timeoutMs: 1500 });
    const started = Date.now();
    // Not left pending for another attempt: a host this slow would hold the conversation again.
    const [item] = await fetcher.fetchPendingMedia(m.id, { finalAttempt: false });
    expect(Date.now() - started).toBeLessThan(10_000); // the file alone would take 100 s
    expect(item).toMatchObject({ status: 'failed', reason: 'the file could not be fetched within 1.5 s', path: null });
    expect(await parts.store.mediaFiles.get(item!.id)).toBeNull();
  });

  it('the same deadline covers a host that never sends its headers', async () => {
    providerShelf.put('/Media/HANG', { contentType: 'image/png', body: Buffer.alloc(10, 1), headersDelayMs: 60_000 });
    const m = await inbound([{ url: `${provider.url}/Media/HANG`, contentType: 'image/png' }]);
    const fetcher = createMediaFetcher({ store: parts.store, sources: { twilio: source() }, timeoutMs: 500 });
    const [item] = await fetcher.fetchPendingMedia(m.id);
    expect(item).toMatchObject({ status: 'failed', reason: 'the file could not be fetched within 500 ms' });
  });

  it('refuses media of a provider that has no media policy', async () => {
    const m = await inbound([{ url: `${provider.url}/y`, contentType: 'image/png' }]);
    const fetcher = createMediaFetcher({ store: parts.store, sources: {} });
    expect((await fetcher.fetchPendingMedia(m.id))[0]!.status).toBe('refused');
  });

  it('refuses links with embedded credentials or another scheme', async () => {
    const m = await inbound([
      { url: `http://user:pw@${provider.host}/y`, contentType: 'image/png' },
      { url: `file:///etc/passwd`, contentType: 'image/png' },
    ]);
    const items = await parts.fetcherFor('twilio', source()).fetchPendingMedia(m.id);
    expect(items.map((i) => i.status)).toEqual(['refused', 'refused']);
    expect(providerShelf.requests).toHaveLength(0);
  });
});
