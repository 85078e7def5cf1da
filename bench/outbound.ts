// Outbound pipeline benchmark (issues 4 and 12). Real Redis (127.0.0.1:6379, throwaway prefix), a
// real SQLite file, the real send lane (outbox, turns and leases, ledger, recheck, provider call
// over HTTP) with the throughput caps lifted, and a fake provider that answers at once.
//   1. burst: N messages across M numbers (C conversations per number), stored with their outbox
//      items beforehand (as requestOutbound stores them) and woken as fast as possible; msgs/s from
//      the first wake-up to the last arrival at the provider, p50/p99 latency from the wake-up to
//      the provider receiving the request. Defaults: 20,000 messages, 10 numbers,
//      333 conversations each, so about 6 messages per conversation (a busy support queue: most
//      replies come in short runs to one contact). 20,000 rather than a few thousand because the
//      bare queue clears 3,000 jobs in half a second, a window where start-up and scheduling noise
//      moved the ratio by +-5 points between runs; BENCH_CONVERSATIONS=2000 gives one message per
//      conversation (each turn runs one item: the pipeline's floor).
//   2. bare BullMQ: the same N jobs through a plain queue with a no-op processor, same
//      concurrency, same machine, same run; the ratio is pipeline / bare. Bare and burst run
//      in alternation, BENCH_ROUNDS pairs (default 3), and the pair with the median ratio is
//      reported with every pair's ratio beside it: on a shared 2-core VM one pair of a few
//      seconds each moved by +-7 points between runs (the bare queue's rate alone by +-20%).
//   3. paced: messages enqueued at a steady rate (default 200 msgs/s), p50/p99 latency.
// The fake provider runs in a child process (bench/fakeProviderProcess.ts), as a real provider is
// another machine. Besides msgs/s and latency each run reports the CPU time of this process per
// message, which does not depend on what else the machine is doing.
// Knobs: BENCH_N, BENCH_NUMBERS, BENCH_CONVERSATIONS (per number), BENCH_CONCURRENCY (both
// queues, default 64), BENCH_RATE, BENCH_PACED_SECONDS, BENCH_GROUP_COMMIT (1 disables group
// commit), BENCH_ONLY=pipeline|paced (one part, e.g. with BENCH_PROFILE=<file.cpuprofile>),
// BENCH_PROVIDER=inproc (provider answered in-process without HTTP, for a cost breakdown).
// Both sides run one BullMQ job per message (a wake-up each); a turn runs every ready item of its
// conversation, so most wake-ups of a burst find their item done and end at once.
import { performance } from 'node:perf_hooks';
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { Liveness } from '../src/infra/queue/liveness.js';
import { createOutboundPipeline } from '../src/pipelines.js';
import type { BridgeStore } from '../src/infra/store/index.js';
import { openBenchStore } from './postgres.js';
import { fork, type ChildProcess } from 'node:child_process';
import { httpSmsProvider } from '../test/jobs/support/httpProvider.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

export interface OutboundBenchOptions {
  n: number;
  numbers: number;
  conversationsPerNumber: number;
  concurrency: number;
  pacedRate: number;
  pacedSeconds: number;
  /** Bare/burst pairs measured in alternation; the median pair is reported. */
  rounds: number;
  redisUrl: string;
}

export interface RunStats {
  /** CPU time of this process per message (user + system), µs: independent of machine load. */
  cpuPerMessageUs: number;
  /**
   * CPU time of the Redis server per message (INFO cpu, user + system), µs. Redis is shared, so
   * other clients' work during the run shows here too.
   */
  redisCpuPerMessageUs: number;
  count: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
}

export interface OutboundBenchResult {
  options: OutboundBenchOptions;
  /** The burst and bare runs of the pair with the median ratio. */
  pipeline: RunStats;
  bare: RunStats;
  ratio: number;
  /** pipeline / bare of every pair, in the order measured. */
  ratios: number[];
  paced: RunStats;
}

