// The console in headless Chromium against a real bridge: signing in through the form, every
// page rendering without an error, and every page usable at a phone's 390 px with no horizontal
// scroll. Screenshots of each page land in test/artifacts/ (desktop-<page>.png, phone-<page>.png).
import { describe, expect, it } from 'vitest';
import { issueSignInCode } from '../../src/admin/trial.js';
import { recordInbound } from '../../src/app/recordInbound.js';
import { CONSOLE_PAGES, chromiumForFile, openConsole, PHONE_VIEWPORT, type ConsoleUnderTest } from './harness.js';

const LOCAL = '+14155552671';
const TOLL_FREE = '+18005550199';
const CONTACT = '+12125553456';

chromiumForFile();
let ui: ConsoleUnderTest | null = null;

/** Something on every page: numbers (one that cannot text), a mapping, texts in, a policy change. */
async function seed(u: ConsoleUnderTest): Promise<void> {
  const { store, clock } = u.bridge.ctx;
  await store.numbers.create({ e164: LOCAL, provider: 'local', type: 'local', status: 'active', country: 'US' });
  await store.numbers.create({ e164: TOLL_FREE, provider: 'twilio', type: 'toll-free', status: 'active', country: 'US' });
  const sms = (id: string, body: string) => recordInbound({ store, clock }, { provider: 'local', providerMessageId: id, from: CONTACT, to: LOCAL, body, media: [] });
  await sms('L1', 'Hi, is my order ready?');
  await sms('L2', 'It was order 1042, placed on Tuesday. A long message with a_very_long_unbroken_token_that_must_wrap_rather_than_widen_the_page_0123456789');
  expect((await u.bridge.call('PUT', '/admin/api/policy', { body: { maxSegments: 5 } })).status).toBe(200);
  expect((await u.bridge.call('POST', '/admin/api/mappings', { body: { number: LOCAL, platform: 'web', channel: 'inbox' } })).status).toBe(201);
}

