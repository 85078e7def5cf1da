// How every fuzz property runs: bounded in count (FUZZ_RUNS scales it, e.g. FUZZ_RUNS=2000 for a
// long local run) and in time (a budget per property, after which fast-check stops and counts the
// run as passed), and replayable: a failure names its seed and path, and FUZZ_SEED / FUZZ_PATH
// run exactly that case again.
//
//   FUZZ_SEED=123 FUZZ_PATH="4:1:0" npx vitest run test/fuzz/slack.fuzz.test.ts -t "signed"

import fc from 'fast-check';
import { it } from 'vitest';

export interface FuzzBounds {
  /** Cases per property by default. */
  runs: number;
  /** Stop generating new cases after this long (ms); FUZZ_RUNS lifts it to 10 minutes. */
  budgetMs: number;
}

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new Error(`${name} must be an integer, got "${raw}"`);
  return n;
}

export function fuzzParameters<T>(bounds: FuzzBounds): fc.Parameters<T> {
  const runs = envInt('FUZZ_RUNS');
  const seed = envInt('FUZZ_SEED');
  const path = process.env.FUZZ_PATH || undefined;
  return {
    numRuns: runs ?? bounds.runs,
    ...(seed === undefined ? {} : { seed }),
    ...(path === undefined ? {} : { path }),
    plugins: [fc.interruptAfterTimeLimit(runs === undefined ? bounds.budgetMs : 10 * 60_000)],
  };
}

/** Long runs (FUZZ_RUNS) get ten minutes; bounded ones their budget plus time to shrink a failure. */
function testTimeout(bounds: FuzzBounds): number {
  return process.env.FUZZ_RUNS ? 11 * 60_000 : bounds.budgetMs + 20_000;
}

/**
 * A test that checks `property(context)` within `bounds`. The property is built when the test
 * runs, so `context` (the file's fuzz bridge) is started by then. `after` runs when it passed.
 */
export function fuzzIt<C, T>(context: C, name: string, bounds: FuzzBounds, property: (context: C) => fc.IAsyncPropertyWithHooks<T>, after?: () => void): void {
  it(name, async () => {
    await checkProperty(name, property(context), bounds);
    after?.();
  }, testTimeout(bounds));
}

/** Runs `property`; on failure throws with the counterexample and how to replay it. */
export async function checkProperty<T>(what: string, property: fc.IAsyncPropertyWithHooks<T>, bounds: FuzzBounds): Promise<void> {
  const out = await fc.check(property, fuzzParameters<T>(bounds));
  if (process.env.FUZZ_VERBOSE) console.log(`${what}: ${out.numRuns} cases${out.interrupted ? ' (time budget reached)' : ''}, seed ${out.seed}`);
  if (!out.failed) return;
  const report = (await fc.asyncDefaultReportMessage(out)) ?? 'failed';
  const cause = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance ?? '');
  throw new Error(
    `${what}: ${report}\n\n${cause}\n\nReplay: FUZZ_SEED=${out.seed}${out.counterexamplePath ? ` FUZZ_PATH="${out.counterexamplePath}"` : ''} npx vitest run <this file> -t "${what}"`,
  );
}

/** Answers seen per label ("event 200"), printed with FUZZ_VERBOSE: shows what a property reached. */
export class Tally {
  private readonly counts = new Map<string, number>();
  add(label: string): void {
    this.counts.set(label, (this.counts.get(label) ?? 0) + 1);
  }
  print(what: string): void {
    if (!process.env.FUZZ_VERBOSE) return;
    const rows = [...this.counts].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `  ${k}: ${n}`);
    console.log(`${what}:\n${rows.join('\n')}`);
  }
}