export function benchOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): OutboundBenchOptions {
  const num = (name: string, fallback: number) => (env[name] ? Number(env[name]) : fallback);
  return {
    n: num('BENCH_N', 20_000),
    numbers: num('BENCH_NUMBERS', 10),
    conversationsPerNumber: num('BENCH_CONVERSATIONS', 333),
    concurrency: num('BENCH_CONCURRENCY', 64),
    pacedRate: num('BENCH_RATE', 200),
    pacedSeconds: num('BENCH_PACED_SECONDS', 10),
    rounds: Math.max(1, num('BENCH_ROUNDS', 3)),
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** The Redis server's own CPU time so far (seconds, user + system). */
async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return field('used_cpu_user') + field('used_cpu_sys');
}

function stats(latencies: number[], start: number, end: number, cpu: NodeJS.CpuUsage, redisCpu: number): RunStats {
  const sorted = [...latencies].sort((a, b) => a - b);
  const seconds = (end - start) / 1000;
  return {
    cpuPerMessageUs: (cpu.user + cpu.system) / latencies.length,
    redisCpuPerMessageUs: (redisCpu * 1e6) / latencies.length,
    count: latencies.length,
    seconds,
    perSecond: latencies.length / seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
  };
}

async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

/** Creates numbers, conversations and `n` queued outbound messages with their outbox items; returns [messageId, conversationId, wake token][]. */
async function seed(store: BridgeStore, o: OutboundBenchOptions, n: number, tag: string): Promise<Array<[string, string, string]>> {
  const convs: string[] = [];
  for (let i = 0; i < o.numbers; i++) {
    const e164 = `+1415${String(2000000 + i).padStart(7, '0')}`;
    if (!(await store.numbers.get(e164))) {
      await store.numbers.create({ e164, provider: 'fake', type: 'local', status: 'active', country: 'US' });
    }
    for (let c = 0; c < o.conversationsPerNumber; c++) {
      const contact = `+1212${String(3000000 + c).padStart(7, '0')}`;
      convs.push((await store.conversations.getOrCreate(e164, contact)).conversation.id);
    }
  }
  const out: Array<[string, string, string]> = [];
  await store.transaction(async () => {
    for (let i = 0; i < n; i++) {
      const conversationId = convs[i % convs.length] as string;
      const { message } = await store.messages.insert({
        conversationId,
        direction: 'outbound',
        body: `bench ${tag} ${i}`,
        status: 'queued',
        provider: 'fake',
        platformMessageId: `bench:${tag}:${i}`,
        encoding: 'GSM-7',
        segments: 1,
        author: { platform: 'slack', userId: 'UBENCH' },
      });
      const item = await store.outbox.add('send', conversationId, message.id);
      out.push([message.id, conversationId, `m${item.seq}`]);
    }
  });
  return out;
}

async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Hand everything over as fast as possible, `window` calls in flight. */
async function burst(items: Array<[string, string, string]>, enqueue: (id: string, conv: string, token: string) => Promise<unknown>, t0: Map<string, number>, window = 200): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const [id, conv, token] = items[next++] as [string, string, string];
      t0.set(id, nowAbs());
      await enqueue(id, conv, token);
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
}

/** The fake provider running in a child process (bench/fakeProviderProcess.ts). */
interface RemoteFake {
  url: string;
  child: ChildProcess;
  /** Arrival times (absolute ms) since the last dump. */
  dump(): Promise<Map<string, number>>;
  count(): Promise<number>;
  stop(): Promise<void>;
}

async function startRemoteFake(): Promise<RemoteFake> {
  const child = fork(new URL('./fakeProviderProcess.ts', import.meta.url).pathname, [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m: { url?: string }) => (m.url ? resolve(m.url) : reject(new Error('fake did not start'))));
    child.once('exit', () => reject(new Error('fake exited')));
  });
  let collected = new Map<string, number>();
  const dump = () =>
    new Promise<Map<string, number>>((resolve) => {
      child.once('message', (m: { arrivals: Array<[string, number]> }) => {
        for (const [id, t] of m.arrivals) collected.set(id, t);
        resolve(collected);
      });
      child.send('dump');
    });
  return {
    url,
    child,
    dump,
    async count() {
      return (await dump()).size;
    },
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.send('stop');
      await exited;
      collected = new Map();
    },
  };
}

/**
 * Called with true when a pipeline run's measured window opens (the pipeline started, before the
 * first wake-up) and false when it closes (the pipeline stopped after the last send): bench/pgRoundTrips.ts counts the
 * database round trips in between.
 */
export const measureHooks: Array<(measuring: boolean) => void> = [];

const env = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);

/** Absolute ms, comparable with the child's timestamps. */
const nowAbs = () => performance.timeOrigin + performance.now();

