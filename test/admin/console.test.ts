// The admin console as an admin uses it: the real page and script from the running bridge, in a
// DOM (happy-dom) whose fetch talks to the real admin API over HTTP. Covers the token, the
// loaded tables, history search, opening a conversation from a hit, and its CSV export.
import { resolveObjectURL } from 'node:buffer';
import { afterEach, describe, expect, it } from 'vitest';
import { Window } from 'happy-dom';
import { recordInbound } from '../../src/app/recordInbound.js';
import { REQUEUE_AUDIT_ACTION } from '../../src/infra/store/index.js';
import { ADMIN_TOKEN, startTestBridge, type TestBridge } from '../http/helpers.js';
import { waitUntil } from '../support/wait.js';
import { wakeLane } from '../support/wake.js';

const OUR = '+14155552671';
const CONTACT = '+12125553456';

let bridge: TestBridge | null = null;
let window: Window | null = null;
afterEach(async () => {
  await window?.happyDOM.close();
  window = null;
  await bridge?.cleanup();
  bridge = null;
});

/** Opens /admin as a browser would: the page's markup, then its script (/admin/console.js). */
async function openConsole(b: TestBridge, confirm: (question: string) => boolean = () => true): Promise<Window> {
  const w = new Window({ url: `${b.url}/admin`, settings: { navigation: { disableMainFrameNavigation: true } } });
  const html = await (await fetch(`${b.url}/admin`)).text();
  const script = await (await fetch(`${b.url}/admin/console.js`)).text();
  w.document.write(html.replace('<script src="/admin/console.js"></script>', ''));
  // The script runs with the page's globals (this DOM, its fetch bound to the page's origin).
  const run = new Function('document', 'sessionStorage', 'fetch', 'FormData', 'URL', 'confirm', script);
  run(w.document, w.sessionStorage, w.fetch.bind(w), w.FormData, w.URL, confirm);
  return w;
}

const text = (w: Window, id: string) => w.document.getElementById(id)?.textContent ?? '';
const rows = (w: Window, id: string) => [...(w.document.getElementById(id)?.querySelectorAll('tr') ?? [])];

function submit(w: Window, formId: string, values: Record<string, string>): void {
  const form = w.document.getElementById(formId) as unknown as { elements: Record<string, { value: string }>; requestSubmit(): void };
  for (const [name, value] of Object.entries(values)) form.elements[name]!.value = value;
  form.requestSubmit();
}

