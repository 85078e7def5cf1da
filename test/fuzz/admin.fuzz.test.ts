// The admin API, the local dev-provider routes, the console, signed media links and the health
// routes under fuzz: every method on every route, hostile path segments and query strings,
// mutated bodies in other encodings and content types. Without the admin token (none, wrong,
// malformed) every request is refused and stores nothing; with it, never a 5xx either.
// (Random JSON bodies against the admin API alone: test/admin/fuzz.test.ts.)

import fc from 'fast-check';
import { describe } from 'vitest';
import { anyString, contentType, encodeBody, encoding, jsonText, mutatedHeaders, nastyString, payloads, percentEncode, withContentType } from './support/arbitraries.js';
import { ADMIN_TOKEN, type FuzzBridge, useFuzzBridge } from './support/fuzzBridge.js';
import { fuzzIt, Tally } from './support/fuzzRun.js';
import type { RawRequest } from './support/rawRequest.js';
import { expectHandled, expectRefused } from './support/verdict.js';

const LOCAL = '+14155550142';
const CONTACT = '+12125553456';

interface Route {
  method: string;
  path: string;
  /** Valid bodies, when the route takes one. */
  bodies?: unknown[];
  /** Query parameter names the route reads. */
  query?: string[];
}

/** Every route, with ids of things that exist (filled in beforeAll). */
function routes(ids: { conversation: string; message: string; mapping: string }): Route[] {
  const c = encodeURIComponent;
  return [
    { method: 'GET', path: '/admin/api/numbers' },
    { method: 'POST', path: '/admin/api/numbers', bodies: [{ number: '(415) 555-2671', provider: 'twilio' }, { number: '+1 888 555 2671', provider: '8x8', type: 'toll-free', status: 'porting', segmentsPerSecond: 1 }] },
    { method: 'GET', path: `/admin/api/numbers/${c(LOCAL)}` },
    { method: 'PATCH', path: `/admin/api/numbers/${c(LOCAL)}`, bodies: [{ status: 'active' }, { provider: 'local', type: 'local', segmentsPerSecond: 2 }] },
    { method: 'DELETE', path: '/admin/api/numbers/%2B14155550199' },
    { method: 'GET', path: '/admin/api/mappings', query: ['number', 'platform', 'channel'] },
    { method: 'POST', path: '/admin/api/mappings', bodies: [{ number: LOCAL, platform: 'slack', channel: 'C0FUZZ' }, { number: LOCAL, platform: 'teams', channel: '19:x@thread.tacv2' }] },
    { method: 'GET', path: `/admin/api/mappings/${ids.mapping}` },
    { method: 'DELETE', path: '/admin/api/mappings/no-such-mapping' },
    { method: 'GET', path: '/admin/api/policy' },
    {
      method: 'PUT',
      path: '/admin/api/policy',
      bodies: [
        { smsEnabled: true, maxSegments: 10, internalNotePrefix: '//' },
        { mms: { maxFiles: 5, maxTotalBytes: 1_000_000, allowedTypes: ['image/jpeg', 'image/*'] }, throughput: { local: 1, tollFree: 3 } },
        { fallback: { platform: 'slack', channel: 'C0FALL' } },
        { fallback: null, tollFreeSmsCapable: true, virtualSmsCapable: false },
      ],
    },
    { method: 'GET', path: '/admin/api/users', query: ['limit', 'cursor'] },
    { method: 'GET', path: '/admin/api/channels', query: ['platform', 'refresh'] },
    { method: 'POST', path: '/admin/api/numbers/check', bodies: [{ number: LOCAL }, { number: '+1 888 555 2671', provider: 'twilio', type: 'local' }] },
    { method: 'GET', path: '/admin/api/optouts', query: ['number', 'limit', 'cursor'] },
    { method: 'GET', path: '/admin/api/queues' },
    { method: 'GET', path: '/admin/api/users/slack/U1' },
    { method: 'PUT', path: '/admin/api/users/slack/U1', bodies: [{ smsEnabled: false }, { admin: true, smsEnabled: true }] },
    { method: 'GET', path: '/admin/api/conversations', query: ['number', 'contact', 'limit', 'cursor'] },
    { method: 'GET', path: `/admin/api/conversations/${ids.conversation}` },
    { method: 'GET', path: `/admin/api/conversations/${ids.conversation}/messages`, query: ['limit', 'cursor', 'before'] },
    { method: 'GET', path: `/admin/api/conversations/${ids.conversation}/export`, query: ['format'] },
    { method: 'GET', path: '/admin/api/messages', query: ['q', 'number', 'contact', 'direction', 'limit'] },
    { method: 'GET', path: '/admin/api/unrouted', query: ['limit'] },
    { method: 'GET', path: '/admin/api/audit', query: ['limit'] },
    { method: 'GET', path: '/admin/api/jobs/failed' },
    { method: 'POST', path: `/admin/api/messages/${ids.message}/resend`, bodies: [{}, { force: true }] },
    { method: 'POST', path: `/admin/api/jobs/send-${ids.message}/retry`, bodies: [{}] },
    { method: 'POST', path: `/admin/api/jobs/deliver-${ids.message}/retry`, bodies: [{}] },
    { method: 'GET', path: '/admin/api/teams/channels', query: ['includeRemoved'] },
    {
      method: 'POST',
      path: '/admin/api/dev/inbound',
      bodies: [
        { from: CONTACT, to: LOCAL, body: 'hello' },
        { from: '(212) 555-3457', to: LOCAL, body: 'pics', mediaUrls: ['http://127.0.0.1:9/m/1'], media: [{ url: 'http://127.0.0.1:9/m/2', contentType: 'image/png' }], id: 'local-in-1' },
      ],
    },
    { method: 'POST', path: '/admin/api/dev/status', bodies: [{ providerMessageId: 'local-out-1', status: 'delivered' }, { providerMessageId: 'local-out-2', status: 'failed', errorCode: '30007', reason: 'filtered' }] },
    { method: 'GET', path: '/admin/api/dev/outbox' },
    { method: 'GET', path: '/admin' },
    { method: 'GET', path: '/admin/inbox' },
    { method: 'GET', path: '/admin/assets/console.js' },
    { method: 'GET', path: '/' },
    { method: 'GET', path: '/healthz' },
    { method: 'GET', path: '/readyz' },
    { method: 'GET', path: '/metrics' },
  ];
}

