// Bodies are read only from senders that could be genuine, and only up to what the route's sender
// really sends: a webhook without its credential header is refused on its headers and its
// connection closed, and a body declared larger than the route's cap is refused before a byte
// of it is read. Real bridge, real HTTP, raw sockets for the uploads that stall.
import { connect } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { EIGHTX8_BODY_LIMIT } from '../../adapters/sms/eightbyeight/routes.js';
import { TWILIO_BODY_LIMIT } from '../../adapters/sms/twilio/routes.js';
import { closeAfterResponse, DEFAULT_BODY_LIMIT } from '../../src/http/body.js';
import { eightByEightInbound } from '../fakes/eightbyeightFake.js';
import { signTwilioWebhook, twilioInboundParams } from '../fakes/twilioFake.js';
import { listen } from '../support/listen.js';
import { rawUpload } from '../support/rawUpload.js';
import { ADMIN_TOKEN, json, PROVIDERS_ON, startTestBridge, type TestBridge } from './helpers.js';

let bridge: TestBridge | null = null;
afterEach(async () => {
  await bridge?.cleanup();
  bridge = null;
});

const OUR = '+14156901234';
const CONTACT = '+14158675309';
const ONE_MB = 1024 * 1024;
// Well under REQUEST_TIMEOUT_MS (15 s): a connection closed this soon was not cut by a timeout.
const PROMPTLY_MS = 8_000;

/** Declares 1 MB, sends 4 KB of it, then nothing: only the server can end this request. */
function stalledUpload(url: string, path: string, headers: Record<string, string>) {
  return rawUpload({ url, path, headers, contentLength: ONE_MB, body: Buffer.alloc(4096, 'a') });
}

describe('webhooks refused on their headers, before the body is read', () => {
  it('8x8: without the configured Authorization, 401 at once and the connection closed; nothing stored', async () => {
    bridge = await startTestBridge(PROVIDERS_ON);
    const variants: Array<Record<string, string>> = [{}, { authorization: 'Basic d3Jvbmc6d3Jvbmc=' }];
    for (const headers of variants) {
      const upload = await stalledUpload(bridge.url, '/webhooks/8x8', { 'content-type': 'application/json', ...headers });
      const closed = await upload.closed;
      expect(closed.statusLine).toBe('HTTP/1.1 401 Unauthorized');
      expect(closed.response).toMatch(/\r\nConnection: close\r\n/i);
      expect(closed.afterMs).toBeLessThan(PROMPTLY_MS);
    }
    expect(await bridge.ctx.store.messages.search({ limit: 10 })).toEqual([]);
  });

  it('Twilio: without an X-Twilio-Signature (or one that is no signature at all), 403 at once and the connection closed', async () => {
    bridge = await startTestBridge(PROVIDERS_ON);
    for (const path of ['/webhooks/twilio/sms', '/webhooks/twilio/status']) {
      const variants: Array<Record<string, string>> = [{}, { 'x-twilio-signature': 'not-a-signature' }];
      for (const headers of variants) {
        const upload = await stalledUpload(bridge.url, path, { 'content-type': 'application/x-www-form-urlencoded', ...headers });
        const closed = await upload.closed;
        expect(closed.statusLine, path).toBe('HTTP/1.1 403 Forbidden');
        expect(closed.response).toMatch(/\r\nConnection: close\r\n/i);
        expect(closed.afterMs).toBeLessThan(PROMPTLY_MS);
      }
    }
  });

  it('a body declared larger than the route takes is refused with 413 before it is read, credentials or not', async () => {
    bridge = await startTestBridge(PROVIDERS_ON);
    const cases: Array<{ path: string; headers: Record<string, string>; limit: number }> = [
      { path: '/webhooks/8x8', headers: { authorization: PROVIDERS_ON.EIGHTX8_WEBHOOK_AUTH!, 'content-type': 'application/json' }, limit: EIGHTX8_BODY_LIMIT },
      // A signature of the right shape: the real check needs the body, so the cap stands guard.
      { path: '/webhooks/twilio/sms', headers: { 'x-twilio-signature': 'A'.repeat(27) + '=', 'content-type': 'application/x-www-form-urlencoded' }, limit: TWILIO_BODY_LIMIT },
      { path: '/admin/api/numbers', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, limit: DEFAULT_BODY_LIMIT },
    ];
    for (const c of cases) {
      const upload = await rawUpload({ url: bridge.url, path: c.path, headers: c.headers, contentLength: c.limit + 1, body: '{' });
      const closed = await upload.closed;
      expect(closed.statusLine, c.path).toBe('HTTP/1.1 413 Payload Too Large');
      expect(closed.response).toMatch(/\r\nConnection: close\r\n/i);
      expect(closed.response).toContain(`"code":"payload_too_large"`);
      expect(closed.afterMs).toBeLessThan(PROMPTLY_MS);
    }
  });

  it('the admin API refuses a wrong token before reading the body, and closes the connection', async () => {
    bridge = await startTestBridge(PROVIDERS_ON);
    const upload = await stalledUpload(bridge.url, '/admin/api/numbers', { authorization: 'Bearer wrong-token-0123456789', 'content-type': 'application/json' });
    const closed = await upload.closed;
    expect(closed.statusLine).toBe('HTTP/1.1 401 Unauthorized');
    expect(closed.afterMs).toBeLessThan(PROMPTLY_MS);
  });
});

