// Start-up time and idle memory of the bridge as an operator runs it:
//   npx tsx bench/startup.ts                  every mode, 5 starts each, RSS after 30 s idle
//   npx tsx bench/startup.ts dist npm         some modes only
//   STARTUP_RUNS=3 STARTUP_IDLE_S=10 npx tsx bench/startup.ts tsx
// Modes: `tsx` (tsx src/main.ts, what `npm start` ran before the build), `dist` (node on the
// built dist/src/main.js; run `npm run build` first), `npm` (`npm start` itself, npm and its
// prestart check included). Start-up: spawn to the first 200 from /healthz, median of the runs.
// Idle RSS: VmRSS of the bridge's process tree after the last run sat idle (the bridge's own
// process in parentheses; under tsx and npm the tree holds more than one node process).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../test/support/listen.js';
import { deletePrefix, uniquePrefix, withRedis } from '../test/support/redis.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const MODES: Record<string, [string, string[]]> = {
  tsx: [path.join(ROOT, 'node_modules/.bin/tsx'), ['src/main.ts']],
  dist: [process.execPath, ['dist/src/main.js']],
  npm: ['npm', ['start', '--silent']],
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** kB of VmRSS for one pid (0 once it is gone). */
function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** The pid and every descendant (Linux: /proc/<pid>/task/<tid>/children). */
function tree(pid: number): number[] {
  const out = [pid];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const kids = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      for (const k of kids ? kids.split(/\s+/) : []) out.push(...tree(Number(k)));
    }
  } catch {
    // gone meanwhile
  }
  return out;
}


async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).status === 200;
  } catch {
    return false;
  }
}

interface Run {
  startMs: number;
  /** Filled on the run that idled. */
  treeRssMb?: number;
  bridgeRssMb?: number;
}

async function once(mode: string, idleS: number): Promise<Run> {
  const [cmd, args] = MODES[mode]!;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'smsb-startup-'));
  const port = await freePort();
  const prefix = uniquePrefix();
  const env = { ...process.env, PORT: String(port), DATA_DIR: dataDir, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn' };
  const t0 = performance.now();
  const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'], detached: true });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    let startMs = -1;
    while (startMs < 0) {
      if (child.exitCode !== null) throw new Error(`${mode}: exited with ${child.exitCode} before /healthz answered`);
      if (await healthy(`http://127.0.0.1:${port}/healthz`)) startMs = performance.now() - t0;
      else await sleep(20);
    }
    const run: Run = { startMs };
    if (idleS > 0) {
      await sleep(idleS * 1000);
      const pids = tree(child.pid!);
      const sizes = pids.map(rssKb);
      run.treeRssMb = sizes.reduce((a, b) => a + b, 0) / 1024;
      // The bridge is the biggest process of the tree (tsx's and npm's launchers are small).
      run.bridgeRssMb = Math.max(...sizes) / 1024;
    }
    return run;
  } finally {
    // The whole group: npm and tsx relay the signal too, the bridge stops once.
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    await Promise.race([exited, sleep(30_000)]);
    rmSync(dataDir, { recursive: true, force: true });
    await withRedis((redis) => deletePrefix(redis, prefix));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const runs = Number(process.env.STARTUP_RUNS ?? 5);
  const idleS = Number(process.env.STARTUP_IDLE_S ?? 30);
  const modes = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(MODES);
  console.log(`cores ${availableParallelism()}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  for (const mode of modes) {
    if (!MODES[mode]) throw new Error(`unknown mode ${mode}; expected ${Object.keys(MODES).join(', ')}`);
    const results: Run[] = [];
    for (let i = 0; i < runs; i++) results.push(await once(mode, i === runs - 1 ? idleS : 0));
    const last = results[results.length - 1]!;
    const starts = results.map((r) => r.startMs);
    console.log(
      `${mode}: start to /healthz median ${(median(starts) / 1000).toFixed(2)} s (${starts.map((s) => (s / 1000).toFixed(2)).join(' / ')}); ` +
        (last.treeRssMb === undefined ? 'no idle RSS' : `idle RSS after ${idleS} s ${last.treeRssMb.toFixed(0)} MB (bridge process ${last.bridgeRssMb!.toFixed(0)} MB)`),
    );
  }
  console.log(`load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

await main();