const methods = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND');

/** A path segment replaced by something hostile, raw or percent-encoded. */
const segment: fc.Arbitrary<string> = fc.oneof(
  anyString.map((s) => percentEncode(s.slice(0, 300))),
  fc.constantFrom('%', '%E0%A4%A', '%00', '..', '.', '%2e%2e', '%2F', '~', '*', '%ff%fe', ';', 'a;b=c', '%2B1%20415'),
);

function mutatedPath(path: string): fc.Arbitrary<string> {
  const parts = path.split('/');
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(path) },
    { weight: 2, arbitrary: fc.tuple(fc.nat(), segment).map(([i, s]) => parts.map((p, j) => (j === 1 + (i % (parts.length - 1)) ? s : p)).join('/')) },
    { weight: 1, arbitrary: segment.map((s) => `${path}/${s}`) },
    { weight: 1, arbitrary: fc.constantFrom(`${path}/`, `${path}//`, path.toUpperCase(), `${path}.json`) },
  );
}

function query(names: string[]): fc.Arbitrary<string> {
  const value = fc.oneof(anyString.map((s) => percentEncode(s.slice(0, 200))), fc.constantFrom('0', '-1', '1001', '1e3', 'NaN', '2026-13-45T99:99', 'csv', 'json', 'xml', 'true', '%', '%zz'));
  const name = fc.oneof(fc.constantFrom(...names, 'limit', 'cursor'), fc.constantFrom('a[b]', 'limit[]', '__proto__', '%'));
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant('') },
    { weight: 3, arbitrary: fc.array(fc.tuple(name, value), { minLength: 1, maxLength: 3 }).map((ps) => `?${ps.map(([k, v]) => `${k}=${v}`).join('&')}`) },
  );
}

function adminRequest(all: Route[], auth: fc.Arbitrary<[string, string][]>): fc.Arbitrary<{ req: RawRequest; route: string }> {
  return fc.constantFrom(...all).chain((r) =>
    fc
      .tuple(
        fc.oneof({ weight: 5, arbitrary: fc.constant(r.method) }, { weight: 1, arbitrary: methods }),
        mutatedPath(r.path),
        query(r.query ?? []),
        r.bodies ? jsonText(payloads(r.bodies)) : fc.oneof(fc.constant(''), jsonText(fc.jsonValue({ maxDepth: 2 }))),
        encoding,
        contentType('application/json'),
        auth,
      )
      .map(([method, path, q, text, enc, type, authHeaders]) => {
        const { body, headers } = encodeBody(text, enc);
        const sendsBody = method !== 'GET' && method !== 'HEAD';
        return {
          req: { method, path: `${path}${q}`, headers: withContentType([...(sendsBody ? headers : []), ...authHeaders], sendsBody ? type : null), body: sendsBody ? body : undefined },
          route: `${r.method} ${r.path.split('/').slice(0, 4).join('/')}`,
        };
      }),
  );
}

