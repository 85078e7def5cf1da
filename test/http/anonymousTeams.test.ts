// TEAMS_ALLOW_ANONYMOUS turns Bot Framework token checks off: whoever reaches /api/messages could
// act as Teams. So while it is on the bridge listens on loopback only, whatever interface it was
// asked for, and says so at start-up.

import { createConnection } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { logLines } from '../support/logLines.js';
import { startTestBridge, type TestBridge } from './helpers.js';

function capture() {
  const { destination, lines } = logLines();
  return { logger: createLogger({ level: 'info', destination }), lines };
}

/** This machine's first non-loopback IPv4 address, if it has one. */
function externalAddress(): string | null {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return null;
}

/** 'open' when something accepts a TCP connection there, else the error code. */
function probe(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = createConnection({ host, port });
    s.setTimeout(2_000, () => {
      s.destroy();
      resolve('timeout');
    });
    s.once('connect', () => {
      s.destroy();
      resolve('open');
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
}

let bridge: TestBridge | null = null;
afterEach(async () => {
  await bridge?.cleanup();
  bridge = null;
});

describe('anonymous Teams listens on loopback only', () => {
  it('asked for every interface, the bridge binds 127.0.0.1 and logs that it does', async () => {
    const { logger, lines } = capture();
    bridge = await startTestBridge({ TEAMS_ALLOW_ANONYMOUS: 'true' }, { host: '0.0.0.0', logger });
    expect(bridge.url).toBe(`http://127.0.0.1:${bridge.port}`);
    expect((await fetch(`${bridge.url}/healthz`)).status).toBe(200);
    const external = externalAddress();
    if (external) expect(await probe(external, bridge.port)).toBe('ECONNREFUSED');
    expect(lines.find((l) => String(l.msg).startsWith('TEAMS_ALLOW_ANONYMOUS=true: listening on 127.0.0.1 only'))).toMatchObject({ level: 40 });
  });

  it('with Bot Framework authentication on, the interface asked for is used', async () => {
    bridge = await startTestBridge(
      { TEAMS_APP_ID: '00000000-0000-0000-0000-0000000000a1', TEAMS_APP_PASSWORD: 'not-a-real-secret' },
      { host: '0.0.0.0' },
    );
    const external = externalAddress();
    if (external) expect(await probe(external, bridge.port)).toBe('open');
    expect(await probe('127.0.0.1', bridge.port)).toBe('open');
  });
});