async function runPipeline(
  o: OutboundBenchOptions,
  store: BridgeStore,
  fake: RemoteFake,
  redis: Redis,
  prefix: string,
  items: Array<[string, string, string]>,
  mode: { pacedRate: number | null },
): Promise<RunStats> {
  // BENCH_PROVIDER=inproc: a provider that answers in-process without HTTP (cost breakdown only).
  const local = new Map<string, number>();
  let seq = 0;
  const http = httpSmsProvider({ id: 'fake', url: fake.url, connections: o.concurrency * 2 });
  const provider =
    process.env.BENCH_PROVIDER === 'inproc'
      ? {
          ...http,
          send: (sms: { messageId: string }) => {
            local.set(sms.messageId, nowAbs());
            return Promise.resolve({ providerMessageId: `L${++seq}`, status: 'queued' as const });
          },
        }
      : http;
  const own = new Redis(o.redisUrl, { maxRetriesPerRequest: null });
  const liveness = new Liveness({ redis: own, prefix, name: `bench-${prefix.slice(-6)}` });
  await liveness.start();
  const pipeline = createOutboundPipeline({
    store,
    clock: { now: () => new Date() },
    redis,
    own,
    prefix,
    liveness,
    providers: (id) => (id === 'fake' ? provider : null),
    notifier: { statusChanged: () => Promise.resolve() },
    // recover off: the messages are seeded before start, and start-up recovery would wake them
    // all itself before the clock starts (and the paced run would see sends before their turn);
    // the sweep is kept out of the way for the same reason.
    options: {
      rateLimits: false,
      concurrency: o.concurrency,
      groupCommitMax: env('BENCH_GROUP_COMMIT', 64),
      recover: false,
      overdueMs: 600_000,
    },
  });
  const t0 = new Map<string, number>();
  const sent = new Set(items.map(([id]) => id));
  await pipeline.start();
  const redis0 = await redisCpuSeconds(redis);
  const cpu0 = process.cpuUsage();
  const start = nowAbs();
  for (const hook of measureHooks) hook(true);
  if (mode.pacedRate === null) {
    await burst(items, (_id, conv, token) => pipeline.wake(conv, token), t0);
  } else {
    const interval = 1000 / mode.pacedRate;
    const pending: Promise<void>[] = [];
    for (let i = 0; i < items.length; i++) {
      const due = start + i * interval;
      const wait = due - nowAbs();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const [id, conv, token] = items[i] as [string, string, string];
      t0.set(id, nowAbs());
      pending.push(pipeline.wake(conv, token));
    }
    await Promise.all(pending);
  }
  let arrivals = new Map<string, number>();
  const deadline = Date.now() + 120_000;
  // Counting arrivals is enough while waiting (the fake records each message id once; checking
  // every id each poll cost the measured process ~2 us per message); all ids are checked once
  // at the end.
  for (;;) {
    arrivals = process.env.BENCH_PROVIDER === 'inproc' ? local : await fake.dump();
    if (arrivals.size >= sent.size && [...sent].every((id) => arrivals.has(id))) break;
    if (Date.now() > deadline) throw new Error('bench: timed out waiting for all sends');
    await new Promise((r) => setTimeout(r, 50));
  }
  const end = Math.max(...items.map(([id]) => arrivals.get(id) as number));
  const cpu = process.cpuUsage(cpu0);
  const redisCpu = (await redisCpuSeconds(redis)) - redis0;
  await pipeline.stop();
  // After stop: the writes that follow the last provider calls (recorded 'sent', item removed).
  for (const hook of measureHooks) hook(false);
  await liveness.stop();
  await own.quit();
  await http.close();
  const latencies = items.map(([id]) => (arrivals.get(id) as number) - (t0.get(id) as number));
  return stats(latencies, start, end, cpu, redisCpu);
}

async function runBare(o: OutboundBenchOptions, redisUrl: string, prefix: string, n: number): Promise<RunStats> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('bare', {
    connection: connection as ConnectionOptions,
    prefix,
    defaultJobOptions: { removeOnComplete: { age: 24 * 3600, count: 10_000 }, removeOnFail: false, attempts: 8 },
  });
  const t0 = new Map<string, number>();
  const done = new Map<string, number>();
  const worker = new Worker(
    'bare',
    async (job) => {
      done.set(job.id as string, nowAbs());
    },
    { connection: connection as ConnectionOptions, prefix, concurrency: o.concurrency, autorun: false },
  );
  void worker.run();
  await worker.waitUntilReady();
  const items: Array<[string, string, string]> = Array.from({ length: n }, (_, i) => [`bare-${i}`, '', '']);
  const redis0 = await redisCpuSeconds(connection);
  const cpu0 = process.cpuUsage();
  const start = nowAbs();
  await burst(items, async (id) => {
    await queue.add('noop', { id }, { jobId: id });
  }, t0);
  await waitUntil(() => done.size >= n, 120_000, 'bare jobs');
  const end = Math.max(...done.values());
  const cpu = process.cpuUsage(cpu0);
  const redisCpu = (await redisCpuSeconds(connection)) - redis0;
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  await connection.quit();
  return stats(items.map(([id]) => (done.get(id) as number) - (t0.get(id) as number)), start, end, cpu, redisCpu);
}

