// Exactly one send vs. network failures (issue 4, behaviours 3 and 6). A connection that never
// opened (refused, connect timeout) proves nothing was sent: the SMS adapters report it as
// 'connect_failed' and the send worker retries it even for a provider without idempotency
// (Twilio). A request the provider took but did not answer in time may have been sent: it stays
// "outcome unknown" and is not resent. Real HTTP on 127.0.0.1, real Redis and SQLite.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/core/errors.js';
import { classifyNetworkError, CONNECT_FAILED, providerRequest } from '../../adapters/sms/shared/httpClient.js';
import { twilioSend } from '../../adapters/sms/twilio/client.js';
import { OUTCOME_UNKNOWN_CODE } from '../../src/app/sendMessage.js';
import { createHarness, PROVIDER_ID, type Harness } from './support/harness.js';
import { startFakeProvider, type FakeProvider } from './support/fakeProvider.js';
import { closedPortUrl, restSmsProvider } from './support/restProvider.js';

const LOCAL = '+14152345678';
const CONTACT = '+12123456789';

let h: Harness | null = null;
let fake: FakeProvider | null = null;
let blocker: { proc: ChildProcess; sockets: Socket[] } | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
  await fake?.close();
  fake = null;
  if (blocker) {
    for (const s of blocker.sockets) s.destroy();
    blocker.proc.kill('SIGKILL');
  }
  blocker = null;
});

async function rejection(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ProviderError);
    return err as ProviderError;
  }
  throw new Error('expected the call to fail');
}

/**
 * A 127.0.0.1 port whose listener never accepts (a child process that listens with backlog 1 and
 * then blocks its event loop), its accept queue filled: a new connection never opens, so the
 * client's connect timeout fires (UND_ERR_CONNECT_TIMEOUT), as with a firewalled provider host.
 */