/** Signed media links, right or tampered with, for ids that exist or not. */
function mediaRequest(fz: FuzzBridge): fc.Arbitrary<RawRequest> {
  return fc
    .tuple(fc.oneof(fc.constant('no-such-media'), fc.string({ unit: 'grapheme-ascii', maxLength: 60 })), fc.integer({ min: -100, max: 100_000 }), fc.nat(), fc.oneof(fc.constant(null), nastyString, fc.string({ maxLength: 50 })))
    .map(([id, ttl, pick, junk]) => {
      const link = fz.mediaLink(id, ttl);
      const tampered = junk === null ? link : [link.replace(/sig=[^&]*/, `sig=${percentEncode(junk)}`), link.replace(/exp=\d+/, `exp=${percentEncode(junk)}`), `${link}&exp=1`, link.split('?')[0]!, `/media/${percentEncode(junk)}${link.slice(link.indexOf('?'))}`][pick % 5]!;
      return { method: 'GET', path: tampered, headers: [] };
    });
}

const sameHeaders = (a: [string, string][], b: [string, string][]): boolean => JSON.stringify(a) === JSON.stringify(b);

const bearer: [string, string][] = [['Authorization', `Bearer ${ADMIN_TOKEN}`]];

let all: Route[] = [];
const bridge = useFuzzBridge({ teams: 'anonymous' }, async (fz) => {
  const call = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fz.bridge.call(method, path, body === undefined ? {} : { body });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  await call('POST', '/admin/api/numbers', { number: LOCAL, provider: 'local' });
  const mapping = await call('POST', '/admin/api/mappings', { number: LOCAL, platform: 'slack', channel: 'C0SMS' });
  // Posted to Slack in the background: the baseline is taken once that settled.
  const inbound = await call('POST', '/admin/api/dev/inbound', { from: CONTACT, to: LOCAL, body: 'hello' });
  all = routes({ conversation: String(inbound.conversationId), message: String(inbound.messageId), mapping: String(mapping.id) });
});

describe('admin, dev, media and health routes under fuzz', () => {
  // Each from its own address: the sign-in throttle (429 after 20 failures) stays out of the way.
  const wrongAuth: fc.Arbitrary<[string, string][]> = fc
    .tuple(
      fc.oneof(
        fc.constant<[string, string][]>([]),
        fc.string({ unit: 'grapheme-ascii', maxLength: 60 }).map((t): [string, string][] => [['Authorization', `Bearer ${t}`]]),
        fc.constantFrom<[string, string][]>(
          [['Authorization', `Bearer ${ADMIN_TOKEN}x`]],
          [['Authorization', `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`]],
          [['Authorization', `Bearer  ${ADMIN_TOKEN.slice(1)}`]],
          [['Authorization', ADMIN_TOKEN]],
        ),
      ),
      fc.integer({ min: 1, max: 250 }),
      fc.integer({ min: 1, max: 250 }),
    )
    .map(([h, a, b]) => [...h, ['X-Forwarded-For', `10.77.${a}.${b}`]]);

  // First, before any token-holding request: not one row may change.
  fuzzIt(bridge, 'requests without the admin token are refused and store nothing', { runs: 300, budgetMs: 8_000 }, ({ fz, baseline }) => {
    const tokenRoutes = all.filter((r) => r.path.startsWith('/admin/api'));
    return fc.asyncProperty(fc.oneof({ weight: 4, arbitrary: adminRequest(tokenRoutes, wrongAuth).map((r) => r.req) }, { weight: 1, arbitrary: mediaRequest(fz) }), async (req) => {
      // OPTIONS is answered by express itself (the Allow list), before any route or guard runs.
      await expectRefused(fz, req, await fz.send(req), baseline, (a) => req.method === 'OPTIONS' && a.status === 200);
    });
  });

  const tally = new Tally();
  fuzzIt(
    bridge,
    'requests with the admin token, hostile paths, queries and bodies never get a 5xx',
    { runs: 600, budgetMs: 12_000 },
    ({ fz }) => {
      // A token header spoiled by the mutation is a failed sign-in: sent from an address of its
      // own, so the throttle never answers 429 to the right token from 127.0.0.1.
      const auth = fc
        .tuple(mutatedHeaders(bearer), fc.integer({ min: 1, max: 250 }))
        .map(([h, a]): [string, string][] => (sameHeaders(h, bearer) ? h : [...h, ['X-Forwarded-For', `10.78.0.${a}`]]));
      return fc.asyncProperty(fc.oneof({ weight: 6, arbitrary: adminRequest(all, auth) }, { weight: 1, arbitrary: mediaRequest(fz).map((req) => ({ req, route: 'GET /media' })) }), async ({ req, route }) => {
        const answer = await fz.send(req);
        tally.add(`${route} ${answer.status}`);
        // A spoiled token header is refused on the headers (401): the connection may drop first.
        await expectHandled(fz, req, answer, { refusedOnHeaders: req.headers.some(([k]) => k === 'X-Forwarded-For') });
      });
    },
    () => tally.print('with the admin token'),
  );
});