describe('a refused upload is not read on', () => {
  it('the server reads no more than the read that brought the headers (64 KB), however much is sent', async () => {
    const bytesRead: number[] = [];
    const app = express();
    app.post('/refused', (req, res) => {
      req.socket.once('close', () => bytesRead.push(req.socket.bytesRead));
      closeAfterResponse(res);
      res.status(401).json({ error: { code: 'unauthorized', message: 'Unauthorized.' } });
    });
    const server = await listen(app);
    try {
      const { port } = new URL(server.url);
      for (let i = 0; i < 5; i++) {
        await new Promise<void>((resolve) => {
          const head = `POST /refused HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${4 * ONE_MB}\r\n\r\n`;
          const socket = connect(Number(port), '127.0.0.1', () => socket.write(Buffer.concat([Buffer.from(head), Buffer.alloc(2 * ONE_MB, 'a')])));
          socket.on('error', () => {}); // reset once the server drops it: expected
          socket.resume();
          socket.on('close', () => resolve());
        });
      }
      await new Promise((r) => setTimeout(r, 100));
      expect(bytesRead).toHaveLength(5);
      // Node alone reads on (and throws away) until its close is flushed: two reads or more.
      for (const n of bytesRead) expect(n).toBeLessThan(100 * 1024);
    } finally {
      await server.close();
    }
  });
});

describe('body caps per route', () => {
  it('a signed Twilio webhook over 64 KB sent without a length is refused with 413 and nothing is stored; one under it is taken', async () => {
    bridge = await startTestBridge(PROVIDERS_ON);
    const url = `${PROVIDERS_ON.PUBLIC_URL}/webhooks/twilio/sms`;
    const big = signTwilioWebhook(PROVIDERS_ON.TWILIO_AUTH_TOKEN!, url, { ...twilioInboundParams({ sid: 'SMbig', from: CONTACT, to: OUR, body: 'hi' }), Padding: 'x'.repeat(TWILIO_BODY_LIMIT) });
    // A stream body goes out chunked, with no Content-Length for the guard to read.
    const chunked = new Blob([big.body]).stream();
    const res = await fetch(`${bridge.url}/webhooks/twilio/sms`, { method: 'POST', headers: big.headers, body: chunked, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(await bridge.ctx.store.messages.getByProviderId('twilio', 'SMbig')).toBeNull();

    const normal = signTwilioWebhook(PROVIDERS_ON.TWILIO_AUTH_TOKEN!, url, twilioInboundParams({ sid: 'SMok', from: CONTACT, to: OUR, body: 'x'.repeat(1600) }));
    expect((await fetch(`${bridge.url}/webhooks/twilio/sms`, { method: 'POST', headers: normal.headers, body: normal.body })).status).toBe(200);
    expect(await bridge.ctx.store.messages.getByProviderId('twilio', 'SMok')).not.toBeNull();
  });

  it('an authorized 8x8 webhook of ordinary size is taken', async () => {
    bridge = await startTestBridge(PROVIDERS_ON);
    const body = JSON.stringify(eightByEightInbound({ umid: 'u-ok', from: CONTACT, to: OUR, body: 'é'.repeat(1600) }));
    const res = await fetch(`${bridge.url}/webhooks/8x8`, { method: 'POST', headers: { authorization: PROVIDERS_ON.EIGHTX8_WEBHOOK_AUTH!, 'content-type': 'application/json' }, body });
    expect(res.status).toBe(200);
    expect(await bridge.ctx.store.messages.getByProviderId('8x8', 'u-ok')).not.toBeNull();
  });

  it('an admin API body over 64 KB is a 413 naming the cap', async () => {
    bridge = await startTestBridge();
    const res = await json(bridge.call('POST', '/admin/api/numbers', { body: { number: '+14155552671', provider: 'local', padding: 'x'.repeat(DEFAULT_BODY_LIMIT) } }));
    expect(res).toEqual({ status: 413, body: { error: { code: 'payload_too_large', message: 'The request body is larger than 64 KB.' } } });
  });
});
