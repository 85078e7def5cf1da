// GET /admin/api/openapi.json describes the whole admin API, and stays true:
//  - it is an OpenAPI 3.1 document whose references all resolve;
//  - every route the source registers under /admin/api (and the sign-in at /admin/session) is in
//    it, and every operation in it is answered by a real route (not the admin API's "no such
//    admin route" 404);
//  - every GET answers, on a bridge with data, what its documented response schema says (the
//    event stream: its documented content type);
//  - a request its documented request schema refuses is refused by the route (400/422), with the
//    documented error body, and changes nothing.

import type { ResponseConfig, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ZodTypeAny } from 'zod';
import { errorBody } from '../../src/admin/openapi/common.js';
import { adminApiRegistry, generateAdminOpenApi } from '../../src/admin/openapi/document.js';
import { ADMIN_TOKEN, json, startTestBridge, type TestBridge } from '../http/helpers.js';
import { waitUntil } from '../support/wait.js';
import { scanAdminRoutes } from './openapiRoutes.js';

const registry = adminApiRegistry();
const doc = generateAdminOpenApi(registry);
const routes: RouteConfig[] = registry.definitions.flatMap((d) => (d.type === 'route' ? [d.route] : []));
const keyOf = (r: RouteConfig) => `${r.method.toUpperCase()} ${r.path}`;
/** Documented as Server-Sent Events: a stream that stays open (read its head, then hang up). */
const isStream = (r: RouteConfig) => Object.keys((r.responses['200'] as ResponseConfig | undefined)?.content ?? {}).includes('text/event-stream');

const ADMIN_404 = { code: 'not_found', message: 'no such admin route' };
const isAdmin404 = (r: { status: number; body: unknown }) =>
  r.status === 404 && JSON.stringify((r.body as { error?: unknown } | null)?.error) === JSON.stringify(ADMIN_404);

const isZod = (s: unknown): s is ZodTypeAny => typeof (s as ZodTypeAny | undefined)?.safeParse === 'function';
const issuesOf = (schema: ZodTypeAny, value: unknown) => {
  const r = schema.safeParse(value);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

/** A path with its {params} filled in. */
function fill(path: string, values: (name: string, path: string) => string): string {
  return path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(values(name, path)));
}