export async function runOutboundBench(o: OutboundBenchOptions = benchOptionsFromEnv()): Promise<OutboundBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'sms-bridge-bench-'));
  const { store, release } = await openBenchStore(join(dir, 'bench.db'));
  const redis = new Redis(o.redisUrl, { maxRetriesPerRequest: null });
  const prefix = `bench-${randomUUID()}`;
  const fake = await startRemoteFake();
  try {
    // Warm-up (JIT, connections, prepared statements) outside the measurements.
    await runPipeline(o, store, fake, redis, `${prefix}-w`, await seed(store, o, 300, 'warm'), { pacedRate: null });
    await runBare(o, o.redisUrl, `${prefix}-wb`, 300);

    const only = process.env.BENCH_ONLY;
    if (only === 'pipeline') {
      const items = await seed(store, o, o.n, 'burst');
      const { Session } = await import('node:inspector/promises');
      const session = new Session();
      session.connect();
      if (process.env.BENCH_PROFILE) {
        await session.post('Profiler.enable');
        // Finer than the default (~1 ms) so per-message costs of a few us show up.
        await session.post('Profiler.setSamplingInterval', { interval: Number(process.env.BENCH_PROFILE_US ?? 200) });
        await session.post('Profiler.start');
      }
      const pipeline = await runPipeline(o, store, fake, redis, `${prefix}-p`, items, { pacedRate: null });
      if (process.env.BENCH_PROFILE) {
        const { profile } = await session.post('Profiler.stop');
        const { writeFileSync } = await import('node:fs');
        writeFileSync(process.env.BENCH_PROFILE, JSON.stringify(profile));
      }
      return { options: o, pipeline, bare: pipeline, ratio: 1, ratios: [1], paced: pipeline };
    }
    if (only === 'paced') {
      const items = await seed(store, o, Math.round(o.pacedRate * o.pacedSeconds), 'paced');
      const { Session } = await import('node:inspector/promises');
      const session = new Session();
      session.connect();
      if (process.env.BENCH_PROFILE) {
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: Number(process.env.BENCH_PROFILE_US ?? 200) });
        await session.post('Profiler.start');
      }
      const paced = await runPipeline(o, store, fake, redis, `${prefix}-r`, items, { pacedRate: o.pacedRate });
      if (process.env.BENCH_PROFILE) {
        const { profile } = await session.post('Profiler.stop');
        const { writeFileSync } = await import('node:fs');
        writeFileSync(process.env.BENCH_PROFILE, JSON.stringify(profile));
      }
      return { options: o, pipeline: paced, bare: paced, ratio: 1, ratios: [1], paced };
    }
    const pairs: Array<{ bare: RunStats; pipeline: RunStats; ratio: number }> = [];
    for (let round = 0; round < o.rounds; round++) {
      const bare = await runBare(o, o.redisUrl, `${prefix}-b`, o.n);
      await deletePrefix(redis, `${prefix}-b`);
      const items = await seed(store, o, o.n, `burst${round}`);
      const pipeline = await runPipeline(o, store, fake, redis, `${prefix}-p`, items, { pacedRate: null });
      await deletePrefix(redis, `${prefix}-p`);
      pairs.push({ bare, pipeline, ratio: pipeline.perSecond / bare.perSecond });
    }
    const { bare, pipeline, ratio } = [...pairs].sort((a, b) => a.ratio - b.ratio)[Math.floor(pairs.length / 2)] as (typeof pairs)[number];
    const pacedCount = Math.round(o.pacedRate * o.pacedSeconds);
    const paced = await runPipeline(o, store, fake, redis, `${prefix}-r`, await seed(store, o, pacedCount, 'paced'), {
      pacedRate: o.pacedRate,
    });
    return { options: o, pipeline, bare, ratio, ratios: pairs.map((p) => p.ratio), paced };
  } finally {
    for (const p of [`${prefix}-w`, `${prefix}-wb`, `${prefix}-b`, `${prefix}-p`, `${prefix}-r`]) await deletePrefix(redis, p);
    await redis.quit();
    await fake.stop();
    await release();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatOutboundBench(r: OutboundBenchResult): string {
  const f = (s: RunStats) =>
    `${s.count} in ${s.seconds.toFixed(2)} s = ${s.perSecond.toFixed(0)} msgs/s, latency p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms, CPU ${s.cpuPerMessageUs.toFixed(0)} us/msg (+ Redis ${s.redisCpuPerMessageUs.toFixed(0)} us/msg)`;
  const o = r.options;
  return [
    `outbound: N=${o.n} across ${o.numbers} numbers x ${o.conversationsPerNumber} conversations, concurrency ${o.concurrency}, caps lifted`,
    `  pipeline (enqueue -> provider), median pair: ${f(r.pipeline)}`,
    `  bare BullMQ no-op, median pair:              ${f(r.bare)}`,
    `  ratio pipeline/bare: ${(r.ratio * 100).toFixed(0)}%, median of ${r.ratios.length} pairs (${r.ratios.map((x) => `${(x * 100).toFixed(0)}%`).join(', ')}; target >= 40%)`,
    `  paced ${o.pacedRate} msgs/s for ${o.pacedSeconds} s: ${f(r.paced)} (target p99 < 50 ms)`,
  ].join('\n');
}
