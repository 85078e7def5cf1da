// The whole loop a newcomer tries, in headless Chromium against a real bridge with nothing real
// configured (the local SMS provider, the web inbox): map a number to the web inbox, text it from
// the dev phone, watch the text arrive in the inbox without a reload, reply and see the reply on
// the dev phone with its delivery state, a refusal with its reason, an internal note that never
// leaves, a picture shown inline. Two tabs of one signed-in browser play the admin and the phone.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { waitUntil } from '../support/wait.js';
import { bubble, openConversation, reply } from './actions.js';
import { ARTIFACTS, chromiumForFile, openConsole, type ConsoleUnderTest } from './harness.js';

const LOCAL = '+14155552671';
/** Outside 555-0100..0199: the bridge refuses to reply to those fictional numbers. */
const CONTACT = '+12125553456';
const CONTACT_SHOWN = '(212) 555-3456';
/** An 80x60 checkerboard PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAFAAAAA8CAIAAAB+RarbAAAAbElEQVR42u3YsQ0AMAgDME7ipJ7MSf2ArUhUlrJm8BYl8lSTymyysRvAwMDAwMDAwGPg/0h9FxgYGBgYGBh4DmxLAwMDAwMDAwP7tGxpYGBgYGBgYJ+WLQ0MDAwMDAwM7NMCBgYGBgYGBn7avW/rB2lMfEyUAAAAAElFTkSuQmCC', 'base64');
/** Each step waits for what the page shows, up to this long (a loaded 2-core machine). */
const STEP = 20_000;

chromiumForFile();
let ui: ConsoleUnderTest | null = null;

/** A bridge with a local number mapped to the web inbox, an admin signed in. */
async function signedInWithLocalNumber(): Promise<ConsoleUnderTest> {
  const u = await openConsole();
  expect((await u.bridge.call('POST', '/admin/api/numbers', { body: { number: LOCAL, provider: 'local' } })).status).toBe(201);
  expect((await u.bridge.call('POST', '/admin/api/mappings', { body: { number: LOCAL, platform: 'web', channel: 'inbox' } })).status).toBe(201);
  await u.signIn();
  return u;
}

/** A second tab of the same browser (same session cookie) on the dev phone, as the contact. */
async function devPhoneTab(u: ConsoleUnderTest): Promise<Page> {
  const phone = await u.context.newPage();
  await phone.goto('/admin/dev-phone');
  await phone.getByRole('heading', { level: 1, name: 'Dev phone' }).waitFor();
  await phone.getByLabel('Bridge number').locator('option', { hasText: '(415) 555-2671' }).waitFor({ state: 'attached' });
  await phone.getByLabel('Contact number (the phone)').fill(CONTACT);
  return phone;
}

async function textFrom(phone: Page, text: string, pictures: { name: string; mimeType: string; buffer: Buffer }[] = []): Promise<void> {
  if (pictures.length) await phone.locator('input[type=file]').setInputFiles(pictures);
  await phone.getByLabel('Text message').fill(text);
  await phone.getByRole('button', { name: 'Send', exact: true }).click();
  // Sent: the field empties (an error would show as an alert instead).
  await phone.locator('#phone-text:placeholder-shown').waitFor({ timeout: STEP });
  expect(await phone.getByRole('form', { name: 'Text from the phone' }).getByRole('alert').count()).toBe(0);
}

/** The phone's bubble holding `text`. */
const onPhone = (phone: Page, text: string) => phone.getByRole('list', { name: 'Messages on the phone' }).locator('.bubble', { hasText: text });

