// Start-up time and idle memory of the bridge as an operator runs it:
//   npx tsx bench/startup.ts                  every mode, 5 starts each, RSS after 30 s idle
//   npx tsx bench/startup.ts dist npm         some modes only
//   STARTUP_RUNS=3 STARTUP_IDLE_S=10 STARTUP_RSS_SAMPLES=1 npx tsx bench/startup.ts tsx
// Modes, run in alternation: `tsx` (tsx src/main.ts, what `npm start` ran before the build),
// `dist` (node on the built dist/src/main.js; run `npm run build` first), `npm` (`npm start`
// itself, npm and its prestart check included). Start-up: spawn to the first 200 from
// /healthz, median of the runs.
// Idle RSS: VmRSS of the bridge's process tree after idling (under tsx and npm the tree holds
// more than one node process; the bridge's own is printed too), median of 3 side by side.
import { spawn, type ChildProcess } from 'node:child_process';
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

/** One bridge started the way `mode` starts it, with its own port, DATA_DIR and queue prefix. */
interface Launched {
  child: ChildProcess;
  /** ms from spawn to the first 200 from /healthz. */
  ready: Promise<number>;
  stop(): Promise<void>;
}

function launch(mode: string, port: number): Launched {
  const [cmd, args] = MODES[mode]!;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'smsb-startup-'));
  const prefix = uniquePrefix();
  const env = { ...process.env, PORT: String(port), DATA_DIR: dataDir, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn' };
  const t0 = performance.now();
  // Its own process group: stop() signals npm, tsx and the bridge together, as a terminal does.
  const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'], detached: true });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const ready = (async () => {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${mode}: exited with ${child.exitCode} before /healthz answered`);
      if (await healthy(`http://127.0.0.1:${port}/healthz`)) return performance.now() - t0;
      await sleep(20);
    }
  })();
  const stop = async () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    await Promise.race([exited, sleep(30_000)]);
    rmSync(dataDir, { recursive: true, force: true });
    await withRedis((redis) => deletePrefix(redis, prefix));
  };
  return { child, ready, stop };
}

/** MB of VmRSS: the whole process tree, and its biggest process (the bridge; launchers are small). */
function rssOf(pid: number): { tree: number; bridge: number } {
  const sizes = tree(pid).map(rssKb);
  return { tree: sizes.reduce((a, b) => a + b, 0) / 1024, bridge: Math.max(...sizes) / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

async function main(): Promise<void> {
  const runs = Number(process.env.STARTUP_RUNS ?? 5);
  const idleS = Number(process.env.STARTUP_IDLE_S ?? 30);
  const rssSamples = Number(process.env.STARTUP_RSS_SAMPLES ?? 3);
  const modes = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(MODES);
  for (const mode of modes) if (!MODES[mode]) throw new Error(`unknown mode ${mode}; expected ${Object.keys(MODES).join(', ')}`);
  console.log(`cores ${availableParallelism()}, load ${load()}`);

  // Start-up, one bridge at a time, modes in alternation: the load of a shared machine drifts,
  // and each mode sees the same drift.
  const starts = new Map<string, number[]>(modes.map((m) => [m, []]));
  for (let i = 0; i < runs; i++) {
    for (const mode of modes) {
      const b = launch(mode, await freePort());
      try {
        starts.get(mode)!.push(await b.ready);
      } finally {
        await b.stop();
      }
    }
  }

  // Idle RSS: a few bridges of every mode idle side by side (idle costs no CPU), so GC timing
  // shows as spread, not as a difference between modes. Median per mode.
  const idle: Array<{ mode: string; b: Launched }> = [];
  for (const mode of modes) for (let i = 0; i < rssSamples; i++) idle.push({ mode, b: launch(mode, await freePort()) });
  try {
    await Promise.all(idle.map((x) => x.b.ready));
    await sleep(idleS * 1000);
    for (const mode of modes) {
      const rss = idle.filter((x) => x.mode === mode).map((x) => rssOf(x.b.child.pid!));
      const ms = starts.get(mode)!;
      console.log(
        `${mode}: start to /healthz median ${(median(ms) / 1000).toFixed(2)} s (${ms.map((s) => (s / 1000).toFixed(2)).join(' / ')}); ` +
          `idle RSS after ${idleS} s median ${median(rss.map((r) => r.tree)).toFixed(0)} MB (${rss.map((r) => r.tree.toFixed(0)).join(' / ')}), ` +
          `bridge process ${median(rss.map((r) => r.bridge)).toFixed(0)} MB`,
      );
    }
  } finally {
    await Promise.all(idle.map((x) => x.b.stop()));
  }
  console.log(`load ${load()}`);
}

await main();
