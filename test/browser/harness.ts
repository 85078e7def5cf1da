// Browser tests of the console: Debian's Chromium (/usr/bin/chromium, installed by .ci/run when
// missing) driven by playwright-core against a real bridge on an ephemeral port (startTestBridge:
// real SQLite, real Redis, real HTTP). Every page a test visits can be saved as a screenshot
// under test/artifacts/ (ignored by git) for a person to look at.
//
//   chromiumForFile();                         // once per file: one Chromium, consoles closed after each test
//   const ui = await openConsole();            // a bridge + a browser page at /admin
//   await ui.signIn();                         // through the sign-in form, with the admin token
//   await ui.goTo('numbers');                  // by the nav, as a person clicks
//   await ui.shot('numbers');                  // test/artifacts/numbers.png
//   expect(ui.unexpectedErrors()).toEqual([]); // console errors, uncaught exceptions, CSP reports
//   await ui.close();
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { BridgeModule } from '../../src/app.js';
import { buildBridgeParts } from '../../src/wiring.js';
import { ADMIN_TOKEN, startTestBridge, type TestBridge } from '../http/helpers.js';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = path.resolve(import.meta.dirname, '../artifacts');
export const PHONE_VIEWPORT = { width: 390, height: 844 };
export const DESKTOP_VIEWPORT = { width: 1280, height: 860 };

/** Every page of the console, by its URL slug (/admin/<slug>) and its nav label. */
export const CONSOLE_PAGES = [
  { slug: 'inbox', label: 'Inbox' },
  { slug: 'dev-phone', label: 'Dev phone' },
  { slug: 'numbers', label: 'Numbers' },
  { slug: 'mappings', label: 'Mappings' },
  { slug: 'policy', label: 'Policy' },
  { slug: 'people', label: 'People' },
  { slug: 'opt-outs', label: 'Opt-outs' },
  { slug: 'queues', label: 'Queue health' },
  { slug: 'audit', label: 'Audit log' },
  { slug: 'unrouted', label: 'Unrouted' },
  { slug: 'history', label: 'History search' },
] as const;

/** The Chromium of the running test file (chromiumForFile), and the consoles its test opened. */
let fileBrowser: Browser | null = null;
const openInTest: ConsoleUnderTest[] = [];

/**
 * One Chromium for a test file: launched before its first test, closed after its last. Every
 * console a test opens uses it, and is closed after that test whether it passed or not.
 */
export function chromiumForFile(): void {
  beforeAll(async () => {
    fileBrowser = await launchChromium();
  });
  afterEach(async () => {
    for (const ui of openInTest.splice(0)) await ui.close();
  });
  afterAll(async () => {
    await fileBrowser?.close();
    fileBrowser = null;
  });
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; .ci/run does it)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}

