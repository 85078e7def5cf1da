// What an admin does on the console's pages, in headless Chromium against a real bridge: add a
// number and read why one cannot text, see the API's refusal next to the form, edit the policy as
// a form (only the changed field is saved; another admin's change is never undone unseen), text
// in from the dev phone and find it in the inbox, and retry failed work from Queue health.
import { describe, expect, it } from 'vitest';
import { REQUEUE_AUDIT_ACTION } from '../../src/infra/store/index.js';
import { waitUntil } from '../support/wait.js';
import { wakeLane } from '../support/wake.js';
import { bubble, openConversation, reply, textFromDevPhone } from './actions.js';
import { chromiumForFile, openConsole, type ConsoleUnderTest } from './harness.js';

const LOCAL = '+14155552671';
const CONTACT = '+12125553456';

chromiumForFile();
let ui: ConsoleUnderTest | null = null;

const main = () => ui!.page.locator('main');

describe('console pages in Chromium', () => {
  it('adds numbers through the form: a toll-free one is listed as unable to text with the reason, a bad number is refused next to the form', { timeout: 60_000 }, async () => {
    ui = await openConsole();
    await ui.signIn();
    await ui.goTo('numbers');
    const page = ui.page;
    await page.getByLabel('Phone number').fill('(415) 555-2671');
    await page.getByRole('button', { name: 'Add number' }).click();
    await main().locator('li.item', { hasText: '(415) 555-2671' }).waitFor();
    await page.getByLabel('Phone number').fill('800 555 0199');
    await page.getByRole('button', { name: 'Add number' }).click();
    const tollFree = page.locator('li.item', { hasText: '(800) 555-0199' });
    await tollFree.waitFor();
    await expect.poll(() => tollFree.textContent()).toMatch(/Cannot carry SMS:.*toll-free/i);
    expect((await ui.bridge.ctx.store.numbers.get('+18005550199'))?.type).toBe('toll-free');

    await page.getByLabel('Phone number').fill('12');
    await page.getByRole('button', { name: 'Add number' }).click();
    const refusal = page.locator('form').getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/number/i);
    await ui.shot('numbers-after-adding');

    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Delete (800) 555-0199' }).click();
    await tollFree.waitFor({ state: 'detached' });
    expect(await ui.bridge.ctx.store.numbers.get('+18005550199')).toBeNull();
    expect(ui.unexpectedErrors().filter((e) => !e.includes('status of 400'))).toEqual([]);
  });

  it('saves only the policy field the admin changed, and refuses to save over another admin\'s change until reloaded', { timeout: 60_000 }, async () => {
    ui = await openConsole();
    await ui.signIn();
    await ui.goTo('policy');
    const page = ui.page;
    await page.getByLabel('Most segments per reply').fill('3');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('Policy saved.').waitFor();
    const stored = ui.bridge.ctx.store.db.prepare('SELECT document FROM policy WHERE id = 1').get() as { document: string };
    expect(JSON.parse(stored.document)).toEqual({ maxSegments: 3 });

    // Another admin turns SMS off meanwhile; this form still shows it on.
    expect((await ui.bridge.call('PUT', '/admin/api/policy', { body: { smsEnabled: false } })).status).toBe(200);
    await page.getByLabel('Most segments per reply').fill('4');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('changed since you read it');
    expect(await ui.bridge.ctx.store.policy.get()).toMatchObject({ smsEnabled: false, maxSegments: 3 });
    await ui.shot('policy-refused-stale');

    await page.getByRole('button', { name: 'Reload the policy' }).click();
    await expect.poll(() => page.getByLabel('SMS on').isChecked()).toBe(false);
    await page.getByLabel('Most segments per reply').fill('4');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('Policy saved.').waitFor();
    expect(await ui.bridge.ctx.store.policy.get()).toMatchObject({ smsEnabled: false, maxSegments: 4 });
    expect(ui.unexpectedErrors().filter((e) => !e.includes('status of 412'))).toEqual([]);
  });

  it('a text from the dev phone shows in the inbox and opens as a chat at its own URL', { timeout: 60_000 }, async () => {
    ui = await openConsole();
    await ui.bridge.ctx.store.numbers.create({ e164: LOCAL, provider: 'local', type: 'local', status: 'active', country: 'US' });
    await ui.signIn();
    expect(await textFromDevPhone(ui, 'Is the blue one in stock?', { contact: '(212) 555-3456' })).toBeNull();
    await waitUntil(async () => (await ui!.bridge.ctx.store.conversations.page({ number: LOCAL, contact: CONTACT }, { limit: 1 })).conversations.length === 1, 'the text reached the bridge');
    await ui.shot('dev-phone-after-text');

    await openConversation(ui, '(212) 555-3456');
    await bubble(ui, 'Is the blue one in stock?').waitFor();
    expect(await bubble(ui, 'Is the blue one in stock?').getAttribute('class')).toContain('in');
    expect(ui.page.url()).toMatch(/\/admin\/inbox\/[^/]+$/);
    // No Slack or Teams on this bridge: nothing is handled elsewhere, so nothing offers to show it.
    expect(await ui.page.getByLabel('Include conversations handled in Slack or Teams').count()).toBe(0);
    await ui.shot('inbox-after-dev-phone');
    expect(await reply(ui, 'Yes, we have two left.')).toBeNull();
    await bubble(ui, 'Yes, we have two left.').waitFor();
    expect(ui.unexpectedErrors()).toEqual([]);
  });

  it('lists failed work with contact, number and text, and Retry queues it again (audited)', { timeout: 60_000 }, async () => {
    ui = await openConsole();
    const { store, config } = ui.bridge.ctx;
    // A text through the real send queue from a Twilio number on a bridge without Twilio: it fails for good.
    await store.numbers.create({ e164: LOCAL, provider: 'twilio', type: 'local', status: 'active', country: 'US' });
    const { conversation } = await store.conversations.getOrCreate(LOCAL, CONTACT);
    const message = await store.transaction(async () => {
      const m = (await store.messages.insert({
        conversationId: conversation.id, direction: 'outbound', body: 'Your order shipped', status: 'queued', encoding: 'GSM-7', segments: 1,
        author: { platform: 'slack', userId: 'U1', name: 'Ann' }, platformMessageId: 'slack:C1:shipped',
      })).message;
      await store.outbox.add('send', conversation.id, m.id);
      return m;
    });
    await wakeLane(config.redisUrl, config.queuePrefix, 'send', conversation.id);
    await waitUntil(async () => (await store.messages.get(message.id))?.status === 'failed', 'the send failed');

    await ui.signIn();
    await ui.goTo('queues');
    const job = ui.page.locator('li.item', { hasText: 'Your order shipped' });
    await job.waitFor();
    // The lanes as GET /admin/api/queues names them, counted: the send lane holds the failure.
    const sendLane = ui.page.getByRole('row', { name: /Texts going out \(send\)/ });
    // (waiting, preparing, active, delayed, failed, oldest pending; the lane's turn may still be finishing: active/delayed not checked)
    const cells = await sendLane.getByRole('cell').allTextContents();
    expect([cells[0], cells[1], cells[4], cells[5]]).toEqual(['0', '0', '1', 'none pending']);
    await ui.page.getByRole('row', { name: /Posts to chat \(deliver\)/ }).waitFor();
    const text = (await job.textContent()) ?? '';
    expect(text).toContain('(415) 555-2671');
    expect(text).toContain('(212) 555-3456');
    expect(text).toContain('no SMS provider is configured for (415) 555-2671 (1 try)');
    await ui.shot('queues-failed-job');
    await job.getByRole('button', { name: /^Retry/ }).click();
    await waitUntil(async () => (await store.audit.list()).some((a) => a.action === REQUEUE_AUDIT_ACTION), 'the retry audited');
    expect(ui.unexpectedErrors()).toEqual([]);
  });
});
