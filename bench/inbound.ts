// Inbound benchmark (issue 5): signed Twilio webhooks at a fixed rate into the running bridge
// (real express app and Twilio route, real SQLite, real BullMQ delivery on Redis, the Slack
// adapter posting to a fake Slack that answers at once), beside a bare express handler measured
// in the same run as the ratio.
//
//   npx tsx bench/inbound.ts            (or from bench/run.ts: runInboundBench + formatInboundBench)
//   BENCH_SLACK=inprocess               the fake Slack inside the bridge's process (the old setup)
//   BENCH_PROFILE=<file.cpuprofile>     CPU profile of the bridge's process during the 300/s phase
//   BENCH_DELIVERY_YIELD=0, BENCH_DELIVERY_CONCURRENCY=<n>   A/B knobs (defaults: what
//                                       src/wiring.ts runs); printed with the result
//   BENCH_NO_DELIVERY=1                 diagnostic only: the delivery worker does not run, so the
//                                       acks are measured alone (nothing is posted to Slack)
//   BENCH_NO_AUTOCHECKPOINT=1           diagnostic only: no WAL checkpoints at all (not a setting
//                                       the bridge may run with; shows what checkpoint stalls cost)
//
// Reports: accepted webhooks/s (closed loop, 32 in flight), webhook ack latency p50/p99 at 300/s,
// and end-to-end (webhook sent -> message posted in the Slack thread) p50/p99 at 100/s.
// The load generator runs in a child process (bench/inboundLoad.ts). The fake Slack runs in a
// child process too by default (bench/fakeSlackProcess.ts): real Slack is another machine, and
// in the bridge's process the fake's work would be billed to the bridge (CPU per webhook and the
// event loop the acks wait on). Other work on the machine shows in the numbers: they are a floor.

import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import express from 'express';
import type { AppContext } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createHttpApp } from '../src/http/app.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { buildBridgeParts } from '../src/wiring.js';
import { redisCoordination } from '../src/infra/coordination/index.js';
import { quotedText, startFakeSlack } from '../test/fakes/fakeSlack.js';
import { listen, type Listening } from '../test/support/listen.js';
import { deletePrefix, newRedis, REDIS_URL, uniquePrefix } from '../test/support/redis.js';
import { openBenchStore } from './postgres.js';
import type { LoadArgs, LoadResult } from './inboundLoad.js';

const OUR = '+14155552671';
const CHANNEL = 'C0SMS';
const PUBLIC_URL = 'http://bridge.test';
const TWILIO = { accountSid: 'ACbench00000000000000000000000000', authToken: randomBytes(16).toString('hex') };

export type SlackMode = 'child' | 'inprocess';

export interface LatencyStats {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface InboundBenchResult {
  /** Where the fake Slack ran: its own process (like real Slack) or inside the bridge's. */
  slack: SlackMode;
  /** Non-default delivery worker settings of this run (A/B knobs), '' when none. */
  knobs: string;
  /** cpuPerRequestUs300: CPU of this process per request at 300/s (the bare handler's cost). */
  bare: { acceptedPerSec: number; ack300: LatencyStats; cpuPerRequestUs300: number };
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
     * ack, delivery job and Slack post (plus the fake Slack when it shares the process), plus
     * the idle cost below. Less dependent on other work on the machine than latencies are.
     */
    cpuPerWebhookUs300: number;
    /** The same for the main thread alone (the event loop the acks wait on); NaN off Linux. */
    mainThreadCpuPerWebhookUs300: number;
    /** CPU the bridge's process uses with no traffic at all (queue polling, timers), % of a core. */
    idleCpuPercent: number;
  };
}

/**
 * CPU time (µs) of this process's main thread alone (Linux: /proc/self/task/<pid>/stat), i.e. the
 * event loop that answers webhooks, without GC helper threads or the WAL checkpointer. NaN when
 * /proc is not there.
 */
function mainThreadCpuUs(): number {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime and stime are fields 14 and 15 of stat; fields[0] here is field 3 (state).
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks / 100) * 1e6;
  } catch {
    return NaN;
  }
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

