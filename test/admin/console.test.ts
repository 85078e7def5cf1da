// How the bridge serves the console (console/, bundled by esbuild): one HTML shell for /admin and
// every page URL under it (history-API routing), the bundle and favicon, `/` sending a person to
// /admin, a strict CSP with no inline script, and unknown /admin/api paths still JSON 404s.
// What the console does in a browser is tested in test/browser.
import { afterEach, describe, expect, it } from 'vitest';
import { CONSOLE_CSP, CONSOLE_PAGE_SLUGS } from '../../src/admin/console.js';
import { CONSOLE_PAGES } from '../browser/harness.js';
import { startTestBridge, type TestBridge } from '../http/helpers.js';

let bridge: TestBridge | null = null;
afterEach(async () => {
  await bridge?.cleanup();
  bridge = null;
});

describe('the console as served', () => {
  it('answers the same shell for /admin and each page URL, naming its bundle, with a strict CSP', async () => {
    bridge = await startTestBridge();
    const shells = [];
    for (const p of ['/admin', '/admin/', '/admin/inbox/c0192-abc', ...CONSOLE_PAGE_SLUGS.map((slug) => `/admin/${slug}`)]) {
      const res = await fetch(`${bridge.url}${p}`);
      expect(res.status, p).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
      shells.push(await res.text());
    }
    expect(new Set(shells).size).toBe(1);
    const html = shells[0]!;
    // No inline script or style: the CSP forbids them, and none is needed.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(html).not.toMatch(/<style|style=/);
    expect(CONSOLE_CSP).toContain("script-src 'self';");
    expect(CONSOLE_CSP).not.toContain('unsafe-inline');

    const js = html.match(/src="(\/admin\/assets\/console\.js\?v=[0-9a-f]+)"/)?.[1];
    const css = html.match(/href="(\/admin\/assets\/console\.css\?v=[0-9a-f]+)"/)?.[1];
    expect(js).toBeDefined();
    expect(css).toBeDefined();
    const script = await fetch(`${bridge.url}${js}`);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(script.headers.get('cache-control')).toContain('immutable');
    expect((await script.text()).length).toBeGreaterThan(10_000);
    const style = await fetch(`${bridge.url}${css}`);
    expect(style.headers.get('content-type')).toMatch(/^text\/css/);
    expect(await style.text()).toContain('.bubble');
    const icon = await fetch(`${bridge.url}/admin/favicon.svg`);
    expect(icon.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(await icon.text()).toMatch(/^<svg/);
  });

  it('knows the same pages as the console\'s navigation', () => {
    expect([...CONSOLE_PAGE_SLUGS].sort()).toEqual(CONSOLE_PAGES.map((p) => p.slug).sort());
  });

  it('sends / to /admin, and leaves unknown paths under /admin (API or not) to the JSON 404', async () => {
    bridge = await startTestBridge();
    const root = await fetch(`${bridge.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/admin');
    // /admin/session is the sign-in route (JSON: no session, 401), never the shell.
    const session = await bridge.call('GET', '/admin/session', { token: null });
    expect(session.status).toBe(401);
    expect(((await session.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    // Nor is a mistyped API path.
    for (const p of ['/admin/api/no-such-route', '/admin/api', '/admin/no-such-page', '/admin//jobs/failed', '/admin/numbers/+14155552671', '/admin/console.js']) {
      const res = await bridge.call('GET', p);
      expect(res.status, p).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }
    expect((await fetch(`${bridge.url}/admin/assets/other.js`)).status).toBe(404);
  });
});
