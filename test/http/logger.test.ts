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
        config: { botToken: 'xoxb-2', password: 'hunter2', signingSecret: 's3', apiKey: 'k', authToken: 'tw' },
      },
      'request',
    );
    const text = JSON.stringify(lines);
    for (const secret of ['admin-secret', 'sid=1', 'Basic abc', 'xoxb-secret', 'xoxb-2', 'hunter2', '"s3"', '"k"', '"tw"']) {
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