export interface ConsoleUnderTest {
  bridge: TestBridge;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Everything the page reported as an error, in order. */
  errors: { text: string; url: string }[];
  /** Errors other than the expected HTTP answers (see `expectedHttpError`). */
  unexpectedErrors(): string[];
  signIn(opts?: { token?: string; name?: string }): Promise<void>;
  goTo(slug: string): Promise<void>;
  shot(name: string): Promise<string>;
  /** Form controls and buttons in main with no name a screen reader can say (their HTML). */
  unlabelledControls(): Promise<string[]>;
  /** How far the page is wider than the window (0: no horizontal scroll). */
  horizontalOverflow(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Chromium logs every 4xx answer to fetch as a console error. One is expected: 401 from
 * /admin/session (GET before sign-in is how the console learns it must ask; POST with a wrong
 * token or a spent code is the refusal the page shows). Tests that provoke another refusal on
 * purpose filter it themselves.
 */
function expectedHttpError(e: { text: string; url: string }): boolean {
  const status = /Failed to load resource: the server responded with a status of (\d{3})/.exec(e.text)?.[1];
  if (!status) return false;
  return status === '401' && new URL(e.url || 'http://x/').pathname === '/admin/session';
}

/**
 * The production wiring with test timings: the local provider (nothing real configured) reports a
 * reply delivered 300 ms after sending it, and retries come quickly.
 */
const quickBridge: BridgeModule = async (ctx) =>
  (
    await buildBridgeParts(ctx, {
      localDeliveredAfterMs: 300,
      outbound: { backoff: { baseMs: 20, maxMs: 100 } },
      delivery: { backoff: { baseMs: 20, maxMs: 100 } },
    })
  ).parts;

export async function openConsole(opts: { env?: Record<string, string>; viewport?: { width: number; height: number }; browser?: Browser; path?: string } = {}): Promise<ConsoleUnderTest> {
  const bridge = await startTestBridge(opts.env ?? {}, { modules: [quickBridge] });
  const own = !opts.browser && !fileBrowser; // a browser of its own, closed with it
  const browser = opts.browser ?? fileBrowser ?? (await launchChromium());
  const context = await browser.newContext({ viewport: opts.viewport ?? DESKTOP_VIEWPORT, baseURL: bridge.url, timezoneId: 'America/Los_Angeles', locale: 'en-US' });
  const page = await context.newPage();
  const errors: { text: string; url: string }[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push({ text: m.text(), url: m.location().url });
  });
  page.on('pageerror', (err) => errors.push({ text: `uncaught: ${err.message}`, url: page.url() }));
  await page.goto(opts.path ?? '/admin');

  let closed = false;
  const ui: ConsoleUnderTest = {
    bridge,
    browser,
    context,
    page,
    errors,
    unexpectedErrors: () => errors.filter((e) => !expectedHttpError(e)).map((e) => `${e.text} (${e.url})`),
    async signIn({ token = ADMIN_TOKEN, name = 'Ann Admin' } = {}) {
      await page.getByLabel('Your name').fill(name);
      const tokenField = page.getByLabel('Admin token');
      if (!(await tokenField.isVisible())) await page.getByRole('button', { name: 'Use the admin token instead' }).click();
      await page.getByLabel('Admin token').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
    },
    async goTo(slug) {
      const entry = CONSOLE_PAGES.find((p) => p.slug === slug);
      if (!entry) throw new Error(`no console page ${slug}`);
      const nav = page.getByRole('navigation', { name: 'Console pages' });
      const toggle = page.getByRole('button', { name: 'Menu' });
      if (!(await nav.isVisible()) && (await toggle.isVisible())) await toggle.click();
      await nav.getByRole('link', { name: entry.label, exact: true }).click();
      await page.waitForURL(`**/admin/${slug}`);
      await page.getByRole('heading', { level: 1, name: entry.label }).waitFor();
      // Let the page's first API answers arrive before anyone looks at it.
      await page.waitForLoadState('networkidle').catch(() => undefined);
      // (A locator, not waitForFunction: a string predicate is eval'd in the page, which the CSP refuses.)
      await page.locator('main [role=status]', { hasText: /^Loading/ }).first().waitFor({ state: 'detached', timeout: 5000 }).catch(() => undefined);
    },
    async shot(name) {
      mkdirSync(ARTIFACTS, { recursive: true });
      const file = path.join(ARTIFACTS, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    unlabelledControls: () =>
      page.evaluate<string[]>(`[...document.querySelectorAll('main input, main select, main textarea, main button')]
        .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || (el.tagName === 'BUTTON' && el.textContent.trim())))
        .map((el) => el.outerHTML)`),
    // A string: this file is type-checked for Node, without the DOM's types.
    horizontalOverflow: () => page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth'),
    async close() {
      if (closed) return; // a test may close it itself; chromiumForFile closes it after the test too
      closed = true;
      await context.close().catch(() => undefined);
      if (own) await browser.close().catch(() => undefined);
      await bridge.cleanup();
    },
  };
  openInTest.push(ui);
  return ui;
}
