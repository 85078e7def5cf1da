// Memory soak (issue 13, "Memory"): the compiled bridge (dist/src/main.js, as `npm start` runs
// it) in a child process with the local SMS provider and no chat platform, fed 100,000 inbound
// SMS into one unmapped number over real HTTP (the local provider's dev route), its resident
// memory read from its own /metrics (smsb_process_resident_memory_bytes) idle, after 50,000 and
// after 100,000 messages.
//
//   npx tsx bench/memory.ts          (or from bench/run.ts: runMemoryBench + formatMemoryBench)
//   MEMORY_MESSAGES=20000            fewer messages (the figures are then at half and all of them)
//   MEMORY_RUNS=2                    runs, each on a fresh bridge (spread between runs is shown)
//   MEMORY_SNAPSHOTS=<dir>           heap snapshots of the bridge at 0 / half / all, to compare
//                                    (the bridge writes them itself on SIGUSR2)
//
// Targets: idle < 150 MB, < 250 MB after 100,000, < 20 MB growth over the second 50,000.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { freePort } from '../test/support/listen.js';
import { deletePrefix, uniquePrefix, withRedis } from '../test/support/redis.js';
import { LOCAL_INBOUND_PATH } from '../adapters/sms/local/routes.js';

const ROOT = path.resolve(import.meta.dirname, '..');
/** Nobody maps it: every message is stored and queued for a chat that is not there. */
const NUMBER = '+14155550199';
/** Requests in flight: enough to keep the bridge busy on a 2-core machine, not a flood. */
const IN_FLIGHT = 16;
/** Idle before the first reading: start-up garbage collected, timers settled. */
const IDLE_MS = 5_000;
/** After each half, a short pause so the reading is not of a heap in the middle of a burst. */
const SETTLE_MS = 2_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface MemoryRun {
  /** MB of resident memory, as the bridge reports it. */
  idle: number;
  half: number;
  all: number;
  /** Everything /metrics said at each reading (where the resident memory is). */
  samples: { idle: MemorySample; half: MemorySample; all: MemorySample };
  messages: number;
  perSecond: number;
  errors: number;
}

export interface MemoryBenchResult {
  runs: MemoryRun[];
  messages: number;
  /** Medians over the runs. */
  idle: number;
  all: number;
  secondHalfGrowth: number;
}

interface Child {
  child: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

/** The bridge exactly as `npm start` runs it, minus the chat platforms and real providers. */
async function startBridge(adminToken: string): Promise<Child> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'smsb-memory-'));
  const prefix = uniquePrefix();
  const env: Record<string, string | undefined> = { ...process.env };
  for (const k of Object.keys(env)) if (/^(SLACK_|TEAMS_|TWILIO_|EIGHTX8_|DATABASE_URL|PUBLIC_URL|INSTANCE_ID)/.test(k)) delete env[k];
  Object.assign(env, { PORT: String(port), DATA_DIR: dataDir, QUEUE_PREFIX: prefix, ADMIN_TOKEN: adminToken, LOG_LEVEL: 'warn', NODE_ENV: 'production' });
  const snapshots = process.env.MEMORY_SNAPSHOTS;
  const nodeArgs = snapshots ? ['--heapsnapshot-signal=SIGUSR2'] : [];
  // With snapshots it runs from their folder (Node writes them to the working directory).
  const child = spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'dist/src/main.js')], { cwd: snapshots ?? ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`the bridge exited with ${child.exitCode} before /healthz answered`);
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (i > 600) throw new Error('the bridge never answered /healthz');
    await sleep(50);
  }
  return {
    child,
    url,
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(30_000)]);
      rmSync(dataDir, { recursive: true, force: true });
      await withRedis((redis) => deletePrefix(redis, prefix));
    },
  };
}

/** What the bridge says of its memory on /metrics, MB. */
interface MemorySample {
  rss: number;
  /** V8's heap as reserved from the system, and the part of it in use. */
  heapTotal: number;
  heapUsed: number;
  /** Buffers and other memory outside the heap that JS objects hold. */
  external: number;
}

async function sample(url: string): Promise<MemorySample> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const mb = (name: string) => {
    const m = new RegExp(`^smsb_${name} (\\S+)$`, 'm').exec(text);
    if (!m) throw new Error(`/metrics has no smsb_${name}`);
    return Number(m[1]) / 2 ** 20;
  };
  return {
    rss: mb('process_resident_memory_bytes'),
    heapTotal: mb('nodejs_heap_size_total_bytes'),
    heapUsed: mb('nodejs_heap_size_used_bytes'),
    external: mb('nodejs_external_memory_bytes'),
  };
}