async function unopenablePort(): Promise<number> {
  const code = `const s = require('node:net').createServer();
s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => { process.stdout.write(String(s.address().port) + '\\n'); setTimeout(() => { for (;;) {} }, 50); });`;
  const proc = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise<number>((resolve) => proc.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
  blocker = { proc, sockets: [] };
  await new Promise((r) => setTimeout(r, 200)); // its event loop is blocked from here on
  for (let i = 0; i < 8; i++) {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    blocker.sockets.push(s);
  }
  await new Promise((r) => setTimeout(r, 200));
  return port;
}

describe('the SMS adapters tell "never connected" from "no answer"', () => {
  it('a refused connection is connect_failed (retryable; nothing was sent)', async () => {
    const url = await closedPortUrl();
    const e = await rejection(providerRequest({ provider: 'twilio', method: 'POST', url: `${url}/x`, headers: {}, body: '{}', timeoutMs: 2_000 }));
    expect(e).toMatchObject({ providerCode: CONNECT_FAILED, retryable: true, httpStatus: null });
    expect(e.message).toMatch(/ECONNREFUSED/);
  });

  it('a connection that cannot be opened in time (connect timeout) is connect_failed, not timeout', async () => {
    const port = await unopenablePort();
    const e = await rejection(
      providerRequest({ provider: 'twilio', method: 'POST', url: `http://127.0.0.1:${port}/x`, headers: {}, body: '{}', timeoutMs: 5_000, connectTimeoutMs: 200 }),
    );
    expect(e).toMatchObject({ providerCode: CONNECT_FAILED, retryable: true });
    expect(e.message).toMatch(/UND_ERR_CONNECT_TIMEOUT/);
  });

  it('a request the provider took but did not answer in time is timeout (maybe sent)', async () => {
    fake = await startFakeProvider();
    fake.setScript(() => 'hold');
    const e = await rejection(
      providerRequest({ provider: 'twilio', method: 'POST', url: `${fake.url}/send`, headers: {}, body: JSON.stringify({ messageId: 'm', from: LOCAL, to: CONTACT, body: 'x' }), timeoutMs: 300 }),
    );
    expect(e).toMatchObject({ providerCode: 'timeout', retryable: true, httpStatus: null });
    expect(fake.requests).toHaveLength(1);
  });

  it('the Twilio client reports a refused connection as connect_failed', async () => {
    const url = await closedPortUrl();
    const e = await rejection(
      twilioSend({ accountSid: 'AC1', authToken: 't', apiUrl: url, statusCallbackUrl: null, timeoutMs: 2_000 }, { messageId: 'm', from: LOCAL, to: CONTACT, body: 'x', mediaUrls: [] }),
    );
    expect(e).toMatchObject({ provider: 'twilio', providerCode: CONNECT_FAILED, retryable: true });
  });

  it('classifies raw network errors by whether the connection opened', async () => {
    expect(classifyNetworkError({ code: 'UND_ERR_CONNECT_TIMEOUT' }).kind).toBe('connect');
    expect(classifyNetworkError({ code: 'ECONNREFUSED' }).kind).toBe('connect');
    expect(classifyNetworkError({ name: 'Error', cause: { code: 'ENOTFOUND' } }).kind).toBe('connect');
    expect(classifyNetworkError({ code: 'UND_ERR_HEADERS_TIMEOUT' }).kind).toBe('timeout');
    expect(classifyNetworkError({ name: 'TimeoutError' }).kind).toBe('timeout');
    // Dropped after the request may have left: neither "safe" nor a plain timeout.
    expect(classifyNetworkError({ code: 'ECONNRESET' }).kind).toBe('other');
    expect(classifyNetworkError({ code: 'UND_ERR_SOCKET' }).kind).toBe('other');
  });
});

describe('the send worker on a provider without idempotency (Twilio-like)', () => {
  it('retries a send whose connection never opened (connect timeout, then refused), and the SMS goes out once', async () => {
    const unopenable = `http://127.0.0.1:${await unopenablePort()}`;
    const closed = await closedPortUrl();
    let calls = 0;
    const urls = (f: FakeProvider) => () => [unopenable, closed][calls++] ?? f.url;
    h = await createHarness({
      provider: (f) => restSmsProvider({ id: PROVIDER_ID, url: urls(f), timeoutMs: 5_000, connectTimeoutMs: 200 }),
    });
    await h.addNumber(LOCAL);
    const r = await h.send(LOCAL, CONTACT, 'hello');
    if (!r.ok) throw new Error('refused');
    await h.waitFor(async () => (await h!.message(r.message.id)).status === 'sent', 'sent after connect failures');
    expect(calls).toBe(3);
    expect(h.fake.requests).toHaveLength(1);
    expect(h.fake.sent.map((s) => s.messageId)).toEqual([r.message.id]);
    expect(await h.temp.store.sendLedger.get(r.message.id)).toMatchObject({ state: 'done', attempts: 3 });
    // Never reported as failed on the way.
    expect(h.notified.filter((m) => m.id === r.message.id).map((m) => m.status)).not.toContain('failed');
  });

  it('does not resend after a response timeout: the message ends failed, outcome unknown', async () => {
    h = await createHarness({ provider: (f) => restSmsProvider({ id: PROVIDER_ID, url: () => f.url, timeoutMs: 300 }) });
    await h.addNumber(LOCAL);
    h.fake.setScript(() => 'hold');
    const r = await h.send(LOCAL, CONTACT, 'hello');
    if (!r.ok) throw new Error('refused');
    await h.waitFor(async () => (await h!.message(r.message.id)).status === 'failed', 'failed');
    const m = await h.message(r.message.id);
    expect(m.errorCode).toBe(OUTCOME_UNKNOWN_CODE);
    expect(m.statusReason).toMatch(/outcome unknown/);
    // The provider did get it (and may have sent it): answering late changes nothing, no resend.
    h.fake.releaseHeld();
    await new Promise((res) => setTimeout(res, 400));
    expect(h.fake.requests).toHaveLength(1);
  });
});