describe('the whole loop in Chromium: dev phone, web inbox, reply', () => {
  it('maps a local number to the web inbox from the Mappings page', { timeout: 90_000 }, async () => {
    ui = await openConsole();
    expect((await ui.bridge.call('POST', '/admin/api/numbers', { body: { number: LOCAL, provider: 'local' } })).status).toBe(201);
    await ui.signIn();
    await ui.goTo('mappings');
    const page = ui.page;
    await page.locator('select[name=number]').selectOption({ label: '(415) 555-2671' });
    await page.locator('select[name=channel]').selectOption({ value: 'web|inbox' });
    await page.getByRole('button', { name: 'Map', exact: true }).click();
    await page.getByRole('button', { name: /^Remove the mapping of \(415\) 555-2671 to / }).waitFor({ timeout: STEP });
    expect(await ui.bridge.ctx.store.mappings.list({ number: LOCAL })).toMatchObject([{ platform: 'web', channel: 'inbox' }]);
    await ui.shot('mappings-web-inbox');
    expect(ui.unexpectedErrors()).toEqual([]);
  });

  it('a text from the dev phone appears in the open inbox without a reload, live', { timeout: 90_000 }, async () => {
    ui = await signedInWithLocalNumber();
    await ui.goTo('inbox');
    const page = ui.page;
    // Connected to the live events before the phone texts (else only a reload would show it).
    await page.getByRole('status').filter({ hasText: /^Live$/ }).waitFor({ timeout: STEP });
    // A mark in this page's memory: a reload would wipe it.
    await page.evaluate('window.__sameDocument = true');
    const phone = await devPhoneTab(ui);
    await textFrom(phone, 'Do you deliver on Sundays?');

    const row = page.locator('.conversations').getByRole('link', { name: new RegExp(CONTACT_SHOWN.replace(/[()]/g, '\\$&')) });
    await row.waitFor({ timeout: STEP });
    await expect.poll(() => row.textContent(), { timeout: STEP }).toContain('Do you deliver on Sundays?');
    await ui.shot('inbox-live-new-conversation');

    // With the conversation open, the next text lands in the thread, still without a reload.
    await openConversation(ui, CONTACT_SHOWN);
    await textFrom(phone, 'And on holidays?');
    await bubble(ui, 'And on holidays?').waitFor({ timeout: STEP });
    expect(await bubble(ui, 'And on holidays?').getAttribute('class')).toContain('in');
    expect(await page.evaluate<boolean>('window.__sameDocument === true')).toBe(true);
    await ui.shot('inbox-live-thread');
    expect(ui.unexpectedErrors()).toEqual([]);
  });

  it('a reply from the inbox reaches the dev phone, which shows it delivered; a // note shows as a note and never reaches the phone', { timeout: 90_000 }, async () => {
    ui = await signedInWithLocalNumber();
    const phone = await devPhoneTab(ui);
    await textFrom(phone, 'Is the blue one in stock?');
    await openConversation(ui, CONTACT_SHOWN);
    await bubble(ui, 'Is the blue one in stock?').waitFor({ timeout: STEP });

    expect(await reply(ui, 'Yes, we have two left.')).toBeNull();
    const sent = bubble(ui, 'Yes, we have two left.');
    await sent.waitFor({ timeout: STEP });
    expect(await sent.getAttribute('class')).toContain('out');
    expect(await sent.textContent()).toContain('Ann Admin');
    // The local provider reports the reply delivered; the inbox shows it as it changes.
    await sent.locator('.badge', { hasText: 'delivered' }).waitFor({ timeout: STEP });

    const onThePhone = onPhone(phone, 'Yes, we have two left.');
    await onThePhone.waitFor({ timeout: STEP });
    await onThePhone.locator('.badge', { hasText: 'delivered' }).waitFor({ timeout: STEP });
    expect(await onThePhone.getAttribute('class')).toContain('in'); // the bridge's text, on the phone's other side

    expect(await reply(ui, '// VIP customer, hold one for her')).toBeNull();
    const note = ui.page.locator('.note', { hasText: 'VIP customer, hold one for her' });
    await note.waitFor({ timeout: STEP });
    expect(await note.textContent()).toMatch(/Internal note by Ann Admin · never sent/);
    await ui.shot('inbox-reply-delivered-and-note');

    // The phone reloads its thread (live events and polling); a later reply shows there, the note never does.
    expect(await reply(ui, 'See you soon.')).toBeNull();
    await onPhone(phone, 'See you soon.').waitFor({ timeout: STEP });
    expect(await phone.getByRole('list', { name: 'Messages on the phone' }).textContent()).not.toContain('VIP customer');
    const outbound = await ui.bridge.ctx.store.db.prepare("SELECT body FROM messages WHERE direction = 'outbound'").all();
    expect(outbound.map((m) => (m as { body: string }).body)).not.toContain('// VIP customer, hold one for her');
    await phone.screenshot({ path: path.join(ARTIFACTS, 'dev-phone-reply-delivered.png'), fullPage: true });
    expect(ui.unexpectedErrors()).toEqual([]);
  });

  it('with SMS switched off on the Policy page, a reply is refused and the inbox says why', { timeout: 90_000 }, async () => {
    ui = await signedInWithLocalNumber();
    const phone = await devPhoneTab(ui);
    await textFrom(phone, 'Can I change my order?');
    await phone.close();

    await ui.goTo('policy');
    await ui.page.getByLabel('SMS on').uncheck();
    await ui.page.getByRole('button', { name: 'Save policy' }).click();
    await ui.page.getByText('Policy saved.').waitFor({ timeout: STEP });
    expect(await ui.bridge.ctx.store.policy.get()).toMatchObject({ smsEnabled: false });

    await openConversation(ui, CONTACT_SHOWN);
    const refusal = await reply(ui, 'Sure, which item?');
    expect(refusal).toMatch(/SMS.*(off|disabled)/i);
    await ui.shot('inbox-reply-refused-sms-off');
    // Nothing went out.
    await waitUntil(async () => (await ui!.bridge.ctx.store.db.prepare("SELECT count(*) AS n FROM messages WHERE direction = 'outbound' AND status <> 'refused'").get() as { n: number }).n === 0, 'nothing sent');
    expect(ui.unexpectedErrors().filter((e) => !/status of 422 .*\/admin\/api\/conversations\/[^/]+\/messages/.test(e))).toEqual([]);
  });

  it('a picture texted from the dev phone shows inline in the inbox', { timeout: 90_000 }, async () => {
    ui = await signedInWithLocalNumber();
    const phone = await devPhoneTab(ui);
    await textFrom(phone, 'This is the scratch on the lid', [{ name: 'scratch.png', mimeType: 'image/png', buffer: PNG }]);
    await openConversation(ui, CONTACT_SHOWN);
    const withPicture = bubble(ui, 'This is the scratch on the lid');
    await withPicture.waitFor({ timeout: STEP });
    const img = withPicture.locator('img');
    await img.waitFor({ timeout: STEP });
    await img.scrollIntoViewIfNeeded(); // pictures load lazily, once in view
    // Loaded, not a broken image: the browser decoded it to its 80 px width.
    await expect.poll(() => img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth), { timeout: STEP }).toBe(80);
    await ui.shot('inbox-picture-inline');
    expect(ui.unexpectedErrors()).toEqual([]);
  });
});
