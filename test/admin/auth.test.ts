import { afterEach, describe, expect, it } from 'vitest';
import { tokenMatches } from '../../src/admin/auth.js';
import { ADMIN_TOKEN, json, startTestBridge } from '../http/helpers.js';
import type { TestBridge } from '../http/helpers.js';

let bridge: TestBridge | null = null;
afterEach(async () => {
  await bridge?.cleanup();
  bridge = null;
});

const UNAUTHORIZED = { status: 401, body: { error: { code: 'unauthorized', message: 'Unauthorized.' } } };

describe('admin API authentication', () => {
  it('answers 401 to everyone when no ADMIN_TOKEN is configured, even to a guessed empty or common token', async () => {
    bridge = await startTestBridge({ ADMIN_TOKEN: '' });
    expect(bridge.ctx.config.adminToken).toBeNull();
    for (const token of [null, '', 'admin', ADMIN_TOKEN, 'undefined', 'null']) {
      expect(await json(bridge.call('GET', '/admin/api/numbers', { token }))).toEqual(UNAUTHORIZED);
    }
  });

  it('answers 401 with no detail to a missing or wrong token, and to a non-Bearer scheme', async () => {
    bridge = await startTestBridge();
    expect(await json(bridge.call('GET', '/admin/api/numbers', { token: null }))).toEqual(UNAUTHORIZED);
    expect(await json(bridge.call('GET', '/admin/api/numbers', { token: 'wrong' }))).toEqual(UNAUTHORIZED);
    expect(await json(bridge.call('GET', '/admin/api/numbers', { token: `${ADMIN_TOKEN}x` }))).toEqual(UNAUTHORIZED);
    const basic = await bridge.call('GET', '/admin/api/numbers', { token: null, headers: { authorization: `Basic ${ADMIN_TOKEN}` } });
    expect(basic.status).toBe(401);
    expect(basic.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('checks the token before anything else: an unknown admin route or a bad body is still 401', async () => {
    bridge = await startTestBridge();
    expect(await json(bridge.call('GET', '/admin/api/nothing-here', { token: 'wrong' }))).toEqual(UNAUTHORIZED);
    expect(await json(bridge.call('POST', '/admin/api/numbers', { token: 'wrong', raw: '{not json' }))).toEqual(UNAUTHORIZED);
  });

  it('lets the right token in', async () => {
    bridge = await startTestBridge();
    expect(await json(bridge.call('GET', '/admin/api/numbers'))).toEqual({ status: 200, body: [] });
    const lower = await bridge.call('GET', '/admin/api/numbers', { token: null, headers: { authorization: `bearer ${ADMIN_TOKEN}` } });
    expect(lower.status).toBe(200);
  });

  it('compares tokens of any length without throwing', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abc', 'abcd')).toBe(false);
    expect(tokenMatches('abc', '')).toBe(false);
    expect(tokenMatches('x'.repeat(500), 'x'.repeat(500))).toBe(true);
  });
});

describe('admin console', () => {
  it('serves its shell and bundle without the token and without data, under a strict content security policy', async () => {
    bridge = await startTestBridge();
    const page = await bridge.call('GET', '/admin', { token: null });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    const src = html.match(/<script type="module" src="(\/admin\/assets\/console\.js\?v=\w+)"><\/script>/)?.[1];
    expect(src).toBeDefined();
    const script = await bridge.call('GET', src!, { token: null });
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    const js = await script.text();
    expect(js).toContain('/admin/api/');
    // Everything it shows comes from the admin API, which still wants the token or a session.
    expect((await bridge.call('GET', '/admin/api/numbers', { token: null })).status).toBe(401);
  });
});