describe('console in Chromium', () => {
  it('signs in with the token and a name through a session cookie the page cannot read', { timeout: 60_000 }, async () => {
    ui = await openConsole();
    await ui.signIn();
    const cookies = await ui.context.cookies();
    const session = cookies.find((c) => c.name === 'smsb_session');
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe('Strict');
    expect(await ui.page.evaluate<number>('sessionStorage.length + localStorage.length')).toBe(0);
    expect(await ui.page.getByRole('banner').textContent()).toContain('Signed in as Ann Admin');
    // A reload keeps the session: the cookie, not page memory.
    await ui.page.goto('/admin/numbers');
    await ui.page.getByRole('heading', { level: 1, name: 'Numbers' }).waitFor();
    await ui.page.getByRole('button', { name: 'Sign out' }).click();
    await ui.page.getByLabel('Admin token').waitFor();
    expect((await ui.context.cookies()).find((c) => c.name === 'smsb_session')).toBeUndefined();
    expect(ui.unexpectedErrors()).toEqual([]);
  });

  it('signs in once with the one-time link the bridge printed; the code leaves the address bar and cannot be used again', { timeout: 60_000 }, async () => {
    ui = await openConsole();
    const { code } = await issueSignInCode(ui.bridge.ctx.store.consoleSessions);
    const page = ui.page;
    await page.goto(`/admin/?code=${encodeURIComponent(code)}`);
    expect(await page.getByLabel('One-time sign-in code').inputValue()).toBe(code);
    await page.getByLabel('Your name').fill('Carla Code');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.waitForURL((u) => !u.search.includes('code'));
    expect(page.url()).not.toContain(code);
    expect(await page.getByRole('banner').textContent()).toContain('Signed in as Carla Code');

    // Spent: the same link, in a fresh browser without the cookie, is refused with the reason.
    await ui.context.clearCookies();
    await page.goto(`/admin/?code=${encodeURIComponent(code)}`);
    await page.getByLabel('Your name').fill('Mallory');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('That sign-in code is wrong, used or expired.');
    expect(await page.getByRole('navigation').count()).toBe(0);
    await ui.shot('signin-code-spent');
    expect(ui.unexpectedErrors()).toEqual([]);
  });

  it('refuses a wrong token with the reason, and shows nothing behind the sign-in', async () => {
    ui = await openConsole();
    await ui.page.getByLabel('Your name').fill('Mallory');
    await ui.page.getByLabel('Admin token').fill('not-the-token');
    await ui.page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => ui!.page.getByRole('alert').textContent()).toBe('That token is not right.');
    expect(await ui.page.getByRole('navigation').count()).toBe(0);
    await ui.shot('signin-refused');
  });

  it('renders every page, signed in, without an error in the page, each with its own URL, landmarks and every control labelled', { timeout: 90_000 }, async () => {
    ui = await openConsole();
    await seed(ui);
    await ui.shot('desktop-signin');
    await ui.signIn();
    expect(ui.page.url()).toMatch(/\/admin\/inbox$/);
    const nav = ui.page.getByRole('navigation', { name: 'Console pages' }).getByRole('link');
    expect(await nav.evaluateAll((links) => links.map((a) => a.getAttribute('href')))).toEqual(CONSOLE_PAGES.map((p) => `/admin/${p.slug}`));
    for (const p of CONSOLE_PAGES) {
      await ui.goTo(p.slug);
      await ui.shot(`desktop-${p.slug}`);
      // A landmark each: header, nav, main; every control with a name a screen reader says.
      expect(await ui.page.locator('header, nav, main').count()).toBe(3);
      expect(await ui.unlabelledControls(), p.slug).toEqual([]);
    }
    // What the pages show reads as a person reads it.
    await ui.goTo('numbers');
    await expect.poll(() => ui!.page.locator('main').textContent()).toContain('(415) 555-2671');
    expect(await ui.page.locator('main').textContent()).toContain('Cannot carry SMS');
    await ui.goTo('inbox');
    await ui.page.getByRole('link', { name: /\(212\) 555-3456/ }).first().click();
    await ui.page.getByText('Hi, is my order ready?').waitFor();
    await ui.shot('desktop-conversation');
    expect(ui.unexpectedErrors()).toEqual([]);
  });

  it('is usable from the keyboard: a skip link first, pages opened with Enter, focus moved to the page', { timeout: 60_000 }, async () => {
    ui = await openConsole();
    await ui.signIn();
    const page = ui.page;
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string>('document.activeElement?.textContent ?? ""')).toBe('Skip to content');
    await page.getByRole('link', { name: 'Policy', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL('**/admin/policy');
    await page.getByRole('heading', { level: 1, name: 'Policy' }).waitFor();
    expect(await page.evaluate<string>('document.activeElement?.id ?? ""')).toBe('main');
    expect(ui.unexpectedErrors()).toEqual([]);
  });

  it('at 390 px wide, every page fits the screen with no horizontal scroll', { timeout: 90_000 }, async () => {
    ui = await openConsole({ viewport: PHONE_VIEWPORT });
    await seed(ui);
    await ui.signIn();
    const overflow: Record<string, number> = {};
    for (const p of CONSOLE_PAGES) {
      await ui.goTo(p.slug);
      await ui.shot(`phone-${p.slug}`);
      overflow[p.slug] = await ui.horizontalOverflow();
    }
    await ui.goTo('inbox');
    await ui.page.getByRole('link', { name: /\(212\) 555-3456/ }).first().click();
    await ui.page.getByText('Hi, is my order ready?').waitFor();
    await ui.shot('phone-conversation');
    overflow.conversation = await ui.horizontalOverflow();
    expect(overflow).toEqual(Object.fromEntries(Object.keys(overflow).map((k) => [k, 0])));
    expect(ui.unexpectedErrors()).toEqual([]);
  });
});