describe('the admin API OpenAPI document', () => {
  it('is OpenAPI 3.1: every operation answers, every $ref resolves, every path parameter is declared', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: 'sms-bridge admin API', version: expect.any(String) });

    const ops: Array<[string, string, Record<string, unknown>]> = [];
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      for (const [method, op] of Object.entries(item as Record<string, Record<string, unknown>>)) ops.push([method, path, op]);
    }
    expect(ops).toHaveLength(routes.length);
    const ids = ops.map(([, , op]) => op.operationId);
    expect(new Set(ids).size, 'operationIds are unique').toBe(ids.length);

    for (const [method, path, op] of ops) {
      const where = `${method.toUpperCase()} ${path}`;
      const responses = (op.responses ?? {}) as Record<string, { description?: string }>;
      expect(Object.keys(responses).some((s) => /^2\d\d$/.test(s)), `${where} documents a success`).toBe(true);
      for (const [status, r] of Object.entries(responses)) expect(r.description, `${where} ${status} has a description`).toBeTruthy();
      // The guard's answers are on every operation.
      expect(Object.keys(responses), where).toEqual(expect.arrayContaining(['401', '429']));
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      const declared = ((op.parameters ?? []) as Array<{ in: string; name: string; required?: boolean }>).filter((p) => p.in === 'path');
      expect(declared.map((p) => p.name).sort(), `${where} declares its path parameters`).toEqual(inPath);
      expect(declared.every((p) => p.required === true), `${where} path parameters are required`).toBe(true);
    }

    // Every "$ref": "#/..." points at something in the document.
    const unresolved: string[] = [];
    const resolve = (ref: string) => ref.slice(2).split('/').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          if (k === '$ref' && (typeof v !== 'string' || !v.startsWith('#/') || resolve(v) === undefined)) unresolved.push(String(v));
          else walk(v);
        }
      }
    };
    walk(doc);
    expect(unresolved).toEqual([]);
    expect(JSON.stringify(doc)).toContain('"$ref":"#/components/schemas/Error"');

    // Bearer token or the console's session cookie, on every operation unless it says otherwise.
    expect(doc.components?.securitySchemes).toMatchObject({
      bearer: { type: 'http', scheme: 'bearer' },
      session: { type: 'apiKey', in: 'cookie', name: 'smsb_session' },
    });
    expect(doc.security).toEqual([{ bearer: [] }, { session: [] }]);
  });

  it('documents paging (Link) and the policy ETag / If-Match', () => {
    const get = (p: string, m = 'get') => (doc.paths?.[p] as Record<string, { responses: Record<string, { headers?: Record<string, unknown> }>; parameters?: Array<{ in: string; name: string }> }>)[m]!;
    expect(Object.keys(get('/admin/api/conversations').responses['200']!.headers ?? {})).toContain('Link');
    expect(Object.keys(get('/admin/api/conversations/{id}/messages').responses['200']!.headers ?? {})).toContain('Link');
    expect(Object.keys(get('/admin/api/policy').responses['200']!.headers ?? {})).toContain('ETag');
    expect(get('/admin/api/policy', 'put').parameters).toContainEqual(expect.objectContaining({ in: 'header', name: 'If-Match' }));
    expect(Object.keys(get('/admin/api/policy', 'put').responses)).toContain('412');
  });

  it('lists every route the source registers under /admin/api and /admin/session, and nothing else', () => {
    const scanned = scanAdminRoutes();
    expect(scanned.unplaced, 'routers under src/admin that index.ts does not mount (teach openapiRoutes.ts where they live)').toEqual([]);
    // The scanner finds each way a route is written: a mounted router, index.ts itself, a template
    // over a base path, a constant, a literal full path.
    expect([...scanned.routes]).toEqual(
      expect.arrayContaining([
        'PATCH /admin/api/numbers/{number}',
        'GET /admin/api/unrouted',
        'POST /admin/api/jobs/{id}/retry',
        'POST /admin/api/dev/inbound',
        'GET /admin/api/teams/channels',
        'GET /admin/api/conversations',
        'POST /admin/api/conversations/{id}/messages',
        'GET /admin/api/events',
        'GET /admin/api/queues',
        'GET /admin/api/dev/phone',
        'POST /admin/session',
        'DELETE /admin/session',
      ]),
    );
    const documented = new Set(routes.map(keyOf));
    expect([...scanned.routes].filter((k) => !documented.has(k)).sort(), 'routes missing from the document').toEqual([]);
    expect([...documented].filter((k) => !scanned.routes.has(k)).sort(), 'documented operations no source registers').toEqual([]);
  });
});