function bareServer(): Promise<Listening> {
  const app = express();
  app.post('/webhooks/twilio/sms', express.urlencoded({ extended: false }), (_req, res) => {
    res.type('text/xml').send('<Response/>');
  });
  return listen(app);
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

/** The fake Slack as the bridge sees it: an API URL, plus what the benchmark reads back. */
interface BenchSlack {
  apiUrl: string;
  botToken: string;
  /** Messages posted so far (thread roots included). */
  count(): Promise<number>;
  /** [text, arrival epoch ms] of every post since the previous call. */
  arrivals(): Promise<Array<[string, number]>>;
  close(): Promise<void>;
}

async function inProcessSlack(): Promise<BenchSlack> {
  const fake = await startFakeSlack();
  fake.addChannel(CHANNEL, 'sms-desk');
  let arrivals: Array<[string, number]> = [];
  fake.onPost = (m) => {
    // The SMS text: the quote of a message post, else the text (thread roots).
    const said = quotedText(m) ?? m.text;
    if (said) arrivals.push([said, performance.timeOrigin + performance.now()]);
  };
  return {
    apiUrl: fake.apiUrl,
    botToken: fake.botToken,
    count: async () => fake.messages.length,
    async arrivals() {
      const a = arrivals;
      arrivals = [];
      return a;
    },
    close: () => fake.close(),
  };
}

const SLACK_SCRIPT = fileURLToPath(new URL('./fakeSlackProcess.ts', import.meta.url));

async function childSlack(): Promise<BenchSlack> {
  const child: ChildProcess = fork(SLACK_SCRIPT, [CHANNEL], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = <T>(msg: string, key: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const on = (m: unknown) => {
        if (m && typeof m === 'object' && key in m) {
          child.off('message', on);
          child.off('exit', onExit);
          resolve(m as T);
        }
      };
      const onExit = (code: number | null) => reject(new Error(`fake Slack process exited (${code})`));
      child.on('message', on);
      child.once('exit', onExit);
      if (msg) child.send(msg);
    });
  const hello = await ask<{ apiUrl: string; botToken: string }>('', 'apiUrl');
  return {
    apiUrl: hello.apiUrl,
    botToken: hello.botToken,
    count: async () => (await ask<{ count: number }>('count', 'count')).count,
    arrivals: async () => (await ask<{ arrivals: Array<[string, number]> }>('dump', 'arrivals')).arrivals,
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.send('stop');
      }),
  };
}

interface BenchBridge {
  url: string;
  close(): Promise<void>;
}

/**
 * The bridge as src/wiring.ts builds it for Twilio + Slack (buildBridgeParts: same queue,
 * pipeline and adapter defaults; only Slack pacing off and the A/B knobs), on a temp SQLite
 * file and a unique Redis prefix, with the number mapped to CHANNEL.
 */
async function startBridge(slack: BenchSlack): Promise<BenchBridge> {
  const prefix = uniquePrefix();
  const temp = { dir: mkdtempSync(join(tmpdir(), 'sms-bridge-bench-')) };
  const config = loadConfig({
    PORT: '0',
    PUBLIC_URL,
    DATA_DIR: temp.dir,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: randomBytes(16).toString('hex'),
    SLACK_API_URL: slack.apiUrl,
    TWILIO_ACCOUNT_SID: TWILIO.accountSid,
    TWILIO_AUTH_TOKEN: TWILIO.authToken,
    // Never called: inbound only (outbound has its own benchmark).
    TWILIO_API_URL: 'http://127.0.0.1:9',
  });
  const logger = createLogger({ level: 'silent' });
  const redis = newRedis();
  const own = newRedis();
  const clock = { now: () => new Date() };
  // DIAGNOSTIC ONLY (BENCH_NO_AUTOCHECKPOINT=1): no WAL auto-checkpoint in the bridge's
  // connection, to measure what the checkpoints' synchronous I/O stalls cost the acks. Not a
  // production setting (the WAL would grow without bound); printed with the result.
  const { store, release } = await openBenchStore(join(temp.dir, 'bench.db'));
  if (process.env.BENCH_NO_AUTOCHECKPOINT === '1') store.db.pragma('wal_autocheckpoint = 0');
  const ctx: AppContext = { config, logger, store, redis, own, metrics: createMetrics({ defaultMetrics: false }), clock, ...redisCoordination(own, config.queuePrefix) };
  const built = await buildBridgeParts(ctx, {
    // A/B knobs only (defaults are what src/wiring.ts runs): BENCH_DELIVERY_YIELD=0 turns the
    // delivery worker's per-turn yielding off, BENCH_DELIVERY_CONCURRENCY=<n> sets its concurrency.
    delivery: {
      yieldToLoop: process.env.BENCH_DELIVERY_YIELD === '0' ? false : undefined,
      concurrency: process.env.BENCH_DELIVERY_CONCURRENCY ? Number(process.env.BENCH_DELIVERY_CONCURRENCY) : undefined,
    },
    slackPace: null,
  });
  const { outbound, delivery } = built;
  if (!built.slack) throw new Error('Slack is not configured');
  const slackRt = built.slack;
  await store.numbers.create({ e164: OUR, provider: 'twilio', type: 'local', status: 'active', country: 'US' });
  await store.mappings.create({ number: OUR, platform: 'slack', channel: CHANNEL });
  await built.liveness.start();
  await slackRt.start();
  await outbound.start();
  if (process.env.BENCH_NO_DELIVERY !== '1') await delivery.start();
  const app = createHttpApp(ctx, built.parts.mounts ?? []);
  const http = await listen(app);
  return {
    url: http.url,
    async close() {
      await http.close();
      await slackRt.stop();
      await delivery.stop();
      await outbound.stop();
      await built.liveness.stop();
      await own.quit();
      await deletePrefix(redis, prefix);
      await redis.quit();
      await release();
      rmSync(temp.dir, { recursive: true, force: true });
    },
  };
}

