// Inbound benchmark (issue 5): signed Twilio webhooks at a fixed rate into the running bridge
// (real express app and Twilio route, real SQLite, real BullMQ delivery on Redis, the Slack
// adapter posting to a fake Slack that answers at once), beside a bare express handler measured
// in the same run as the ratio.
//
//   npx tsx bench/inbound.ts            (or from bench/run.ts: runInboundBench + formatInboundBench)
//
// Reports: accepted webhooks/s (closed loop, 32 in flight), webhook ack latency p50/p99 at 300/s,
// and end-to-end (webhook sent -> message posted in the Slack thread) p50/p99 at 100/s.
// The load generator runs in a child process (bench/inboundLoad.ts); the fakes share the
// bridge's process. Other work on the machine shows in the numbers: they are a floor.

import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import express from 'express';
import { createSlackHarness, OUR, PUBLIC_URL, type SlackHarness } from '../test/chat/slack/harness.js';
import type { LoadArgs, LoadResult } from './inboundLoad.js';

export interface LatencyStats {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface InboundBenchResult {
  bare: { acceptedPerSec: number; ack300: LatencyStats };
  bridge: {
    acceptedPerSec: number;
    ack300: LatencyStats;
    e2e100: LatencyStats;
    lost: number;
    errors: number;
    loopDelayP99: number;
    loopDelayMax: number;
    /**
     * CPU time of the bridge's process per webhook while the 300/s load runs (user + system, µs):
     * ack, delivery job and Slack post, plus the fake Slack that shares the process, plus the
     * idle cost below. Less dependent on other work on the machine than latencies are.
     */
    cpuPerWebhookUs300: number;
    /** CPU the bridge's process uses with no traffic at all (queue polling, timers), % of a core. */
    idleCpuPercent: number;
  };
}

function stats(values: number[]): LatencyStats {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return { count: s.length, p50: at(0.5), p99: at(0.99), max: s.at(-1) ?? NaN };
}

const LOAD_SCRIPT = fileURLToPath(new URL('./inboundLoad.ts', import.meta.url));

function load(args: LoadArgs): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', LOAD_SCRIPT, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited with ${code}`));
      try {
        resolve(JSON.parse(out) as LoadResult);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

async function bareServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const app = express();
  app.post('/webhooks/twilio/sms', express.urlencoded({ extended: false }), (_req, res) => {
    res.type('text/xml').send('<Response/>');
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function startProfiler(): Promise<{ stop(file: string): Promise<void> }> {
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

/** Waits until nothing new has been posted to the fake Slack for a second (backlog drained). */
async function waitDrained(h: SlackHarness): Promise<void> {
  const until = Date.now() + 120_000;
  let last = -1;
  while (Date.now() < until) {
    const posted = h.slack.messages.length;
    if (posted === last) return;
    last = posted;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export async function runInboundBench(opts: { seconds?: number } = {}): Promise<InboundBenchResult> {
  const seconds = opts.seconds ?? 5;

  const bare = await bareServer();
  const bareArgs = { url: bare.url, publicUrl: PUBLIC_URL, authToken: 'x', accountSid: 'ACx', to: OUR };
  await load({ ...bareArgs, mode: 'closed', concurrency: 8, seconds: 1, offset: 0 }); // warm-up
  const bareClosed = await load({ ...bareArgs, mode: 'closed', concurrency: 32, seconds: 3, offset: 10_000 });
  const bareRate = await load({ ...bareArgs, mode: 'rate', rate: 300, seconds, offset: 100_000 });
  await bare.close();

  const h = await createSlackHarness();
  try {
    h.setupNumber();
    const args = { url: h.url, publicUrl: PUBLIC_URL, authToken: h.twilio.authToken, accountSid: h.twilio.accountSid, to: OUR };
    await load({ ...args, mode: 'closed', concurrency: 8, seconds: 1, offset: 0 }); // warm-up, creates threads
    await waitDrained(h);
    const closed = await load({ ...args, mode: 'closed', concurrency: 32, seconds: 3, offset: 10_000 });
    await waitDrained(h);
    // The bridge's event-loop delay during the 300/s phase: tells stalls in this process apart
    // from waits elsewhere (Redis, other processes on the machine).
    const loop = monitorEventLoopDelay({ resolution: 5 });
    // BENCH_PROFILE=<file.cpuprofile>: a CPU profile of the bridge's process during this phase.
    const profiler = process.env.BENCH_PROFILE ? await startProfiler() : null;
    const cpu0 = process.cpuUsage();
    loop.enable();
    const rate300 = await load({ ...args, mode: 'rate', rate: 300, seconds, offset: 100_000 });
    loop.disable();
    const cpu300 = process.cpuUsage(cpu0);
    await waitDrained(h);
    const idle0 = process.cpuUsage();
    const idleStart = performance.now();
    await new Promise((r) => setTimeout(r, 2000));
    const idle = process.cpuUsage(idle0);
    const idleCpuPercent = ((idle.user + idle.system) / 1000 / (performance.now() - idleStart)) * 100;
    if (profiler) await profiler.stop(process.env.BENCH_PROFILE as string);

    // End to end at 100/s: webhook sent (child's clock, epoch ms) -> its text posted to Slack.
    const postedAt = new Map<string, number>();
    h.slack.onPost = (m) => {
      if (m.text) postedAt.set(m.text, performance.timeOrigin + performance.now());
    };
    const rate100 = await load({ ...args, mode: 'rate', rate: 100, seconds, offset: 200_000 });
    const until = Date.now() + 30_000;
    while (postedAt.size < rate100.sent.length && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    h.slack.onPost = null;
    const e2e = rate100.sent.flatMap((s) => {
      const at = postedAt.get(`bench ${s.i}`);
      return at === undefined ? [] : [at - s.at];
    });
    return {
      bare: { acceptedPerSec: bareClosed.accepted / (bareClosed.elapsedMs / 1000), ack300: stats(bareRate.latencies) },
      bridge: {
        acceptedPerSec: closed.accepted / (closed.elapsedMs / 1000),
        ack300: stats(rate300.latencies),
        e2e100: stats(e2e),
        lost: rate100.sent.length - e2e.length,
        errors: closed.errors + rate300.errors + rate100.errors,
        loopDelayP99: loop.percentile(99) / 1e6,
        loopDelayMax: loop.max / 1e6,
        cpuPerWebhookUs300: (cpu300.user + cpu300.system) / Math.max(1, rate300.accepted),
        idleCpuPercent,
      },
    };
  } finally {
    await h.close();
  }
}

const ms = (v: number) => `${v.toFixed(1)} ms`;

export function formatInboundBench(r: InboundBenchResult): string {
  return [
    'inbound (signed Twilio webhooks -> bridge -> fake Slack; load generator in a child process)',
    `  accepted webhooks/s (32 in flight): bridge ${r.bridge.acceptedPerSec.toFixed(0)}, bare express ${r.bare.acceptedPerSec.toFixed(0)} -> ${((100 * r.bridge.acceptedPerSec) / r.bare.acceptedPerSec).toFixed(0)}% of bare`,
    `  webhook ack at 300/s: bridge p50 ${ms(r.bridge.ack300.p50)} p99 ${ms(r.bridge.ack300.p99)} (n=${r.bridge.ack300.count}); bare p50 ${ms(r.bare.ack300.p50)} p99 ${ms(r.bare.ack300.p99)} (target p99 < 20 ms)`,
    `  end-to-end at 100/s (webhook -> Slack thread post): p50 ${ms(r.bridge.e2e100.p50)} p99 ${ms(r.bridge.e2e100.p99)} max ${ms(r.bridge.e2e100.max)} (n=${r.bridge.e2e100.count}, not seen ${r.bridge.lost}; target p99 < 100 ms)`,
    `  bridge event-loop delay during 300/s: p99 ${ms(r.bridge.loopDelayP99)} max ${ms(r.bridge.loopDelayMax)}; bridge process CPU ${r.bridge.cpuPerWebhookUs300.toFixed(0)} us/webhook (ack + delivery + in-process fake Slack); idle ${r.bridge.idleCpuPercent.toFixed(0)}% of a core`,
    `  non-200 answers or errors: ${r.bridge.errors}`,
  ].join('\n');
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  runInboundBench().then(
    (r) => {
      console.log(formatInboundBench(r));
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