describe('the admin API OpenAPI document against a running bridge', () => {
  let bridge: TestBridge;
  const N1 = '+14155552671';
  const N2 = '+14155552672';
  const CONTACT = '+14155550123';
  const TEAMS_CHANNEL = '19:support@thread.tacv2';
  const seeded = { mappingId: '', conversationId: '', unroutedConversationId: '' };
  /** A console session's cookie (GET /admin/session answers it). */
  let cookie = '';

  beforeAll(async () => {
    // Teams on (anonymous, loopback only) so its admin route is mounted too.
    bridge = await startTestBridge({ TEAMS_ALLOW_ANONYMOUS: 'true' });
    const call = async (method: string, path: string, body?: unknown) => {
      const r = await json<Record<string, string>>(bridge.call(method, path, { body }));
      if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    await call('POST', '/admin/api/numbers', { number: '(415) 555-2671', provider: 'local' });
    await call('POST', '/admin/api/numbers', { number: N2, provider: 'local' });
    seeded.mappingId = (await call('POST', '/admin/api/mappings', { number: N1, platform: 'teams', channel: TEAMS_CHANNEL })).id!;
    await call('PUT', '/admin/api/users/slack/U0123', { smsEnabled: false });
    await call('PUT', '/admin/api/policy', { maxSegments: 8 });
    const inbound = await call('POST', '/admin/api/dev/inbound', { from: CONTACT, to: N1, body: 'hello from the dev phone' });
    seeded.conversationId = inbound.conversationId!;
    const unrouted = await call('POST', '/admin/api/dev/inbound', { from: CONTACT, to: N2, body: 'nobody maps this number' });
    seeded.unroutedConversationId = unrouted.conversationId!;
    // Another contact opts out of N2.
    await call('POST', '/admin/api/dev/inbound', { from: '+14155550124', to: N2, body: 'STOP' });
    const signedIn = await fetch(`${bridge.url}/admin/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: ADMIN_TOKEN, name: 'Dana Reyes' }) });
    expect(signedIn.status).toBe(200);
    cookie = (signedIn.headers.get('set-cookie') ?? '').split(';')[0]!;
    // What only a chat platform or a provider would make: a known Teams channel, a send through
    // the local provider, a job that failed for good.
    const { store } = bridge.ctx;
    await store.chatChannels.upsert({
      platform: 'teams',
      channel: TEAMS_CHANNEL,
      name: 'Support',
      reference: { serviceUrl: 'http://127.0.0.1:1/', channelId: TEAMS_CHANNEL, channelName: 'Support', tenantId: 'tenant-1', teamId: '19:team@thread.tacv2', teamName: 'Sales', botId: null, botName: null },
    });
    await store.localOutbox.record({ providerMessageId: 'local-out-1', messageId: unrouted.messageId!, from: N2, to: CONTACT, body: 'a reply', mediaUrls: [], at: new Date().toISOString() });
    // The failed job is made on the unrouted message once the delivery worker is done with it
    // (it may still hold the item the ingest queued, and would remove it after we failed it).
    await waitUntil(async () => {
      const pending = await store.outbox.findByMessage('deliver', unrouted.messageId!);
      return pending === null || pending.state === 'failed';
    }, 'the delivery lane to be done with the unrouted message');
    await store.transaction(async () => {
      const item = await store.outbox.add('deliver', seeded.unroutedConversationId, unrouted.messageId!);
      await store.outbox.fail(item.seq, 'seeded: the chat platform refused it');
    });
  });
  afterAll(async () => {
    await bridge?.cleanup();
  });

  /** Path parameters of the seeded data. */
  const seededParam = (name: string, path: string): string => {
    if (name === 'number') return N1;
    if (name === 'platform') return 'slack';
    if (name === 'userId') return 'U0123';
    if (path.includes('/mappings/')) return seeded.mappingId;
    return seeded.conversationId;
  };
  /** Query a GET needs to answer anything (the dev phone is one contact's thread). */
  const seededQuery = (path: string): string => (path.endsWith('/dev/phone') ? `?number=${encodeURIComponent(N1)}&contact=${encodeURIComponent(CONTACT)}` : '');
  /** The sign-in routes answer the session of the cookie; the rest take the bearer token. */
  const callAs = (method: string, url: string, opts: { body?: unknown } = {}) =>
    url.startsWith('/admin/session') ? bridge.call(method, url, { ...opts, token: null, headers: { cookie, origin: bridge.url } }) : bridge.call(method, url, opts);
  /** An event stream's status and content type; the connection is closed once they arrive. */
  const streamHead = async (url: string) => {
    const hangUp = new AbortController();
    const res = await fetch(`${bridge.url}${url}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: hangUp.signal });
    hangUp.abort();
    return { status: res.status, type: (res.headers.get('content-type') ?? '').split(';')[0]! };
  };
  /** Path parameters that name nothing: calling a route with them changes nothing. */
  const unknownParam = (name: string): string => (name === 'number' ? '+15005550199' : name === 'platform' ? 'slack' : 'no-such-id');

  it('serves the document, to admins only', async () => {
    expect((await bridge.call('GET', '/admin/api/openapi.json', { token: null })).status).toBe(401);
    const served = await json(bridge.call('GET', '/admin/api/openapi.json'));
    expect(served).toEqual({ status: 200, body: JSON.parse(JSON.stringify(doc)) });
  });

  it('answers an admin path no route serves with a JSON 404 of its own, unlike a missing resource', async () => {
    expect(await json(bridge.call('GET', '/admin/api/nothing-here'))).toEqual({ status: 404, body: { error: ADMIN_404 } });
    expect(await json(bridge.call('POST', '/admin/api/audit', { body: {} }))).toEqual({ status: 404, body: { error: ADMIN_404 } });
    const missing = await json<{ error: { code: string; message: string } }>(bridge.call('GET', '/admin/api/mappings/no-such-id'));
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
    expect(isAdmin404(missing)).toBe(false);
    // The guard still comes first.
    expect((await bridge.call('GET', '/admin/api/nothing-here', { token: null })).status).toBe(401);
  });

  it('every documented operation is answered by a real route, with one of its documented answers', async () => {
    const auditBefore = await json(bridge.call('GET', '/admin/api/audit'));
    const missing: string[] = [];
    for (const r of routes) {
      const url = fill(r.path, (name) => unknownParam(name));
      if (isStream(r)) {
        expect((await streamHead(url)).status, keyOf(r)).toBe(200);
        continue;
      }
      const res = await json(bridge.call(r.method.toUpperCase(), url, r.request?.body ? { body: {} } : {}));
      if (isAdmin404(res)) {
        missing.push(keyOf(r));
        continue;
      }
      // What it answered (mostly a refusal of the empty body, or a 404 for the unknown id) is
      // one of its documented answers, errors in the documented error body.
      expect(Object.keys(r.responses), `${keyOf(r)} answered ${res.status} ${JSON.stringify(res.body)}`).toContain(String(res.status));
      if (res.status >= 400) expect(issuesOf(errorBody, res.body), `${keyOf(r)} error body`).toEqual([]);
    }
    expect(missing).toEqual([]);
    expect(await json(bridge.call('GET', '/admin/api/audit')), 'calling them changed nothing').toEqual(auditBefore);
  });

  it('every GET answers what its documented response schema says', async () => {
    const checked: Record<string, number> = {};
    const calls = routes.filter((r) => r.method === 'get').map((r) => ({ r, url: fill(r.path, seededParam) + seededQuery(r.path) }));
    const exportRoute = routes.find((r) => r.path.endsWith('/export'))!;
    calls.push({ r: exportRoute, url: `${fill(exportRoute.path, seededParam)}?format=csv` });
    for (const { r, url } of calls) {
      if (isStream(r)) {
        expect(await streamHead(url), `GET ${url}`).toEqual({ status: 200, type: 'text/event-stream' });
        checked[url] = 1;
        continue;
      }
      const res = await callAs('GET', url);
      expect(res.status, `GET ${url}`).toBe(200);
      const type = (res.headers.get('content-type') ?? '').split(';')[0]!;
      const schema = (r.responses['200'] as ResponseConfig).content?.[type]?.schema;
      expect(isZod(schema), `GET ${url}: ${type} is documented`).toBe(true);
      const body: unknown = type === 'application/json' ? await res.json() : await res.text();
      expect(issuesOf(schema as ZodTypeAny, body), `GET ${url}`).toEqual([]);
      // A list, or an object around one (failed jobs, queues, the dev phone's messages).
      const inner = ['jobs', 'queues', 'messages'].map((k) => (body as Record<string, unknown>)[k]).find(Array.isArray);
      checked[url] = Array.isArray(body) ? body.length : inner ? inner.length : 1;
    }
    // Nothing above passed only because a list came back empty.
    for (const [url, n] of Object.entries(checked)) expect(n, `GET ${url} returned something to check`).toBeGreaterThan(0);
    expect(Object.keys(checked).length).toBe(calls.length);
  });

  it('answers the documented headers: ETag on the policy, Link while more conversations exist', async () => {
    const policy = await bridge.call('GET', '/admin/api/policy');
    expect(policy.headers.get('etag')).toMatch(/^"[^"]+"$/);
    const first = await bridge.call('GET', '/admin/api/conversations?limit=1');
    const link = first.headers.get('link');
    expect(link).toMatch(/^<[^>]+>; rel="next"$/);
    const next = await bridge.call('GET', /^<([^>]+)>/.exec(link!)![1]!);
    const route = routes.find((r) => keyOf(r) === 'GET /admin/api/conversations')!;
    expect(issuesOf((route.responses['200'] as ResponseConfig).content!['application/json']!.schema as ZodTypeAny, await next.json())).toEqual([]);
  });

  it('a request its documented schema refuses is refused by the route, with the documented error, and changes nothing', async () => {
    const before = await Promise.all(['/admin/api/audit', '/admin/api/numbers', '/admin/api/policy'].map((p) => json(bridge.call('GET', p))));
    const refused: string[] = [];
    const expectRefused = async (what: string, r: RouteConfig, url: string, body?: unknown) => {
      const res = await json(callAs(r.method.toUpperCase(), url, body === undefined ? {} : { body }));
      expect([400, 422], `${what} answered ${res.status} ${JSON.stringify(res.body)}`).toContain(res.status);
      expect(Object.keys(r.responses), `${what}: ${res.status} is documented`).toContain(String(res.status));
      expect(issuesOf(errorBody, res.body), `${what}: error body`).toEqual([]);
      refused.push(what);
    };
    for (const r of routes) {
      const url = fill(r.path, seededParam);
      const bodySchema = r.request?.body?.content['application/json']?.schema;
      if (isZod(bodySchema)) {
        const bad = [{}, { __unknown__: 1 }].find((c) => !bodySchema.safeParse(c).success);
        if (bad) await expectRefused(`${keyOf(r)} body`, r, url, bad);
      }
      const query = r.request?.query;
      if (isZod(query) && !query.safeParse({ __unknown__: '1' }).success) {
        await expectRefused(`${keyOf(r)} query`, r, `${url}?__unknown__=1`, r.request?.body ? {} : undefined);
      }
    }
    // A path parameter its schema refuses.
    const getUser = routes.find((r) => keyOf(r) === 'GET /admin/api/users/{platform}/{userId}')!;
    await expectRefused('GET /admin/api/users/{platform}/{userId} params', getUser, '/admin/api/users/myspace/U0123');
    expect(refused).toEqual(
      expect.arrayContaining([
        'POST /admin/api/numbers body',
        'PATCH /admin/api/numbers/{number} body',
        'POST /admin/api/mappings body',
        'GET /admin/api/mappings query',
        'PUT /admin/api/policy body',
        'PUT /admin/api/users/{platform}/{userId} body',
        'GET /admin/api/conversations query',
        'GET /admin/api/conversations/{id}/messages query',
        'GET /admin/api/conversations/{id}/export query',
        'GET /admin/api/messages query',
        'POST /admin/api/dev/inbound body',
        'POST /admin/api/dev/status body',
        'GET /admin/api/dev/phone query',
        'POST /admin/api/conversations body',
        'POST /admin/api/conversations/{id}/messages body',
        'POST /admin/api/numbers/check body',
        'GET /admin/api/users query',
        'GET /admin/api/optouts query',
        'GET /admin/api/queues query',
        'GET /admin/api/channels query',
        'GET /admin/api/audit query',
        'POST /admin/session body',
      ]),
    );
    const after = await Promise.all(['/admin/api/audit', '/admin/api/numbers', '/admin/api/policy'].map((p) => json(bridge.call('GET', p))));
    expect(after).toEqual(before);
  });

  it('answers sign-in, a number check and web inbox sends with their documented schemas', async () => {
    const documented = (key: string, status: number) => {
      const r = routes.find((x) => keyOf(x) === key)!;
      return (r.responses[String(status)] as ResponseConfig).content!['application/json']!.schema as ZodTypeAny;
    };
    const answers: Array<[string, number, Promise<Response>]> = [
      ['POST /admin/session', 200, bridge.call('POST', '/admin/session', { token: null, body: { token: ADMIN_TOKEN, name: 'Sam' } })],
      ['POST /admin/api/numbers/check', 200, bridge.call('POST', '/admin/api/numbers/check', { body: { number: '(800) 555-0100' } })],
      ['POST /admin/api/conversations/{id}/messages', 202, bridge.call('POST', `/admin/api/conversations/${seeded.conversationId}/messages`, { body: { text: '// called her back' } })],
      ['POST /admin/api/conversations', 202, bridge.call('POST', '/admin/api/conversations', { body: { number: N2, contact: '+16465553891', text: 'Your order is ready' } })],
    ];
    for (const [key, status, call] of answers) {
      const res = await json(call);
      expect(res.status, `${key} ${JSON.stringify(res.body)}`).toBe(status);
      expect(issuesOf(documented(key, status), res.body), key).toEqual([]);
    }
  });
});