/** Waits until nothing new has been posted to the fake Slack for a second (backlog drained). */
async function waitDrained(slack: BenchSlack): Promise<void> {
  const until = Date.now() + 120_000;
  let last = -1;
  while (Date.now() < until) {
    const posted = await slack.count();
    if (posted === last) return;
    last = posted;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export async function runInboundBench(opts: { seconds?: number; slack?: SlackMode } = {}): Promise<InboundBenchResult> {
  const seconds = opts.seconds ?? 5;
  const mode: SlackMode = opts.slack ?? (process.env.BENCH_SLACK === 'inprocess' ? 'inprocess' : 'child');

  const bare = await bareServer();
  const bareArgs = { url: bare.url, publicUrl: PUBLIC_URL, authToken: 'x', accountSid: 'ACx', to: OUR };
  await load({ ...bareArgs, mode: 'closed', concurrency: 8, seconds: 1, offset: 0 }); // warm-up
  const bareClosed = await load({ ...bareArgs, mode: 'closed', concurrency: 32, seconds: 3, offset: 10_000 });
  const bareCpu0 = process.cpuUsage();
  const bareRate = await load({ ...bareArgs, mode: 'rate', rate: 300, seconds, offset: 100_000 });
  const bareCpu = process.cpuUsage(bareCpu0);
  const bareCpuPerRequestUs = (bareCpu.user + bareCpu.system) / Math.max(1, bareRate.accepted + bareRate.warmup);
  await bare.close();

  const slack = mode === 'child' ? await childSlack() : await inProcessSlack();
  const bridge = await startBridge(slack).catch(async (err: unknown) => {
    await slack.close();
    throw err;
  });
  try {
    const args = { url: bridge.url, publicUrl: PUBLIC_URL, authToken: TWILIO.authToken, accountSid: TWILIO.accountSid, to: OUR };
    await load({ ...args, mode: 'closed', concurrency: 8, seconds: 1, offset: 0 }); // warm-up, creates threads
    if (process.env.BENCH_NO_DELIVERY !== '1') await waitDrained(slack);
    const closed = await load({ ...args, mode: 'closed', concurrency: 32, seconds: 3, offset: 10_000 });
    if (process.env.BENCH_NO_DELIVERY !== '1') await waitDrained(slack);
    // The bridge's event-loop delay during the 300/s phase: tells stalls in this process apart
    // from waits elsewhere (Redis, other processes on the machine).
    const loop = monitorEventLoopDelay({ resolution: 5 });
    // BENCH_PROFILE=<file.cpuprofile>: a CPU profile of the bridge's process during this phase.
    const profiler = process.env.BENCH_PROFILE ? await startProfiler() : null;
    const cpu0 = process.cpuUsage();
    const main0 = mainThreadCpuUs();
    loop.enable();
    const rate300 = await load({ ...args, mode: 'rate', rate: 300, seconds, offset: 100_000 });
    loop.disable();
    const cpu300 = process.cpuUsage(cpu0);
    const main300 = mainThreadCpuUs() - main0;
    if (process.env.BENCH_NO_DELIVERY !== '1') await waitDrained(slack);
    const idle0 = process.cpuUsage();
    const idleStart = performance.now();
    await new Promise((r) => setTimeout(r, 2000));
    const idle = process.cpuUsage(idle0);
    const idleCpuPercent = ((idle.user + idle.system) / 1000 / (performance.now() - idleStart)) * 100;
    if (profiler) await profiler.stop(process.env.BENCH_PROFILE as string);

    // End to end at 100/s: webhook sent (child's clock, epoch ms) -> its text posted to Slack
    // (the fake's clock, epoch ms; same machine, so comparable).
    await slack.arrivals(); // forget earlier phases
    const postedAt = new Map<string, number>();
    const collect = async () => {
      for (const [text, at] of await slack.arrivals()) postedAt.set(text, at);
    };
    const rate100 = await load({ ...args, mode: 'rate', rate: 100, seconds, offset: 200_000 });
    const until = Date.now() + 30_000;
    await collect();
    while (postedAt.size < rate100.sent.length && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      await collect();
    }
    const e2e = rate100.sent.flatMap((s) => {
      const at = postedAt.get(`bench ${s.i}`);
      return at === undefined ? [] : [at - s.at];
    });
    return {
      slack: mode,
      knobs: ['BENCH_DELIVERY_YIELD', 'BENCH_DELIVERY_CONCURRENCY', 'BENCH_NO_AUTOCHECKPOINT', 'BENCH_NO_DELIVERY']
        .filter((k) => process.env[k])
        .map((k) => `${k}=${process.env[k]}`)
        .join(' '),
      bare: { acceptedPerSec: bareClosed.accepted / (bareClosed.elapsedMs / 1000), ack300: stats(bareRate.latencies), cpuPerRequestUs300: bareCpuPerRequestUs },
      bridge: {
        acceptedPerSec: closed.accepted / (closed.elapsedMs / 1000),
        ack300: stats(rate300.latencies),
        e2e100: stats(e2e),
        lost: rate100.sent.length - e2e.length,
        errors: closed.errors + rate300.errors + rate100.errors,
        loopDelayP99: loop.percentile(99) / 1e6,
        loopDelayMax: loop.max / 1e6,
        cpuPerWebhookUs300: (cpu300.user + cpu300.system) / Math.max(1, rate300.accepted + rate300.warmup),
        mainThreadCpuPerWebhookUs300: main300 / Math.max(1, rate300.accepted + rate300.warmup),
        idleCpuPercent,
      },
    };
  } finally {
    await bridge.close();
    await slack.close();
  }
}

const ms = (v: number) => `${v.toFixed(1)} ms`;

export function formatInboundBench(r: InboundBenchResult): string {
  return [
    `inbound (signed Twilio webhooks -> bridge -> fake Slack ${r.slack === 'child' ? 'in a child process' : 'INSIDE the bridge process'}; load generator in a child process)${r.knobs ? `; ${r.knobs}` : ''}`,
    `  accepted webhooks/s (32 in flight): bridge ${r.bridge.acceptedPerSec.toFixed(0)}, bare express ${r.bare.acceptedPerSec.toFixed(0)} -> ${((100 * r.bridge.acceptedPerSec) / r.bare.acceptedPerSec).toFixed(0)}% of bare`,
    `  webhook ack at 300/s: bridge p50 ${ms(r.bridge.ack300.p50)} p99 ${ms(r.bridge.ack300.p99)} (n=${r.bridge.ack300.count}); bare p50 ${ms(r.bare.ack300.p50)} p99 ${ms(r.bare.ack300.p99)} (target p99 < 20 ms)`,
    `  end-to-end at 100/s (webhook -> Slack thread post): p50 ${ms(r.bridge.e2e100.p50)} p99 ${ms(r.bridge.e2e100.p99)} max ${ms(r.bridge.e2e100.max)} (n=${r.bridge.e2e100.count}, not seen ${r.bridge.lost}; target p99 < 100 ms)`,
    `  bridge event-loop delay during 300/s: p99 ${ms(r.bridge.loopDelayP99)} max ${ms(r.bridge.loopDelayMax)}; bridge process CPU ${r.bridge.cpuPerWebhookUs300.toFixed(0)} us/webhook (main thread ${r.bridge.mainThreadCpuPerWebhookUs300.toFixed(0)}) (ack + delivery${r.slack === 'inprocess' ? ' + in-process fake Slack' : ''}), bare express ${r.bare.cpuPerRequestUs300.toFixed(0)} us/request; idle ${r.bridge.idleCpuPercent.toFixed(0)}% of a core`,
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