/** Asks the bridge for a heap snapshot (MEMORY_SNAPSHOTS) and names it after the moment. */
async function snapshot(b: Child, label: string): Promise<void> {
  const dir = process.env.MEMORY_SNAPSHOTS;
  if (!dir) return;
  const before = new Set(readdirSync(dir));
  b.child.kill('SIGUSR2');
  for (let i = 0; i < 600; i++) {
    await sleep(500);
    const fresh = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    // Written in one go after the walk: present and no longer growing means done.
    if (fresh) {
      await sleep(2_000);
      renameSync(path.join(dir, fresh), path.join(dir, `${label}.heapsnapshot`));
      return;
    }
  }
}

/** Sends messages [from, to) through the dev route, IN_FLIGHT at a time; returns the failures. */
async function send(pool: Pool, adminToken: string, from: number, to: number): Promise<number> {
  let next = from;
  let errors = 0;
  const worker = async () => {
    while (next < to) {
      const i = next++;
      // A thousand contacts: many conversations, as a busy shared number has.
      const body = JSON.stringify({ from: `+1212555${String(2000 + (i % 1000)).padStart(4, '0')}`, to: NUMBER, body: `soak ${i}` });
      try {
        const res = await pool.request({
          path: LOCAL_INBOUND_PATH,
          method: 'POST',
          headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
          body,
        });
        await res.body.dump();
        if (res.statusCode !== 201) errors++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return errors;
}

async function oneRun(messages: number): Promise<MemoryRun> {
  const adminToken = randomBytes(24).toString('hex');
  const b = await startBridge(adminToken);
  const pool = new Pool(b.url, { connections: IN_FLIGHT, pipelining: 1 });
  try {
    await sleep(IDLE_MS);
    const idle = await sample(b.url);
    await snapshot(b, 'idle');
    const t0 = performance.now();
    const half = Math.floor(messages / 2);
    let errors = await send(pool, adminToken, 0, half);
    await sleep(SETTLE_MS);
    const halfS = await sample(b.url);
    await snapshot(b, 'half');
    errors += await send(pool, adminToken, half, messages);
    const elapsed = performance.now() - t0;
    await sleep(SETTLE_MS);
    const all = await sample(b.url);
    await snapshot(b, 'all');
    return { idle: idle.rss, half: halfS.rss, all: all.rss, samples: { idle, half: halfS, all }, messages, perSecond: (messages * 1000) / (elapsed - SETTLE_MS), errors };
  } finally {
    await pool.close();
    await b.stop();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

export async function runMemoryBench(): Promise<MemoryBenchResult> {
  const messages = Number(process.env.MEMORY_MESSAGES ?? 100_000);
  const count = Number(process.env.MEMORY_RUNS ?? 2);
  if (process.env.MEMORY_SNAPSHOTS) mkdirSync(process.env.MEMORY_SNAPSHOTS, { recursive: true });
  // The soak measures the build operators run: bring dist/ up to date first (a no-op when it is).
  const built = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('npm run build failed');
  const runs: MemoryRun[] = [];
  for (let i = 0; i < count; i++) runs.push(await oneRun(messages));
  return {
    runs,
    messages,
    idle: median(runs.map((r) => r.idle)),
    all: median(runs.map((r) => r.all)),
    secondHalfGrowth: median(runs.map((r) => r.all - r.half)),
  };
}

export function formatMemoryBench(r: MemoryBenchResult): string {
  const mb = (v: number) => `${v.toFixed(0)} MB`;
  return [
    `memory soak: ${r.messages} inbound SMS to one unmapped number (local provider, no chat platform, dist build)`,
    ...r.runs.map(
      (x, i) =>
        `  run ${i + 1}: RSS idle ${mb(x.idle)} / after ${x.messages / 2} ${mb(x.half)} / after ${x.messages} ${mb(x.all)}; ` +
        `second half ${x.all - x.half >= 0 ? '+' : ''}${mb(x.all - x.half)}; ${x.perSecond.toFixed(0)} msgs/s, ${x.errors} errors\n` +
        `    V8 heap used/reserved, external: ${(['idle', 'half', 'all'] as const).map((k) => `${x.samples[k].heapUsed.toFixed(0)}/${x.samples[k].heapTotal.toFixed(0)}, ${x.samples[k].external.toFixed(0)}`).join(' -> ')} MB`,
    ),
    `  median: idle ${mb(r.idle)} (target < 150), after ${r.messages} ${mb(r.all)} (target < 250), second-half growth ${mb(r.secondHalfGrowth)} (target < 20)`,
  ].join('\n');
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  runMemoryBench().then(
    (r) => {
      console.log(formatMemoryBench(r));
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
