// The server's own limits on clients: a request must arrive within a bounded time (a trickling
// upload or unfinished headers are cut, not held for Node's default 5 minutes), and the number
// of open connections is capped. Real bridge, raw sockets.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import express from 'express';
import { CONNECTIONS_CHECK_INTERVAL_MS, createHttpServer, HEADERS_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS, MAX_CONNECTIONS, REQUEST_TIMEOUT_MS } from '../../src/http/server.js';
import { rawUpload, type RawUpload } from '../support/rawUpload.js';
import { PROVIDERS_ON, startTestBridge, type TestBridge } from './helpers.js';

let bridge: TestBridge | null = null;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await bridge?.cleanup();
  bridge = null;
});

/** Generous: the limits are 10 s (headers) and 15 s (whole request), checked every 2 s. */
const CUT_WITHIN_MS = 30_000;

describe('slow clients are cut', () => {
  it('uploads trickling one byte every 2 s and headers never finished are answered 408 and closed within 30 s', async () => {
    bridge = await startTestBridge(PROVIDERS_ON);
    const uploads: RawUpload[] = await Promise.all([
      // Past every check that needs no body, so the body is being read when it stalls.
      rawUpload({ url: bridge.url, path: '/webhooks/twilio/sms', headers: { 'x-twilio-signature': 'A'.repeat(27) + '=' }, contentLength: 1000, body: 'a' }),
      rawUpload({ url: bridge.url, path: '/webhooks/8x8', headers: { authorization: PROVIDERS_ON.EIGHTX8_WEBHOOK_AUTH!, 'content-type': 'application/json' }, contentLength: 1000, body: '{' }),
      rawUpload({ url: bridge.url, path: '/webhooks/8x8', headers: { 'content-type': 'application/json' }, endHeaders: false }),
    ]);
    const trickle = setInterval(() => {
      for (const u of uploads.slice(0, 2)) u.write('a');
    }, 2_000);
    try {
      const closed = await Promise.all(uploads.map((u) => u.closed));
      for (const c of closed) {
        expect(c.statusLine).toBe('HTTP/1.1 408 Request Timeout');
        expect(c.afterMs).toBeLessThan(CUT_WITHIN_MS);
      }
    } finally {
      clearInterval(trickle);
    }
    // Nothing half-received was stored, and the server still answers.
    expect(await bridge.ctx.store.messages.search({ limit: 10 })).toEqual([]);
    expect((await fetch(`${bridge.url}/healthz`)).status).toBe(200);
  }, 60_000);
});

describe('server settings', () => {
  it('idle kept-alive connections outlive a load balancer\'s 60 s idle timeout; request limits are checked every few seconds', () => {
    const server = createHttpServer(express());
    expect(server.keepAliveTimeout).toBe(KEEP_ALIVE_TIMEOUT_MS);
    expect(KEEP_ALIVE_TIMEOUT_MS).toBeGreaterThan(60_000);
    expect([server.headersTimeout, server.requestTimeout, server.maxConnections]).toEqual([HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS, MAX_CONNECTIONS]);
    // Cut within 30 s of the start of a stalled request, whatever it stalls on.
    expect(REQUEST_TIMEOUT_MS + CONNECTIONS_CHECK_INTERVAL_MS).toBeLessThan(30_000);
    server.close();
  });
});

describe('connection cap', () => {
  it(`holds at most ${MAX_CONNECTIONS} connections: one more is closed at once, and a freed slot serves again`, async () => {
    bridge = await startTestBridge();
    const { hostname, port } = new URL(bridge.url);
    const open = () =>
      new Promise<Socket>((resolve, reject) => {
        const s = connect(Number(port), hostname, () => resolve(s));
        s.once('error', reject);
        sockets.push(s);
      });
    for (let i = 0; i < MAX_CONNECTIONS; i += 100) await Promise.all(Array.from({ length: Math.min(100, MAX_CONNECTIONS - i) }, open));
    // Every slot is taken once a request on one of them is answered (connections are accepted in order).
    const first = sockets[0]!;
    const answered = new Promise<string>((resolve) => first.once('data', (d: Buffer) => resolve(d.toString('latin1'))));
    first.write(`GET /healthz HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
    expect((await answered).split('\r\n')[0]).toBe('HTTP/1.1 200 OK');

    const extra = await rawUpload({ url: bridge.url, method: 'GET', path: '/healthz', contentLength: null });
    const refused = await extra.closed;
    expect(refused.response).toBe(''); // closed by the server without an answer
    expect(refused.afterMs).toBeLessThan(5_000);

    for (const s of sockets.splice(0, 10)) s.destroy();
    await new Promise((r) => setTimeout(r, 200)); // the server sees them go
    expect((await fetch(`${bridge.url}/healthz`)).status).toBe(200);
  }, 60_000);
});
