import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { BridgeModule, Startable } from '../../src/app.js';
import { BridgeError, ConflictError, InvalidInputError, NotFoundError } from '../../src/core/errors.js';
import { jsonBody } from '../../src/http/body.js';
import { json, startTestBridge, tempDataDir } from './helpers.js';
import type { TestBridge } from './helpers.js';

let bridge: TestBridge | null = null;
afterEach(async () => {
  await bridge?.cleanup();
  bridge = null;
});

describe('health, readiness and metrics', () => {
  it('GET /healthz answers 200 while the process runs', async () => {
    bridge = await startTestBridge();
    expect(await json(bridge.call('GET', '/healthz', { token: null }))).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('GET /readyz answers 200 when SQLite and Redis both answer', async () => {
    bridge = await startTestBridge();
    expect(await json(bridge.call('GET', '/readyz', { token: null }))).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('GET /readyz answers 503 naming redis when Redis does not answer', async () => {
    bridge = await startTestBridge({ REDIS_URL: 'redis://127.0.0.1:1' });
    const res = await json(bridge.call('GET', '/readyz', { token: null }));
    expect(res).toEqual({ status: 503, body: { status: 'unavailable', failed: ['redis'] } });
    // healthz is about the process, not its dependencies
    expect((await bridge.call('GET', '/healthz', { token: null })).status).toBe(200);
  });

  it('with Redis down an inbound webhook is stored with its delivery and answered without waiting for Redis, and the bridge still stops', async () => {
    bridge = await startTestBridge({ REDIS_URL: 'redis://127.0.0.1:1' });
    const started = Date.now();
    const res = await bridge.call('POST', '/admin/api/dev/inbound', { body: { id: 'dev-down-1', from: '(415) 867-5309', to: '+1 415 690 1234', body: 'anyone?' } });
    expect(res.status).toBe(201);
    expect(Date.now() - started).toBeLessThan(3_000);
    const stored = await bridge.ctx.store.messages.getByProviderId('local', 'dev-down-1');
    expect(stored?.body).toBe('anyone?'); // stored, never lost
    // Its delivery is in the outbox: the workers wake it from there once Redis answers.
    expect(await bridge.ctx.store.outbox.findByMessage('deliver', stored!.id)).toMatchObject({ state: 'ready' });
    const stopping = Date.now();
    await bridge.stop();
    expect(Date.now() - stopping).toBeLessThan(8_000);
  }, 20_000);

  it('GET /readyz answers 503 naming sqlite when the database does not answer', async () => {
    bridge = await startTestBridge();
    await bridge.ctx.store.close();
    const res = await json(bridge.call('GET', '/readyz', { token: null }));
    expect(res).toEqual({ status: 503, body: { status: 'unavailable', failed: ['sqlite'] } });
  });

  it('GET /metrics serves the bridge counters, histograms and gauge in Prometheus text format', async () => {
    bridge = await startTestBridge();
    bridge.ctx.metrics.messages.inc({ direction: 'inbound', status: 'received' });
    bridge.ctx.metrics.webhooks.inc({ source: 'twilio', outcome: 'accepted' }, 2);
    bridge.ctx.metrics.sendLatency.observe({ provider: 'twilio' }, 0.2);
    bridge.ctx.metrics.deliveryLatency.observe({ direction: 'inbound' }, 0.05);
    // Two sends that failed for good, kept in the outbox (read at scrape time).
    for (const id of ['m-1', 'm-2']) await bridge.ctx.store.outbox.fail((await bridge.ctx.store.outbox.add('send', 'c-1', id)).seq, 'gave up');
    const res = await bridge.call('GET', '/metrics', { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain('smsb_messages_total{direction="inbound",status="received"} 1');
    expect(text).toContain('smsb_webhooks_total{source="twilio",outcome="accepted"} 2');
    expect(text).toContain('smsb_send_latency_seconds_count{provider="twilio"} 1');
    expect(text).toContain('smsb_delivery_latency_seconds_bucket{le="0.05",direction="inbound"} 1');
    expect(text).toContain('smsb_outbox_items{lane="send",state="failed"} 2');
    expect(text).toContain('smsb_outbox_oldest_ready_seconds{lane="deliver"} 0');
    expect(text).toContain('smsb_process_cpu_user_seconds_total');
  });

  it('two bridges in one process keep separate metrics', async () => {
    bridge = await startTestBridge();
    const other = await startTestBridge();
    try {
      bridge.ctx.metrics.messages.inc({ direction: 'outbound', status: 'sent' });
      const text = await (await other.call('GET', '/metrics', { token: null })).text();
      expect(text).not.toContain('status="sent"');
    } finally {
      await other.cleanup();
    }
  });
});

describe('errors are JSON and never leak internals', () => {
  const throwing: BridgeModule = () => ({
    mounts: [
      (app) => {
        app.post('/test/echo', ...jsonBody(), (req, res) => {
          res.json(req.body);
        });
        app.get('/test/boom', () => {
          throw new Error('secret internal detail at /srv/x.ts:12');
        });
        app.get('/test/invalid', () => {
          throw new InvalidInputError('to: not a phone number', 'to');
        });
        app.get('/test/missing', () => {
          throw new NotFoundError('no such thing');
        });
        app.get('/test/conflict', () => {
          throw new ConflictError('already there');
        });
        app.get('/test/unauthorized', () => {
          throw new BridgeError('unauthorized', 'nope');
        });
        app.get('/test/async', async () => {
          await Promise.resolve();
          throw new NotFoundError('async too');
        });
      },
    ],
  });

  it('an unknown route is a JSON 404', async () => {
    bridge = await startTestBridge();
    expect(await json(bridge.call('GET', '/nowhere', { token: null }))).toEqual({
      status: 404,
      body: { error: { code: 'not_found', message: 'No route for GET /nowhere.' } },
    });
  });

  it('BridgeError codes map to HTTP statuses, with the field for invalid input', async () => {
    bridge = await startTestBridge({}, { extraModules: [throwing] });
    expect(await json(bridge.call('GET', '/test/invalid'))).toEqual({
      status: 400,
      body: { error: { code: 'invalid_input', message: 'to: not a phone number', field: 'to' } },
    });
    expect((await json(bridge.call('GET', '/test/missing'))).status).toBe(404);
    expect((await json(bridge.call('GET', '/test/conflict'))).status).toBe(409);
    expect((await json(bridge.call('GET', '/test/unauthorized'))).status).toBe(401);
    expect(await json(bridge.call('GET', '/test/async'))).toMatchObject({ status: 404, body: { error: { message: 'async too' } } });
  });

  it('an unexpected error is a bare 500 without message or stack', async () => {
    bridge = await startTestBridge({}, { extraModules: [throwing] });
    const res = await bridge.call('GET', '/test/boom');
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(JSON.parse(text)).toEqual({ error: { code: 'internal', message: 'Internal error.' } });
    expect(text).not.toContain('secret');
    expect(text).not.toContain('.ts');
  });

  it('malformed JSON is a 400, and a body over 1 MB is a 413', async () => {
    bridge = await startTestBridge({}, { extraModules: [throwing] });
    expect(await json(bridge.call('POST', '/test/echo', { raw: '{"a":' }))).toEqual({
      status: 400,
      body: { error: { code: 'invalid_input', message: 'The request body is not valid JSON.' } },
    });
    const big = JSON.stringify({ a: 'x'.repeat(1024 * 1024 + 10) });
    expect(await json(bridge.call('POST', '/test/echo', { raw: big }))).toMatchObject({
      status: 413,
      body: { error: { code: 'payload_too_large' } },
    });
    expect(await json(bridge.call('POST', '/test/echo', { body: { a: 1 } }))).toEqual({ status: 200, body: { a: 1 } });
  });

  it('body parsers are per route: a mounted route still sees the raw request stream', async () => {
    let raw = '';
    const rawRoute: BridgeModule = () => ({
      mounts: [
        (app) => {
          app.post('/test/raw', async (req, res) => {
            for await (const chunk of req) raw += String(chunk);
            res.json({ length: raw.length });
          });
        },
      ],
    });
    bridge = await startTestBridge({}, { extraModules: [rawRoute] });
    const res = await json(bridge.call('POST', '/test/raw', { raw: '{"signed":"exactly these bytes"}' }));
    expect(res).toEqual({ status: 200, body: { length: 32 } });
    expect(raw).toBe('{"signed":"exactly these bytes"}');
  });
});

describe('extension points', () => {
  it('startables start in order before HTTP listens and stop in reverse order after it closes', async () => {
    const events: string[] = [];
    const part = (name: string): Startable => ({
      name,
      start: () => void events.push(`start ${name}`),
      stop: async () => {
        await new Promise((r) => setTimeout(r, 5));
        events.push(`stop ${name}`);
      },
    });
    const mod: BridgeModule = (ctx) => {
      events.push(`build with store ${typeof ctx.store.ping}`);
      return { startables: [part('queue'), part('worker')] };
    };
    bridge = await startTestBridge({}, { extraModules: [mod] });
    expect(events).toEqual(['build with store function', 'start queue', 'start worker']);
    await bridge.stop();
    expect(events.slice(3)).toEqual(['stop worker', 'stop queue']);
    await expect(fetch(`${bridge.url}/healthz`)).rejects.toThrow();
  });

  it('a part that fails to start stops the ones already started and start-up fails', async () => {
    const events: string[] = [];
    const mod: BridgeModule = () => ({
      startables: [
        { name: 'ok', start: () => void events.push('start ok'), stop: () => void events.push('stop ok') },
        {
          name: 'bad',
          start: () => {
            throw new Error('cannot start');
          },
          stop: () => void events.push('stop bad'),
        },
      ],
    });
    const dataDir = tempDataDir();
    try {
      await expect(startTestBridge({}, { extraModules: [mod], dataDir })).rejects.toThrow('cannot start');
      expect(events).toEqual(['start ok', 'stop ok']);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
