// Load generator for bench/inbound.ts, run as a child process so that signing and sending
// webhooks does not compete with the bridge's event loop. Input: one JSON argument; output: one
// JSON line with the ack latency (ms) of every webhook and when each was sent (epoch ms).

import { performance } from 'node:perf_hooks';
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
}

export interface LoadResult {
  latencies: number[];
  sent: { i: number; at: number }[];
  accepted: number;
  elapsedMs: number;
  errors: number;
}

const epoch = () => performance.timeOrigin + performance.now();

function post(a: LoadArgs, i: number): Promise<Response> {
  // Many contacts, so conversations do not queue behind each other.
  const from = `+1212555${String(2000 + (i % 1000)).padStart(4, '0')}`;
  const params = twilioInboundParams({ sid: `SMbench${i}`, from, to: a.to, body: `bench ${i}`, accountSid: a.accountSid });
  const signed = signTwilioWebhook(a.authToken, `${a.publicUrl}/webhooks/twilio/sms`, params);
  return fetch(`${a.url}/webhooks/twilio/sms`, { method: 'POST', headers: signed.headers, body: signed.body });
}

async function run(a: LoadArgs): Promise<LoadResult> {
  const r: LoadResult = { latencies: [], sent: [], accepted: 0, elapsedMs: 0, errors: 0 };
  const one = async (i: number) => {
    const t0 = performance.now();
    r.sent.push({ i, at: epoch() });
    try {
      const res = await post(a, i);
      await res.arrayBuffer();
      if (res.status === 200) {
        r.accepted++;
        r.latencies.push(performance.now() - t0);
      } else r.errors++;
    } catch {
      r.errors++;
    }
  };
  const start = performance.now();
  if (a.mode === 'closed') {
    const until = start + a.seconds * 1000;
    let next = a.offset;
    await Promise.all(
      Array.from({ length: a.concurrency ?? 32 }, async () => {
        while (performance.now() < until) await one(next++);
      }),
    );
  } else {
    const rate = a.rate ?? 100;
    const total = rate * a.seconds;
    const inflight: Promise<void>[] = [];
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
      while (sent < due) inflight.push(one(a.offset + sent++));
      await new Promise((res) => setTimeout(res, 1));
    }
    await Promise.all(inflight);
  }
  r.elapsedMs = performance.now() - start;
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
