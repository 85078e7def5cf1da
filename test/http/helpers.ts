// Starts a real bridge for a test: temp DATA_DIR (real SQLite file), real Redis at 127.0.0.1:6379,
// real HTTP on an ephemeral port, its own queue prefix. `cleanup()` stops it and deletes the folder.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startBridge } from '../../src/app.js';
import type { Bridge, StartOptions } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { deletePrefix, REDIS_URL, uniquePrefix, withRedis } from '../support/redis.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface TestBridge extends Bridge {
  dataDir: string;
  /** fetch against the bridge; JSON body when given; the admin token unless `token` is null. */
  call(method: string, urlPath: string, opts?: { body?: unknown; raw?: string; token?: string | null; headers?: Record<string, string> }): Promise<Response>;
  /** Stop (if still running) and delete the data folder. */
  cleanup(): Promise<void>;
}

/**
 * Twilio and 8x8 set up with credentials that are never used (nothing is sent), for tests of
 * numbers on those providers: a number whose provider is not set up cannot send SMS.
 */
export const PROVIDERS_ON: Record<string, string> = {
  PUBLIC_URL: 'http://127.0.0.1:1',
  TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000000',
  TWILIO_AUTH_TOKEN: 'twilio-token-not-used',
  EIGHTX8_API_KEY: 'eightx8-key-not-used',
  EIGHTX8_SUBACCOUNT_ID: 'sub-not-used',
  EIGHTX8_WEBHOOK_AUTH: 'Basic bm90OnVzZWQ=',
};

export function tempDataDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'sms-bridge-http-'));
}

export async function startTestBridge(
  env: Record<string, string> = {},
  opts: StartOptions & { dataDir?: string; keepDataDir?: boolean } = {},
): Promise<TestBridge> {
  const dataDir = opts.dataDir ?? tempDataDir();
  const config = loadConfig({
    PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    ADMIN_TOKEN,
    QUEUE_PREFIX: uniquePrefix(),
    ...env,
  });
  const dropQueues = async (): Promise<void> => {
    // The bridge's queues live under the test's own prefix: remove them once it has stopped
    // (only on the test Redis: a test pointing REDIS_URL at a dead port has nothing there).
    if (config.redisUrl === REDIS_URL) await withRedis((redis) => deletePrefix(redis, config.queuePrefix));
  };
  let bridge: Bridge;
  try {
    bridge = await startBridge(config, { host: '127.0.0.1', ...opts });
  } catch (err) {
    await dropQueues(); // a start-up that failed may have made some already
    throw err;
  }
  const call: TestBridge['call'] = (method, urlPath, o = {}) => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    const token = o.token === undefined ? ADMIN_TOKEN : o.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (o.raw !== undefined) body = o.raw;
    else if (o.body !== undefined) body = JSON.stringify(o.body);
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json';
    }
    return fetch(`${bridge.url}${urlPath}`, { method, headers, body });
  };
  return {
    ...bridge,
    dataDir,
    call,
    async cleanup() {
      await bridge.stop();
      await dropQueues();
      if (!opts.keepDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Reads a JSON response body with its status, for compact assertions. */
export async function json<T = unknown>(res: Response | Promise<Response>): Promise<{ status: number; body: T }> {
  const r = await res;
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : null) as T };
}
