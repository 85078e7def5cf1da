// Console sign-in over real HTTP: the token or a one-time code is exchanged for a session cookie
// (HttpOnly, SameSite=Strict, Path=/admin, Secure behind https), the admin API accepts the
// cookie or the bearer token, cookie requests that change something must come from the console's
// origin, and sign-out ends the session. Two bridges on one store share the sessions.
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/core/ports.js';
import { adminGuard } from '../../src/admin/auth.js';
import { adminIdentity } from '../../src/admin/identity.js';
import { issueSignInCode } from '../../src/admin/trial.js';
import type { BridgeModule } from '../../src/app.js';
import { ADMIN_TOKEN, json, startTestBridge, type TestBridge } from '../http/helpers.js';
import { TEST_ENGINE, freshPostgresUrl } from '../support/testDatabase.js';

const bridges: TestBridge[] = [];
afterEach(async () => {
  for (const b of bridges.splice(0)) await b.cleanup();
});

/** GET /admin/api/test-whoami: who the admin guard says is asking. */
const whoami: BridgeModule = (ctx) => ({
  mounts: [(app) => app.get('/admin/api/test-whoami', adminGuard(ctx), (_req, res) => void res.json(adminIdentity(res)))],
});

async function start(env: Record<string, string> = {}, opts: { clock?: Clock } = {}): Promise<TestBridge> {
  const b = await startTestBridge(env, { ...opts, extraModules: [whoami] });
  bridges.push(b);
  return b;
}

function manualClock(): Clock & { advance(ms: number): void } {
  let t = Date.now();
  return { now: () => new Date(t), advance: (ms) => void (t += ms) };
}

async function signIn(b: TestBridge, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${b.url}/admin/session`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** The cookie pair (`smsb_session=...`) a sign-in answer set. */
function cookieOf(res: Response): string {
  const set = res.headers.get('set-cookie') ?? '';
  const pair = set.split(';')[0] ?? '';
  expect(pair).toMatch(/^smsb_session=[A-Za-z0-9_-]{43}$/);
  return pair;
}

function withCookie(b: TestBridge, cookie: string, method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<Response> {
  const h: Record<string, string> = { cookie, ...headers };
  if (body !== undefined) h['content-type'] = 'application/json';
  return fetch(`${b.url}${path}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
}

