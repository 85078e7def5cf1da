import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { LogLevel } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';

function capture(level: LogLevel) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: createLogger({ level, destination }), lines };
}

describe('logs', () => {
  it('never contain secrets: authorization headers, tokens, passwords', () => {
    const { logger, lines } = capture('info');
    logger.info(
      {
        req: { headers: { authorization: 'Bearer admin-secret', cookie: 'sid=1', 'x-twilio-signature': 'sig' } },
        headers: { authorization: 'Basic abc' },
        token: 'xoxb-secret',
        config: { botToken: 'xoxb-2', appToken: 'xapp-3', password: 'hunter2', signingSecret: 's3', apiKey: 'k', authToken: 'tw' },
      },
      'request',
    );
    const text = JSON.stringify(lines);
    for (const secret of ['admin-secret', 'sid=1', 'Basic abc', 'xoxb-secret', 'xoxb-2', 'xapp-3', 'hunter2', '"s3"', '"k"', '"tw"']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('[redacted]');
  });

  it('show message bodies only at debug level; above it only their length', () => {
    const { logger, lines } = capture('debug');
    logger.info({ messageId: 'm1', body: 'my PIN is 1234', sms: { text: 'hello there' } }, 'inbound stored');
    logger.debug({ messageId: 'm1', body: 'my PIN is 1234' }, 'inbound body');
    expect(lines[0]).toMatchObject({ msg: 'inbound stored', messageId: 'm1', body: '[14 chars]', sms: { text: '[11 chars]' } });
    expect(lines[1]).toMatchObject({ msg: 'inbound body', body: 'my PIN is 1234' });
  });

  it('at info level debug lines (with bodies) are not written at all', () => {
    const { logger, lines } = capture('info');
    logger.debug({ body: 'secret text' }, 'debug line');
    logger.warn({ body: 'secret text' }, 'warn line');
    expect(lines).toHaveLength(1);
    expect(JSON.stringify(lines)).not.toContain('secret text');
  });
});

// The logger censors nested secrets itself (pino's wildcard redaction was too slow for the
// webhook path): these pin down what the wildcard paths used to guarantee.
describe('log redaction', () => {
  it('censors secrets one and two levels down, also inside arrays, at every level including debug', () => {
    const { logger, lines } = capture('debug');
    const entry = {
      provider: { authToken: 'tw-secret', nested: { apiKey: 'key-secret' } },
      hooks: [{ token: 'arr-secret' }],
      ok: 'visible',
    };
    logger.debug(entry, 'debug line');
    logger.info(entry, 'info line');
    const text = JSON.stringify(lines);
    for (const secret of ['tw-secret', 'key-secret', 'arr-secret']) expect(text).not.toContain(secret);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ ok: 'visible', provider: { authToken: '[redacted]', nested: { apiKey: '[redacted]' } } });
  });

  it("never changes the caller's object", () => {
    const { logger } = capture('info');
    const entry = { config: { password: 'hunter2' }, body: 'hello' };
    logger.info(entry, 'line');
    expect(entry).toEqual({ config: { password: 'hunter2' }, body: 'hello' });
  });

  it('censors secret properties of a logged error and keeps it an error', () => {
    const { logger, lines } = capture('info');
    const err = Object.assign(new Error('boom'), { token: 'err-secret' });
    logger.error({ err }, 'failed');
    const text = JSON.stringify(lines);
    expect(text).not.toContain('err-secret');
    expect(lines[0]).toMatchObject({ err: { message: 'boom', type: 'Error' } });
  });

  it('keeps values that are not plain objects, such as dates, as they are', () => {
    const { logger, lines } = capture('info');
    logger.info({ at: new Date('2026-01-02T03:04:05Z') }, 'dated');
    expect(lines[0]).toMatchObject({ at: '2026-01-02T03:04:05.000Z' });
  });
});

// LOG_FORMAT=pretty: the same lines, for a person at a terminal; the same censoring first.
describe('pretty logs', () => {
  it('are one readable line per entry, not JSON, with secrets censored and bodies hidden as in JSON', async () => {
    let text = '';
    const destination = new Writable({
      write(chunk, _enc, cb) {
        text += String(chunk);
        cb();
      },
    });
    const logger = createLogger({ level: 'info', format: 'pretty', destination });
    logger.info({ token: 'xoxb-secret', body: 'my PIN is 1234', messageId: 'm1' }, 'inbound stored');
    logger.warn('Redis does not answer');
    await new Promise((r) => setTimeout(r, 50)); // pino-pretty's transform stream
    // eslint-disable-next-line no-control-regex
    const lines = text.replace(/\x1b\[[0-9;]*m/g, '').split('\n').filter((l) => /^\[/.test(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: inbound stored$/);
    expect(lines[1]).toMatch(/WARN: Redis does not answer$/);
    expect(() => JSON.parse(lines[0]!)).toThrow();
    expect(text).toContain('messageId: "m1"');
    expect(text).toContain('[14 chars]');
    expect(text).toContain('[redacted]');
    expect(text).not.toContain('xoxb-secret');
    expect(text).not.toContain('PIN');
  });
});
