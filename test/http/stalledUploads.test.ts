// Memory exhaustion without credentials: 200 unauthenticated uploads that declare 1 MB, send a
// quarter of it and stall (half to /webhooks/8x8 without its Authorization, half to
// /webhooks/twilio/sms without a valid signature) must not make the bridge hold their bytes or
// their connections, while signed webhooks sent meanwhile are answered and stored. The bridge
// runs as `npm start` does, in its own process, so its resident memory can be read from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eightByEightInbound } from '../fakes/eightbyeightFake.js';
import { signTwilioWebhook, twilioInboundParams } from '../fakes/twilioFake.js';
import { freePort } from '../support/listen.js';
import { rawUpload } from '../support/rawUpload.js';
import { deletePrefix, withRedis } from '../support/redis.js';
import { ADMIN_TOKEN, tempDataDir } from './helpers.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TWILIO_TOKEN = 'twilio-auth-token-for-this-test';
const EIGHTX8_AUTH = 'Basic ZWlnaHR4ODp3ZWJob29rLXNlY3JldA==';
const OUR = '+14156901234';
const CONTACT = '+14158675309';

const STALLED = 200;
const DECLARED = 1024 * 1024;
const SENT_BEFORE_STALLING = 256 * 1024;
const MAX_GROWTH_BYTES = 20 * 1024 * 1024;
const CUT_WITHIN_MS = 30_000;

let cleanup: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

/** The bridge as `npm start` runs it, in a process of its own (node with tsx's loader, no wrapper). */
function startBridgeProcess(env: Record<string, string>): ChildProcess {
  const clean = { ...process.env };
  for (const k of Object.keys(clean)) if (/^(PORT|DATA_DIR|ADMIN_TOKEN|PUBLIC_URL|QUEUE_PREFIX|REDIS_URL|LOG_LEVEL|TWILIO_|EIGHTX8_|SLACK_|TEAMS_|TRUST_PROXY)/.test(k)) delete clean[k];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.resume(); // warn lines for every refusal: read and dropped
  child.stderr?.resume();
  return child;
}

function residentBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

async function waitForHealth(base: string, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    try {
      if ((await fetch(`${base}/healthz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${base}/healthz never answered`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('stalled unauthenticated uploads (a real bridge process)', () => {
  it(`${STALLED} uploads declaring 1 MB and stalling raise RSS by less than 20 MB and are cut within 30 s, while signed webhooks flow`, async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const dataDir = tempDataDir();
    const prefix = `test-${randomUUID()}`;
    const child = startBridgeProcess({
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      QUEUE_PREFIX: prefix,
      ADMIN_TOKEN,
      PUBLIC_URL: base,
      TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000000',
      TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
      TWILIO_API_URL: 'http://127.0.0.1:9', // nothing is sent: no mapped number, no reply
      EIGHTX8_API_KEY: 'eightx8-key-not-used',
      EIGHTX8_SUBACCOUNT_ID: 'sub-not-used',
      EIGHTX8_API_URL: 'http://127.0.0.1:9',
      EIGHTX8_WEBHOOK_AUTH: EIGHTX8_AUTH,
    });
    cleanup.push(async () => {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dataDir, { recursive: true, force: true });
      await withRedis((redis) => deletePrefix(redis, prefix));
    });
    await waitForHealth(base, 45_000);

    let seq = 0;
    const signedTwilio = () => {
      const sid = `SMmeanwhile${++seq}`;
      const s = signTwilioWebhook(TWILIO_TOKEN, `${base}/webhooks/twilio/sms`, twilioInboundParams({ sid, from: CONTACT, to: OUR, body: `meanwhile ${sid}` }));
      return fetch(`${base}/webhooks/twilio/sms`, { method: 'POST', headers: s.headers, body: s.body }).then(async (r) => ({ id: sid, status: r.status, text: await r.text() }));
    };
    const signedEightByEight = () => {
      const umid = `umid-meanwhile-${++seq}`;
      const body = JSON.stringify(eightByEightInbound({ umid, from: CONTACT, to: OUR, body: `meanwhile ${umid}` }));
      return fetch(`${base}/webhooks/8x8`, { method: 'POST', headers: { authorization: EIGHTX8_AUTH, 'content-type': 'application/json' }, body }).then(async (r) => ({ id: umid, status: r.status, text: await r.text() }));
    };
    const stalled = (i: number) => {
      const to8x8 = i % 2 === 0;
      // Twilio: half without a signature, half with one that is well-formed but wrong.
      const headers: Record<string, string> = to8x8
        ? { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`guess:${i}`).toString('base64')}` }
        : { 'content-type': 'application/x-www-form-urlencoded', ...(i % 4 === 1 ? { 'x-twilio-signature': 'A'.repeat(27) + '=' } : {}) };
      return rawUpload({ url: base, path: to8x8 ? '/webhooks/8x8' : '/webhooks/twilio/sms', headers, contentLength: DECLARED, body: Buffer.alloc(SENT_BEFORE_STALLING, 'a') });
    };

    // Warm-up: code paths loaded and compiled, so the baseline is the bridge at work, not at rest.
    const warm = await Promise.all([signedTwilio(), signedEightByEight()]);
    expect(warm.map((w) => w.status)).toEqual([200, 200]);
    const warmUploads = await Promise.all(Array.from({ length: 10 }, (_, i) => stalled(i)));
    await Promise.race([Promise.all(warmUploads.map((u) => u.closed)), new Promise((r) => setTimeout(r, 5_000))]);
    for (const u of warmUploads) u.socket.destroy();
    await new Promise((r) => setTimeout(r, 1_000));
    const baseline: number[] = [];
    for (let i = 0; i < 5; i++) {
      baseline.push(residentBytes(child.pid!));
      await new Promise((r) => setTimeout(r, 100));
    }
    const before = median(baseline);

    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, residentBytes(child.pid!))), 100);
    try {
      const [uploads, signed] = await Promise.all([
        Promise.all(Array.from({ length: STALLED }, (_, i) => stalled(i))),
        // Signed webhooks while the stalled ones are being opened and refused.
        Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? signedTwilio() : signedEightByEight()))),
      ]);
      const closed = await Promise.race([
        Promise.all(uploads.map((u) => u.closed)),
        new Promise<null>((r) => setTimeout(() => r(null), CUT_WITHIN_MS + 5_000)),
      ]);
      await new Promise((r) => setTimeout(r, 500)); // one more RSS sample after the last close

      expect(signed.map((s) => s.status), JSON.stringify(signed.filter((s) => s.status !== 200))).toEqual(Array.from({ length: 20 }, () => 200));
      const growth = peak - before;
      expect(growth, `RSS grew by ${(growth / 1024 / 1024).toFixed(1)} MB (from ${(before / 1024 / 1024).toFixed(1)} MB)`).toBeLessThan(MAX_GROWTH_BYTES);
      expect(closed, `not all ${STALLED} stalled uploads were closed by the bridge`).not.toBeNull();
      for (const c of closed!) {
        expect(c.afterMs).toBeLessThan(CUT_WITHIN_MS);
        expect(c.statusLine).toMatch(/^HTTP\/1\.1 (401|403|413) /);
      }

      // Every signed webhook was stored (to an unknown number: kept as unrouted, never dropped).
      const res = await fetch(`${base}/admin/api/messages?q=meanwhile&limit=100`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const stored = ((await res.json()) as Array<{ providerMessageId: string }>).map((m) => m.providerMessageId).sort();
      expect(stored).toEqual([...warm, ...signed].map((s) => s.id).sort());
    } finally {
      clearInterval(sampler);
    }
  }, 120_000);
});
