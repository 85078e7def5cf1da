// Load generator for bench/inbound.ts, run as a child process so that signing and sending
// webhooks does not compete with the bridge's event loop. Input: one JSON argument; output: one
// JSON line with the ack latency (ms) of every webhook and when each was sent (epoch ms).
//
// Requests go through an undici Pool (keep-alive, lighter than fetch) and, in rate mode, a
// warm-up second at the same rate comes first and is not recorded: a cold client process pays
// for JIT compilation and new connections on its first requests, and those milliseconds are the
// generator's, not the server's (they showed as a bare express p99 of 40-90 ms).

import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { signTwilioWebhook, twilioInboundParams } from '../test/fakes/twilioFake.js';

export interface LoadArgs {
  url: string;
  publicUrl: string;
  authToken: string;
  accountSid: string;
  to: string;
  mode: 'rate' | 'closed';
  rate?: number;
  seconds: number;
  concurrency?: number;
  offset: number;
  /** Rate mode: seconds at the same rate before the measured window, not recorded (default 1). */
  warmupSeconds?: number;
}

export interface LoadResult {
  latencies: number[];
  sent: { i: number; at: number }[];
  accepted: number;
  elapsedMs: number;
  errors: number;
  /** Unrecorded warm-up requests sent before the measured window (rate mode). */
  warmup: number;
}

const epoch = () => performance.timeOrigin + performance.now();

async function post(pool: Pool, a: LoadArgs, i: number): Promise<number> {
  // Many contacts, so conversations do not queue behind each other.
  const from = `+1212555${String(2000 + (i % 1000)).padStart(4, '0')}`;
  const params = twilioInboundParams({ sid: `SMbench${i}`, from, to: a.to, body: `bench ${i}`, accountSid: a.accountSid });
  const signed = signTwilioWebhook(a.authToken, `${a.publicUrl}/webhooks/twilio/sms`, params);
  const res = await pool.request({ path: '/webhooks/twilio/sms', method: 'POST', headers: signed.headers, body: signed.body });
  await res.body.dump();
  return res.statusCode;
}

async function run(a: LoadArgs): Promise<LoadResult> {
  const pool = new Pool(a.url, { connections: 64, pipelining: 1 });
  const r: LoadResult = { latencies: [], sent: [], accepted: 0, elapsedMs: 0, errors: 0, warmup: 0 };
  const one = async (i: number, record: boolean) => {
    const t0 = performance.now();
    if (record) r.sent.push({ i, at: epoch() });
    try {
      const status = await post(pool, a, i);
      if (!record) return;
      if (status === 200) {
        r.accepted++;
        r.latencies.push(performance.now() - t0);
      } else r.errors++;
    } catch {
      if (record) r.errors++;
    }
  };
  /** Sends `total` requests at `rate`/s starting now, numbered from `first`. */
  const paced = async (rate: number, total: number, first: number, record: boolean) => {
    const start = performance.now();
    const inflight: Promise<void>[] = [];
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
      while (sent < due) inflight.push(one(first + sent++, record));
      await new Promise((res) => setTimeout(res, 1));
    }
    await Promise.all(inflight);
  };
  let start = performance.now();
  if (a.mode === 'closed') {
    const until = start + a.seconds * 1000;
    let next = a.offset;
    await Promise.all(
      Array.from({ length: a.concurrency ?? 32 }, async () => {
        while (performance.now() < until) await one(next++, true);
      }),
    );
  } else {
    const rate = a.rate ?? 100;
    const warmup = Math.round(rate * (a.warmupSeconds ?? 1));
    // Warm-up ids sit above the measured ones, so they never collide with another phase's.
    if (warmup > 0) await paced(rate, warmup, a.offset + 50_000, false);
    r.warmup = warmup;
    start = performance.now();
    await paced(rate, rate * a.seconds, a.offset, true);
  }
  r.elapsedMs = performance.now() - start;
  await pool.close();
  return r;
}

run(JSON.parse(process.argv[2] ?? '{}') as LoadArgs).then(
  (r) => {
    // Exit only once the pipe took every byte.
    process.stdout.write(JSON.stringify(r) + '\n', () => process.exit(0));
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
