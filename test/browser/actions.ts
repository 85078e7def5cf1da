// What a person does in the console, as steps a browser test composes (the full-loop tests:
// dev phone -> inbox -> reply -> dev phone). Each waits for the page to show the result.
import type { ConsoleUnderTest } from './harness.js';

/**
 * On the dev phone, texts `text` from `contact` (any format) to the picked local number (default:
 * the first); returns the error shown, or null once the text went (the field empties).
 */
export async function textFromDevPhone(ui: ConsoleUnderTest, text: string, opts: { contact?: string; number?: string } = {}): Promise<string | null> {
  if (!ui.page.url().endsWith('/admin/dev-phone')) await ui.goTo('dev-phone');
  const page = ui.page;
  if (opts.number) await page.getByLabel('Bridge number').selectOption({ label: opts.number });
  if (opts.contact) await page.getByLabel('Contact number (the phone)').fill(opts.contact);
  await page.getByLabel('Text message').fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  const form = page.getByRole('form', { name: 'Text from the phone' });
  await Promise.race([form.getByRole('alert').waitFor(), page.locator('#phone-text:placeholder-shown').waitFor()]);
  return (await form.getByRole('alert').count()) > 0 ? await form.getByRole('alert').textContent() : null;
}

/** Sends a keyword (STOP, START, HELP) from the dev phone. */
export async function keywordFromDevPhone(ui: ConsoleUnderTest, keyword: 'STOP' | 'START' | 'HELP'): Promise<void> {
  if (!ui.page.url().endsWith('/admin/dev-phone')) await ui.goTo('dev-phone');
  await ui.page.getByRole('group', { name: 'Keywords' }).getByRole('button', { name: keyword }).click();
}

/** Opens, from the inbox, the conversation whose contact shows as `contact` (formatted, e.g. "(212) 555-3456"). */
export async function openConversation(ui: ConsoleUnderTest, contact: string): Promise<void> {
  if (!/\/admin\/inbox(\/|$)/.test(new URL(ui.page.url()).pathname)) await ui.goTo('inbox');
  await ui.page.locator('.conversations').getByRole('link', { name: new RegExp(contact.replace(/[()+]/g, '\\$&')) }).first().click();
  await ui.page.locator('.thread h2', { hasText: contact }).waitFor();
}

/** Types a reply in the open conversation and sends it; returns the error shown, if any. */
export async function reply(ui: ConsoleUnderTest, text: string): Promise<string | null> {
  const page = ui.page;
  await page.getByLabel(/^Reply text/).fill(text);
  await page.getByRole('form', { name: 'Reply' }).getByRole('button', { name: /^(Send|Add note)$/ }).click();
  const alert = page.getByRole('form', { name: 'Reply' }).getByRole('alert');
  const sent = page.getByLabel(/^Reply text/).and(page.locator(':placeholder-shown'));
  await Promise.race([alert.waitFor(), sent.waitFor()]);
  return (await alert.count()) > 0 ? await alert.textContent() : null;
}

/** The bubble (a list item) holding `text` in the open conversation or on the dev phone. */
export function bubble(ui: ConsoleUnderTest, text: string) {
  return ui.page.locator('.bubble, .note', { hasText: text });
}
