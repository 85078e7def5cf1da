// The dev phone over real HTTP: a contact texts a local number (with a picture, as a data: URL
// or a multipart upload), the picture is stored through the normal inbound media path and shown
// in the thread; what the bridge sends back appears on the phone and moves queued/sending ->
// sent -> delivered (the trial's local provider reports deliveries itself).
import { afterEach, describe, expect, it } from 'vitest';
import { requestOutbound } from '../../src/app/requestOutbound.js';
import type { BridgeModule } from '../../src/app.js';
import { buildBridgeParts, type BuiltBridge } from '../../src/wiring.js';
import { ADMIN_TOKEN, json, startTestBridge, type TestBridge } from '../http/helpers.js';

const NUMBER = '+14155552671';
const CONTACT = '+14155552672';
// A 1x1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const PNG_DATA_URL = `data:image/png;base64,${PNG.toString('base64')}`;

interface PhoneMessage {
  id: string;
  from: 'contact' | 'bridge';
  body: string;
  media: Array<{ url: string; contentType: string }>;
  status: string;
  at: string;
}
interface Phone {
  number: string;
  contact: string;
  messages: PhoneMessage[];
}

let bridge: TestBridge | null = null;
let built: BuiltBridge | null = null;
afterEach(async () => {
  await bridge?.cleanup();
  bridge = null;
  built = null;
});

/** The production wiring, kept so the test can send a reply through the outbound pipeline. */
const wired: BridgeModule = async (ctx) => {
  built = await buildBridgeParts(ctx);
  return built.parts;
};

async function start(): Promise<TestBridge> {
  bridge = await startTestBridge({}, { modules: [wired] });
  expect((await bridge.call('POST', '/admin/api/numbers', { body: { number: NUMBER, provider: 'local' } })).status).toBe(201);
  return bridge;
}

async function phone(b: TestBridge, number = '(415) 555-2671', contact = '415-555-2672'): Promise<Phone> {
  const res = await json<Phone>(b.call('GET', `/admin/api/dev/phone?number=${encodeURIComponent(number)}&contact=${encodeURIComponent(contact)}`));
  expect(res.status).toBe(200);
  return res.body;
}

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the dev phone', () => {
  it('shows an empty thread (E.164 numbers) before anyone texted, and refuses a number that is none', async () => {
    const b = await start();
    expect(await phone(b)).toEqual({ number: NUMBER, contact: CONTACT, messages: [] });
    const bad = await b.call('GET', '/admin/api/dev/phone?number=hello&contact=%2B14155552672');
    expect(bad.status).toBe(400);
    expect((await b.call('GET', `/admin/api/dev/phone?number=${NUMBER}&contact=${CONTACT}`, { token: null })).status).toBe(401);
  });

  it('stores a picture sent as a data: URL and shows it in the thread, then shows the reply go sent -> delivered', async () => {
    const b = await start();
    const sent = await b.call('POST', '/admin/api/dev/inbound', { body: { from: CONTACT, to: NUMBER, body: 'Is this the right part?', media: [{ dataUrl: PNG_DATA_URL }] } });
    expect(sent.status).toBe(201);

    const withPicture = await until('the picture stored', () => phone(b), (p) => p.messages[0]?.media.length === 1);
    expect(withPicture.messages).toMatchObject([{ from: 'contact', body: 'Is this the right part?', status: 'received', media: [{ contentType: 'image/png' }] }]);
    const link = withPicture.messages[0]!.media[0]!.url;
    expect(link).toMatch(/^\/media\/[^?]+\?exp=\d+&sig=/);
    const picture = await fetch(`${b.url}${link}`);
    expect(picture.status).toBe(200);
    expect(Buffer.from(await picture.arrayBuffer()).equals(PNG)).toBe(true);

    // A reply through the same outbound pipeline a chat reply takes.
    const deps = { store: b.ctx.store, clock: b.ctx.clock, queue: built!.queue, providerCaps: (id: string) => built!.sms.capabilities(id) };
    const reply = await requestOutbound(deps, {
      fromNumber: NUMBER,
      to: [CONTACT],
      body: 'Yes, that one.',
      media: [],
      author: { platform: 'slack', userId: 'U1', name: 'Agent' },
      platformMessageId: 'test:reply:1',
    });
    expect(reply).toMatchObject({ ok: true });
    // Not on the phone until the provider has it; then sent, then delivered.
    const seen = new Set<string>();
    const delivered = await until(
      'the reply delivered',
      async () => {
        const p = await phone(b);
        const r = p.messages.find((m) => m.from === 'bridge');
        if (r) seen.add(r.status);
        return p;
      },
      (p) => p.messages.some((m) => m.from === 'bridge' && m.status === 'delivered'),
    );
    expect(delivered.messages.map((m) => [m.from, m.body, m.status])).toEqual([
      ['contact', 'Is this the right part?', 'received'],
      ['bridge', 'Yes, that one.', 'delivered'],
    ]);
    expect(seen.has('sent') || seen.has('sending')).toBe(true);
  });

  it('takes pictures as a multipart upload (files) too, with the text in fields', async () => {
    const b = await start();
    const form = new FormData();
    form.set('from', CONTACT);
    form.set('to', NUMBER);
    form.set('body', 'Photo attached');
    form.append('files', new Blob([PNG], { type: 'image/png' }), 'part.png');
    const res = await fetch(`${b.url}/admin/api/dev/inbound`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: form });
    expect(res.status).toBe(201);
    const p = await until('the upload stored', () => phone(b), (x) => x.messages[0]?.media.length === 1);
    expect(p.messages[0]).toMatchObject({ body: 'Photo attached', media: [{ contentType: 'image/png' }] });
  });

  it('refuses pictures over the MMS limits or of a type MMS does not carry, storing nothing', async () => {
    const b = await start();
    const big = `data:image/png;base64,${Buffer.alloc(5 * 1024 * 1024 + 1).toString('base64')}`;
    const tooBig = await b.call('POST', '/admin/api/dev/inbound', { body: { from: CONTACT, to: NUMBER, body: '', media: [{ dataUrl: big }] } });
    expect(tooBig.status).toBe(413);
    const script = `data:text/html;base64,${Buffer.from('<script>').toString('base64')}`;
    const wrongType = await b.call('POST', '/admin/api/dev/inbound', { body: { from: CONTACT, to: NUMBER, body: '', media: [{ dataUrl: script }] } });
    expect(wrongType.status).toBe(400);
    expect(((await wrongType.json()) as { error: { message: string } }).error.message).toContain('text/html');
    const form = new FormData();
    form.set('from', CONTACT);
    form.set('to', NUMBER);
    form.append('files', new Blob([Buffer.alloc(3 * 1024 * 1024)], { type: 'image/png' }), 'a.png');
    form.append('files', new Blob([Buffer.alloc(3 * 1024 * 1024)], { type: 'image/png' }), 'b.png');
    const upload = await fetch(`${b.url}/admin/api/dev/inbound`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: form });
    expect(upload.status).toBe(413);
    expect((await phone(b)).messages).toEqual([]);
  });
});