describe('sign-in with the admin token', () => {
  it('answers the name and expiry and sets an HttpOnly, SameSite=Strict cookie for /admin; the cookie opens the admin API', async () => {
    const b = await start();
    const res = await signIn(b, { token: ADMIN_TOKEN, name: 'Ana Lima' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { name: string; expiresAt: string };
    expect(body.name).toBe('Ana Lima');
    expect(Date.parse(body.expiresAt) - Date.now()).toBeGreaterThan(11 * 3600_000);
    const set = res.headers.get('set-cookie') ?? '';
    expect(set).toMatch(/; HttpOnly/);
    expect(set).toMatch(/; SameSite=Strict/);
    expect(set).toMatch(/; Path=\/admin/);
    expect(set).not.toMatch(/Secure/);
    expect(set).not.toContain(ADMIN_TOKEN);
    const cookie = cookieOf(res);

    expect(await json(withCookie(b, cookie, 'GET', '/admin/session'))).toEqual({ status: 200, body });
    expect((await withCookie(b, cookie, 'GET', '/admin/api/numbers')).status).toBe(200);
    const who = (await json<{ name: string; sessionId: string }>(withCookie(b, cookie, 'GET', '/admin/api/test-whoami'))).body;
    expect(who.name).toBe('Ana Lima');
    expect(who.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(cookie).not.toContain(who.sessionId);
  });

  it('marks the cookie Secure when PUBLIC_URL is https', async () => {
    const b = await start({ PUBLIC_URL: 'https://bridge.example.com' });
    const res = await signIn(b, { token: ADMIN_TOKEN, name: 'Ana' });
    expect(res.headers.get('set-cookie')).toMatch(/; Secure/);
  });

  it('refuses a wrong token with 401, sets no cookie, and counts it with the bearer failures', async () => {
    const b = await start();
    const wrong = await signIn(b, { token: 'wrong-token', name: 'Eve' });
    expect(await json(wrong)).toEqual({ status: 401, body: { error: { code: 'unauthorized', message: 'Unauthorized.' } } });
    expect(wrong.headers.get('set-cookie')).toBeNull();
    // 19 more wrong bearer tokens make 20 failures: the address must wait, for sign-in too.
    for (let i = 0; i < 19; i++) await b.call('GET', '/admin/api/numbers', { token: 'nope' });
    const blocked = await signIn(b, { token: ADMIN_TOKEN, name: 'Ana' });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('refuses a body without a name, or with both or neither of token and code, with 422', async () => {
    const b = await start();
    for (const body of [{ token: ADMIN_TOKEN }, { token: ADMIN_TOKEN, name: '  ' }, { name: 'Ana' }, { token: ADMIN_TOKEN, code: 'x', name: 'Ana' }]) {
      const res = await signIn(b, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.headers.get('set-cookie')).toBeNull();
    }
  });

  it('answers 401 to sign-in when no ADMIN_TOKEN is configured (not a trial)', async () => {
    const b = await start({ ADMIN_TOKEN: '', PUBLIC_URL: 'https://bridge.example.com' });
    expect((await signIn(b, { token: '', name: 'Ana' })).status).toBe(422);
    expect((await signIn(b, { token: 'anything', name: 'Ana' })).status).toBe(401);
  });
});

describe('sign-in with a one-time code', () => {
  it('works once', async () => {
    const b = await start();
    const { code } = await issueSignInCode(b.ctx.store.consoleSessions);
    const first = await signIn(b, { code, name: 'Ana' });
    expect(first.status).toBe(200);
    cookieOf(first);
    expect((await signIn(b, { code, name: 'Eve' })).status).toBe(401);
  });

  it('is refused after 10 minutes', async () => {
    const clock = manualClock();
    const b = await start({}, { clock });
    const { code, expiresAt } = await issueSignInCode(b.ctx.store.consoleSessions);
    expect(Date.parse(expiresAt) - clock.now().getTime()).toBe(10 * 60_000);
    clock.advance(10 * 60_000);
    expect((await signIn(b, { code, name: 'Ana' })).status).toBe(401);
  });
});

describe('same-origin checks on cookie requests', () => {
  const number = { number: '+14155552671', provider: 'local' };

  it('refuses a cross-origin POST with the cookie (403 with the reason) and changes nothing', async () => {
    const b = await start();
    const cookie = cookieOf(await signIn(b, { token: ADMIN_TOKEN, name: 'Ana' }));
    const res = await withCookie(b, cookie, 'POST', '/admin/api/numbers', { origin: 'https://evil.example' }, number);
    const body = (await json<{ error: { code: string; message: string } }>(res)).body;
    expect(res.status).toBe(403);
    expect(body.error.code).toBe('forbidden');
    expect(body.error.message).toContain('https://evil.example');
    const noOrigin = await withCookie(b, cookie, 'POST', '/admin/api/numbers', {}, number);
    expect(noOrigin.status).toBe(403);
    expect(((await noOrigin.json()) as { error: { message: string } }).error.message).toMatch(/Origin or Referer/);
    expect(await json(b.call('GET', '/admin/api/numbers'))).toEqual({ status: 200, body: [] });
  });

  it('lets a same-origin POST with the cookie in (Origin, or Referer without Origin, or PUBLIC_URL origin)', async () => {
    const b = await start({ PUBLIC_URL: 'https://bridge.example.com' });
    const cookie = cookieOf(await signIn(b, { token: ADMIN_TOKEN, name: 'Ana' }));
    expect((await withCookie(b, cookie, 'POST', '/admin/api/numbers', { origin: b.url }, number)).status).toBe(201);
    expect((await withCookie(b, cookie, 'DELETE', `/admin/api/numbers/${number.number}`, { referer: `${b.url}/admin/numbers` })).status).toBe(204);
    expect((await withCookie(b, cookie, 'POST', '/admin/api/numbers', { origin: 'https://bridge.example.com' }, number)).status).toBe(201);
  });

  it('does not apply to bearer requests (no ambient credential), which act as X-Admin-Name or "admin"', async () => {
    const b = await start();
    const res = await b.call('POST', '/admin/api/numbers', { body: number, headers: { origin: 'https://elsewhere.example', 'x-admin-name': 'deploy-script' } });
    expect(res.status).toBe(201);
    expect(await json(b.call('GET', '/admin/api/test-whoami', { headers: { 'x-admin-name': 'deploy-script' } }))).toEqual({ status: 200, body: { name: 'deploy-script', sessionId: null } });
    expect(await json(b.call('GET', '/admin/api/test-whoami'))).toEqual({ status: 200, body: { name: 'admin', sessionId: null } });
  });
});

describe('sign-out', () => {
  it('ends the session and clears the cookie; the cookie no longer opens anything', async () => {
    const b = await start();
    const cookie = cookieOf(await signIn(b, { token: ADMIN_TOKEN, name: 'Ana' }));
    const cross = await withCookie(b, cookie, 'DELETE', '/admin/session', { origin: 'https://evil.example' });
    expect(cross.status).toBe(403);
    const out = await withCookie(b, cookie, 'DELETE', '/admin/session', { origin: b.url });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^smsb_session=; Path=\/admin; Expires=Thu, 01 Jan 1970/);
    expect((await withCookie(b, cookie, 'GET', '/admin/session')).status).toBe(401);
    expect((await withCookie(b, cookie, 'GET', '/admin/api/numbers')).status).toBe(401);
  });
});

describe('signing in again', () => {
  it('replaces the browser\'s session: the old cookie no longer opens anything', async () => {
    const b = await start();
    const first = cookieOf(await signIn(b, { token: ADMIN_TOKEN, name: 'Ana' }));
    const second = cookieOf(await signIn(b, { token: ADMIN_TOKEN, name: 'Ana B.' }, { cookie: first }));
    expect(second).not.toBe(first);
    expect((await withCookie(b, first, 'GET', '/admin/session')).status).toBe(401);
    expect(await json(withCookie(b, second, 'GET', '/admin/session'))).toMatchObject({ status: 200, body: { name: 'Ana B.' } });
  });
});

describe.runIf(TEST_ENGINE === 'postgres' || process.env.TEST_SESSIONS_PG === '1')('two instances on one Postgres store', () => {
  it('a session made on one is known to the other, and sign-out on one ends it on both', async () => {
    const DATABASE_URL = await freshPostgresUrl();
    const one = await start({ DATABASE_URL });
    const two = await start({ DATABASE_URL });
    const cookie = cookieOf(await signIn(one, { token: ADMIN_TOKEN, name: 'Ana' }));
    expect(await json(withCookie(two, cookie, 'GET', '/admin/session'))).toMatchObject({ status: 200, body: { name: 'Ana' } });
    expect((await withCookie(two, cookie, 'GET', '/admin/api/numbers')).status).toBe(200);
    expect((await withCookie(two, cookie, 'DELETE', '/admin/session', { origin: two.url })).status).toBe(204);
    expect((await withCookie(one, cookie, 'GET', '/admin/api/numbers')).status).toBe(401);
  });
});
