// Failed admin sign-ins are visible and slowed: each is logged at warn with the client's address
// and the route (never the token), and after 20 failures within a minute from one address that
// address is answered 429 with Retry-After, while the right token from anywhere else still works.
// Behind a reverse proxy the address comes from X-Forwarded-For only when TRUST_PROXY says so.
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { SIGN_IN_FAILURES_PER_MINUTE } from '../../src/admin/auth.js';
import { createLogger } from '../../src/logger.js';
import { ADMIN_TOKEN, startTestBridge, type TestBridge } from '../http/helpers.js';

let bridge: TestBridge | null = null;
afterEach(async () => {
  await bridge?.cleanup();
  bridge = null;
});

interface LogLine {
  level: number;
  msg: string;
  address?: string;
  route?: string;
}

/** A bridge whose warn-and-above log lines are kept, raw and parsed. */
async function bridgeWithLog(env: Record<string, string> = {}): Promise<{ bridge: TestBridge; raw: string[]; lines: () => LogLine[] }> {
  const raw: string[] = [];
  const logger = createLogger({ level: 'warn', destination: { write: (s: string) => void raw.push(s) } });
  const b = await startTestBridge(env, { logger });
  return { bridge: b, raw, lines: () => raw.map((l) => JSON.parse(l) as LogLine) };
}

/** GET from a given local address (Linux routes all of 127.0.0.0/8 to loopback). */
function getFrom(localAddress: string, url: string, headers: Record<string, string>): Promise<{ status: number; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

const wrong = (i: number) => ({ authorization: `Bearer wrong-token-${String(i).padStart(4, '0')}-abcdef` });
const right = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('failed admin sign-ins', () => {
  it('each refusal is logged at warn with the address and route, never the token', async () => {
    const t = await bridgeWithLog();
    bridge = t.bridge;
    expect((await bridge.call('GET', '/admin/api/numbers?limit=5', { token: 'guess-number-one-0123' })).status).toBe(401);
    expect((await bridge.call('POST', '/admin/api/mappings', { token: null, body: { number: '+14155552671' } })).status).toBe(401);
    expect((await bridge.call('GET', '/admin/api/jobs/failed', { token: 'guess-number-two-4567' })).status).toBe(401);

    const refusals = t.lines().filter((l) => l.msg.startsWith('admin sign-in refused'));
    expect(refusals.map((l) => [l.level, l.route])).toEqual([
      [40, '/admin/api/numbers'],
      [40, '/admin/api/mappings'],
      [40, '/admin/api/jobs/failed'],
    ]);
    for (const l of refusals) expect(l.address).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
    const everything = t.raw.join('\n');
    for (const secret of ['guess-number-one', 'guess-number-two', 'guess-', ADMIN_TOKEN.slice(0, 8)]) expect(everything).not.toContain(secret);
  });

  it(`after ${SIGN_IN_FAILURES_PER_MINUTE} failures a minute an address gets 429 with Retry-After on every admin route, right token or not; the right token from elsewhere is unaffected`, async () => {
    const t = await bridgeWithLog();
    bridge = t.bridge;
    const numbers = `${bridge.url}/admin/api/numbers`;
    const attacker = '127.0.0.1';
    for (let i = 0; i < SIGN_IN_FAILURES_PER_MINUTE; i++) expect((await getFrom(attacker, numbers, wrong(i))).status).toBe(401);

    const throttled = await getFrom(attacker, numbers, wrong(99));
    expect(throttled.status).toBe(429);
    expect(Number(throttled.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(throttled.retryAfter)).toBeLessThanOrEqual(60);
    // The token is not even looked at while the address waits, so guessing gains nothing.
    expect((await getFrom(attacker, numbers, right)).status).toBe(429);
    // One count for every admin route, whichever part of the bridge mounts it.
    for (const path of ['/admin/api/jobs/failed', '/admin/api/dev/outbox', '/admin/api/policy']) {
      expect((await getFrom(attacker, `${bridge.url}${path}`, right)).status, path).toBe(429);
    }

    // Another address with the right token: straight in; with a wrong one: its own count.
    expect((await getFrom('127.0.0.2', numbers, right)).status).toBe(200);
    expect((await getFrom('127.0.0.3', numbers, wrong(1))).status).toBe(401);

    // Logged: 20 refusals and the moment the address had to start waiting (not every 429).
    const warns = t.lines().filter((l) => l.level === 40 && l.msg.startsWith('admin sign-in'));
    expect(warns.filter((l) => l.msg.startsWith('admin sign-in refused') && l.address?.endsWith(attacker))).toHaveLength(SIGN_IN_FAILURES_PER_MINUTE);
    expect(warns.filter((l) => /failures within a minute/.test(l.msg))).toHaveLength(1);
  });

  it('without TRUST_PROXY, X-Forwarded-For is not believed: changing it does not escape the count', async () => {
    bridge = await startTestBridge();
    const statuses: number[] = [];
    for (let i = 0; i <= SIGN_IN_FAILURES_PER_MINUTE; i++) {
      statuses.push((await bridge.call('GET', '/admin/api/numbers', { token: `wrong-token-${i}-0123456789`, headers: { 'x-forwarded-for': `203.0.113.${i + 1}` } })).status);
    }
    expect(statuses.slice(0, SIGN_IN_FAILURES_PER_MINUTE).every((s) => s === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
  });

  it('behind a trusted proxy the client address comes from X-Forwarded-For: one client is throttled, another passes', async () => {
    const t = await bridgeWithLog({ TRUST_PROXY: 'loopback' });
    bridge = t.bridge;
    const from = (client: string) => ({ 'x-forwarded-for': client });
    for (let i = 0; i < SIGN_IN_FAILURES_PER_MINUTE; i++) {
      expect((await bridge.call('GET', '/admin/api/numbers', { token: `wrong-token-${i}-0123456789`, headers: from('203.0.113.9') })).status).toBe(401);
    }
    expect((await bridge.call('GET', '/admin/api/numbers', { headers: from('203.0.113.9') })).status).toBe(429);
    expect((await bridge.call('GET', '/admin/api/numbers', { headers: from('198.51.100.7') })).status).toBe(200);
    const addresses = new Set(t.lines().filter((l) => l.msg.startsWith('admin sign-in refused')).map((l) => l.address));
    expect([...addresses]).toEqual(['203.0.113.9']);
  });
});