describe('admin console (real page and script, real admin API)', () => {
  it('loads with the token, searches the history, opens a conversation from a hit and exports it as CSV', async () => {
    bridge = await startTestBridge();
    const { store, clock } = bridge.ctx;
    await store.numbers.create({ e164: OUR, provider: 'twilio', type: 'local', status: 'active', country: 'US' });
    const sms = (id: string, body: string) => recordInbound({ store, clock }, { provider: 'twilio', providerMessageId: id, from: CONTACT, to: OUR, body, media: [] });
    await sms('SM1', 'Where is my order?');
    await sms('SM2', 'I want a refund <b>now</b>');

    window = await openConsole(bridge);
    const w = window;
    expect(text(w, 'status')).toBe('');
    submit(w, 'login', { token: ADMIN_TOKEN });
    await waitUntil(() => text(w, 'status') === 'Loaded.', 'the console loaded');
    expect(text(w, 'numbers')).toContain(OUR);
    // No Slack or Teams: the web inbox shows every number, so nothing is unrouted (issue 15).
    expect(text(w, 'unrouted')).toContain('Nothing unrouted');

    submit(w, 'search-history', { q: 'refund' });
    await waitUntil(() => text(w, 'status') === '1 message(s) found.', 'the search result');
    const [hit] = rows(w, 'history');
    expect(hit?.textContent).toContain('I want a refund <b>now</b>');
    // A contact's text is shown as text: nothing it contains becomes markup.
    expect(w.document.getElementById('history')?.querySelector('b')).toBeNull();

    (hit?.querySelector('button') as unknown as { click(): void }).click();
    await waitUntil(() => text(w, 'messages').includes('Where is my order?'), 'the conversation opened');
    const exportCsv = [...w.document.getElementById('messages')!.querySelectorAll('button')].find((b) => b.textContent === 'Export CSV');
    (exportCsv as unknown as { click(): void }).click();
    await waitUntil(() => w.document.getElementById('export-link') !== null, 'the export file');
    const link = w.document.getElementById('export-link') as unknown as { download: string; href: string };
    expect(link.download).toMatch(/^conversation-.*\.csv$/);
    // The file the browser would save: the blob behind the link.
    const csv = (await resolveObjectURL(link.href)?.text()) ?? '';
    expect(csv.split('\r\n')[0]).toContain('createdAt');
    expect(csv).toContain('Where is my order?');
    expect(csv).toContain('I want a refund <b>now</b>');
  });

  /** A text through the bridge's real send queue to a number whose provider is not configured: it fails for good. */
  async function failedSend(b: TestBridge, body: string, opts: { outcomeUnknown?: boolean } = {}): Promise<string> {
    const { store, config } = b.ctx;
    if (!await store.numbers.get(OUR)) await store.numbers.create({ e164: OUR, provider: 'twilio', type: 'local', status: 'active', country: 'US' });
    const { conversation } = await store.conversations.getOrCreate(OUR, CONTACT);
    const message = await store.transaction(async () => {
      const m = (await store.messages.insert({
        conversationId: conversation.id, direction: 'outbound', body, status: 'queued', encoding: 'GSM-7', segments: 1,
        author: { platform: 'slack', userId: 'U1', name: 'Ann' }, platformMessageId: `slack:C1:${body}`,
      })).message;
      // A provider call that was under way when a worker died: the outcome is unknown.
      if (opts.outcomeUnknown) await store.sendLedger.start(m.id, 'twilio');
      await store.outbox.add('send', conversation.id, m.id);
      return m;
    });
    await wakeLane(config.redisUrl, config.queuePrefix, 'send', conversation.id);
    await waitUntil(async () => (await store.messages.get(message.id))?.status === 'failed', 'the send failed');
    return message.id;
  }

  const clickIn = (w: Window, tableId: string, label: string) => {
    const b = [...w.document.getElementById(tableId)!.querySelectorAll('button')].find((x) => x.textContent === label);
    (b as unknown as { click(): void }).click();
  };

  it('lists failed sends with the reason and resends one (audited) with the Resend button', async () => {
    bridge = await startTestBridge();
    const id = await failedSend(bridge, 'Your order shipped');
    window = await openConsole(bridge);
    const w = window;
    submit(w, 'login', { token: ADMIN_TOKEN });
    await waitUntil(() => text(w, 'status') === 'Loaded.', 'the console loaded');
    expect(text(w, 'failed-jobs')).toContain(id);
    expect(text(w, 'failed-jobs')).toContain('no SMS provider is configured');
    clickIn(w, 'failed-jobs', 'Resend');
    await waitUntil(() => text(w, 'status') === `Resent ${id}.`, 'the resend answered');
    expect((await bridge.ctx.store.audit.list()).map((a) => a.action)).toContain(REQUEUE_AUDIT_ACTION);
  });

  it('a text whose last try may have reached the contact is resent only after the admin says yes (then forced, with the warning)', async () => {
    bridge = await startTestBridge();
    const id = await failedSend(bridge, 'Maybe sent', { outcomeUnknown: true });
    expect((await bridge.ctx.store.sendLedger.get(id))?.state).toBe('calling');
    const answers = [false, true];
    const asked: string[] = [];
    window = await openConsole(bridge, (q) => {
      asked.push(q);
      return answers.shift() ?? false;
    });
    const w = window;
    submit(w, 'login', { token: ADMIN_TOKEN });
    await waitUntil(() => text(w, 'status') === 'Loaded.', 'the console loaded');

    clickIn(w, 'failed-jobs', 'Resend');
    await waitUntil(() => text(w, 'status') === 'Resend cancelled: nothing was sent.', 'the cancel');
    expect((await bridge.ctx.store.messages.get(id))?.status).toBe('failed');
    expect(asked[0]).toMatch(/may have reached the contact/);

    clickIn(w, 'failed-jobs', 'Resend');
    await waitUntil(() => text(w, 'status').startsWith(`Resent ${id} (`), 'the forced resend');
    expect(text(w, 'status')).toMatch(/may deliver the message twice/);
    expect(asked).toHaveLength(2);
  });

  it('shows conversations a page at a time, and More appends the next page', async () => {
    bridge = await startTestBridge();
    const { store } = bridge.ctx;
    for (let i = 0; i < 205; i++) await store.conversations.getOrCreate(OUR, `+1212555${String(1000 + i)}`);
    window = await openConsole(bridge);
    const w = window;
    submit(w, 'login', { token: ADMIN_TOKEN });
    await waitUntil(() => text(w, 'status') === 'Loaded.', 'the console loaded');
    expect(rows(w, 'conversations')).toHaveLength(200);
    const more = w.document.getElementById('conversations-more') as unknown as { hidden: boolean; click(): void };
    expect(more.hidden).toBe(false);
    more.click();
    more.click(); // an impatient second click fetches nothing more
    await waitUntil(() => rows(w, 'conversations').length >= 205, 'the next page appended');
    await new Promise((r) => setTimeout(r, 200));
    expect(rows(w, 'conversations')).toHaveLength(205);
    expect(more.hidden).toBe(true);
    expect(text(w, 'conversations')).toContain('+12125551204');
  });

  it('edits the policy as JSON (bad JSON and refused values say why and change nothing), sets a person\'s policy, and shows both in the audit log', async () => {
    bridge = await startTestBridge();
    const { store } = bridge.ctx;
    window = await openConsole(bridge);
    const w = window;
    submit(w, 'login', { token: ADMIN_TOKEN });
    await waitUntil(() => text(w, 'status') === 'Loaded.', 'the console loaded');
    const area = w.document.getElementById('policy') as unknown as { value: string };
    const shown = JSON.parse(area.value) as { maxSegments: number };
    expect(shown.maxSegments).toBe((await store.policy.get()).maxSegments);

    area.value = '{ not json';
    (w.document.getElementById('edit-policy') as unknown as { requestSubmit(): void }).requestSubmit();
    await waitUntil(() => text(w, 'status').startsWith('The policy is not valid JSON'), 'the JSON refusal');
    area.value = JSON.stringify({ ...shown, maxSegments: 0 });
    (w.document.getElementById('edit-policy') as unknown as { requestSubmit(): void }).requestSubmit();
    await waitUntil(() => text(w, 'status').includes('maxSegments'), 'the refusal naming the field');
    expect((await store.policy.get()).maxSegments).toBe(shown.maxSegments);

    area.value = JSON.stringify({ ...shown, maxSegments: 3 });
    (w.document.getElementById('edit-policy') as unknown as { requestSubmit(): void }).requestSubmit();
    await waitUntil(() => text(w, 'status') === 'Policy saved.', 'the policy saved');
    expect((await store.policy.get()).maxSegments).toBe(3);

    submit(w, 'set-user', { platform: 'slack', userId: 'U0NOTEXT', smsEnabled: 'false' });
    await waitUntil(() => text(w, 'status') === 'Set slack U0NOTEXT: may not text.', 'the person set');
    expect((await store.users.get('slack', 'U0NOTEXT'))?.smsEnabled).toBe(false);
    expect(text(w, 'users')).toContain('U0NOTEXT');
    expect(text(w, 'audit')).toContain('user.update');
    expect(text(w, 'audit')).toContain('policy.update');
  });

  it("keeps an admin's unsaved policy edits when the tables reload, and refuses to save them over another admin's change until reloaded", async () => {
    bridge = await startTestBridge();
    const { store } = bridge.ctx;
    const questions: string[] = [];
    window = await openConsole(bridge, (q) => (questions.push(q), true));
    const w = window;
    submit(w, 'login', { token: ADMIN_TOKEN });
    await waitUntil(() => text(w, 'status') === 'Loaded.', 'the console loaded');
    const area = w.document.getElementById('policy') as unknown as { value: string };
    const save = () => (w.document.getElementById('edit-policy') as unknown as { requestSubmit(): void }).requestSubmit();
    const mine = { ...(JSON.parse(area.value) as Record<string, unknown>), maxSegments: 4 };
    area.value = JSON.stringify(mine, null, 2);

    // Another admin turns SMS off meanwhile.
    expect((await bridge.call('PUT', '/admin/api/policy', { body: { smsEnabled: false } })).status).toBe(200);
    // This console reloads its tables: the typed text stays.
    submit(w, 'login', { token: ADMIN_TOKEN });
    await waitUntil(() => text(w, 'status') === 'Loaded. Your unsaved policy edits are kept.', 'the reload');
    expect(JSON.parse(area.value)).toEqual(mine);

    // Saving the whole document would turn SMS back on unseen: refused, nothing changed.
    save();
    await waitUntil(() => text(w, 'status').includes('changed since you read it'), 'the refusal');
    expect(await store.policy.get()).toMatchObject({ smsEnabled: false, maxSegments: 10 });
    expect(JSON.parse(area.value)).toEqual(mine);

    (w.document.getElementById('reload-policy') as unknown as { click(): void }).click();
    await waitUntil(() => text(w, 'status') === 'Policy reloaded.', 'the policy reloaded');
    expect(questions).toEqual(['Discard your unsaved policy edits?']);
    expect(JSON.parse(area.value)).toMatchObject({ smsEnabled: false, maxSegments: 10 });
    area.value = JSON.stringify({ ...(JSON.parse(area.value) as Record<string, unknown>), maxSegments: 4 });
    save();
    await waitUntil(() => text(w, 'status') === 'Policy saved.', 'the policy saved');
    expect(await store.policy.get()).toMatchObject({ smsEnabled: false, maxSegments: 4 });
  });

  it('with Redis down, every part loads (failed work is read from the store, not from Redis)', async () => {
    bridge = await startTestBridge({ REDIS_URL: 'redis://127.0.0.1:1' });
    await bridge.ctx.store.numbers.create({ e164: OUR, provider: 'twilio', type: 'local', status: 'active', country: 'US' });
    window = await openConsole(bridge);
    const w = window;
    submit(w, 'login', { token: ADMIN_TOKEN });
    await waitUntil(() => text(w, 'status') !== '', 'an answer');
    expect(text(w, 'status')).toBe('Loaded.');
    expect(text(w, 'numbers')).toContain(OUR);
    expect(JSON.parse((w.document.getElementById('policy') as unknown as { value: string }).value)).toMatchObject({ smsEnabled: true });
    expect(text(w, 'audit')).not.toBe('');
  });

  it("shows a conversation's latest messages, and Older messages puts each earlier page on top until the first message", async () => {
    bridge = await startTestBridge();
    const { store, clock } = bridge.ctx;
    await store.numbers.create({ e164: OUR, provider: 'twilio', type: 'local', status: 'active', country: 'US' });
    for (let i = 0; i < 205; i++) {
      await recordInbound({ store, clock }, { provider: 'twilio', providerMessageId: `SM${i}`, from: CONTACT, to: OUR, body: `message ${i}`, media: [] });
    }
    window = await openConsole(bridge);
    const w = window;
    submit(w, 'login', { token: ADMIN_TOKEN });
    await waitUntil(() => text(w, 'status') === 'Loaded.', 'the console loaded');
    (rows(w, 'conversations')[0]?.querySelector('button') as unknown as { click(): void }).click();
    await waitUntil(() => rows(w, 'message-rows').length > 0, 'the conversation opened');
    const bodies = () => rows(w, 'message-rows').map((r) => r.querySelectorAll('td')[3]?.textContent);
    expect(bodies()).toHaveLength(200);
    expect(bodies()[0]).toBe('message 5');
    expect(bodies()[199]).toBe('message 204');
    const older = w.document.getElementById('messages-older') as unknown as { hidden: boolean; click(): void };
    expect(older.hidden).toBe(false);
    older.click();
    await waitUntil(() => rows(w, 'message-rows').length === 205, 'the older page');
    expect(bodies().slice(0, 6)).toEqual(['message 0', 'message 1', 'message 2', 'message 3', 'message 4', 'message 5']);
    expect(older.hidden).toBe(true);
  });

  it('saves only the policy fields the admin changed (the others keep following the defaults), and Forget token clears the screen', async () => {
    bridge = await startTestBridge();
    window = await openConsole(bridge);
    const w = window;
    submit(w, 'login', { token: ADMIN_TOKEN });
    await waitUntil(() => text(w, 'status') === 'Loaded.', 'the console loaded');
    const area = w.document.getElementById('policy') as unknown as { value: string };
    const save = () => (w.document.getElementById('edit-policy') as unknown as { requestSubmit(): void }).requestSubmit();
    save();
    await waitUntil(() => text(w, 'status') === 'Nothing to save: the policy is as shown.', 'nothing to save');
    const shown = JSON.parse(area.value) as { maxSegments: number; mms: Record<string, unknown> };
    area.value = JSON.stringify({ ...shown, maxSegments: 3, mms: { ...shown.mms, maxFiles: 2 } }, null, 2);
    save();
    await waitUntil(() => text(w, 'status') === 'Policy saved.', 'the policy saved');
    // What is stored: the admin's overrides alone, not a copy of every default.
    const stored = bridge.ctx.store.db.prepare('SELECT document FROM policy WHERE id = 1').get() as { document: string };
    expect(JSON.parse(stored.document)).toEqual({ maxSegments: 3, mms: { maxFiles: 2 } });

    (w.document.getElementById('forget') as unknown as { click(): void }).click();
    expect(text(w, 'status')).toBe('Token forgotten.');
    expect(text(w, 'audit')).toBe('');
    expect(area.value).toBe('');
    // Nothing loaded, nothing saved: a save needs the version it started from.
    area.value = '{"smsEnabled": false}';
    save();
    await waitUntil(() => text(w, 'status').startsWith('The policy has not been loaded'), 'the refusal');
    expect((await bridge.ctx.store.policy.get()).smsEnabled).toBe(true);
  });

  it('a wrong token is refused with the reason and nothing is shown', async () => {
    bridge = await startTestBridge();
    window = await openConsole(bridge);
    const w = window;
    submit(w, 'login', { token: 'wrong' });
    await waitUntil(() => text(w, 'status') !== '', 'an answer');
    expect(text(w, 'status')).toBe('Unauthorized: check the token.');
    expect(rows(w, 'numbers')).toHaveLength(0);
  });
});
