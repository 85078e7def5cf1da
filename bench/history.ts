// History speed (issue 14, "Speed"): one conversation of 100,000 messages (plus a few smaller
// ones) in the store, on SQLite (a temp file) and on Postgres, the same rows on both.
//
//   npx tsx bench/history.ts          (or `npm run bench history`: runHistoryBench + formatHistoryBench)
//   HISTORY_MESSAGES=20000            messages in the big conversation (default 100,000)
//   HISTORY_RUNS=50                   timed runs of each query (default 100, after 5 warm-up runs)
//   DATABASE_URL=postgres://...       the Postgres server to use; by default a fresh database on
//                                     postgres@127.0.0.1:5432, dropped at the end
//
// Measures, p50/p99 of each: the latest page of the big conversation (the admin API's first
// page, 200 messages from the newest), and searches (100 hits at most, newest first, as the admin
// API's default) for a common word, a rare word, digits, a 2-letter text (a scan: too short for
// the trigram index) and a text found nowhere. Checks that both engines return the same ids for
// each search, and that they are the ids the plain scan (the query before the index) returns.
// Targets: latest page < 5 ms, search < 50 ms, on both engines.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStore, type BridgeStore } from '../src/infra/store/index.js';
import { containsPattern, foldAscii, lowerAscii, rowOrder } from '../src/infra/store/shared.js';
import { postgresUrl } from './postgres.js';

const NUMBER = '+12025550100';
const CONTACT = '+14155550123';
/** Rows per INSERT while seeding (18 parameters each: well under both engines' limits). */
const BATCH = 500;
const PAGE_SIZE = 200;
const WARMUP = 5;

/** The searches timed: [label, text]. */
export const SEARCHES: ReadonlyArray<readonly [string, string]> = [
  ['common word', 'thanks'],
  ['rare word', 'Zeppelin'],
  ['digits', '4821'],
  ['2 letters (scan)', 'ok'],
  ['no match', 'xylophone'],
];

export interface Timing {
  p50: number;
  p99: number;
}

export interface EngineResult {
  engine: string;
  seedSeconds: number;
  latestPage: Timing;
  searches: Array<{ label: string; text: string; hits: number; timing: Timing }>;
}

export interface HistoryBenchResult {
  messages: number;
  runs: number;
  engines: EngineResult[];
  /** Labels of the searches whose ids differ between the engines, or from the plain scan. */
  mismatches: string[];
}

// Deterministic corpus: the same bodies, ids and times on both engines.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  'hello', 'Thanks', 'thanks', 'see', 'you', 'tomorrow', 'at', 'the', 'office', 'Order', 'order', 'is', 'ready',
  'please', 'call', 'me', 'back', 'OK', 'ok', 'delivery', 'window', 'between', 'and', 'café', 'Größe', 'über',
  'naïve', 'ÉTÉ', '😀', 'invoice', 'attached', 'payment', 'received', 'appointment', 'confirmed', '50%', 'file_name',
];

function body(next: () => number, i: number): string {
  const n = 3 + Math.floor(next() * 12);
  const words: string[] = [];
  for (let w = 0; w < n; w++) words.push(WORDS[Math.floor(next() * WORDS.length)] as string);
  if (next() < 0.3) words.push(`#${Math.floor(next() * 100_000)}`);
  if (i % 5000 === 17) words.push('zeppelin');
  return words.join(' ');
}

export async function seedHistory(store: BridgeStore, messages: number): Promise<void> {
  const big = (await store.conversations.getOrCreate(NUMBER, CONTACT)).conversation.id;
  const others: string[] = [];
  for (let k = 0; k < 4; k++) others.push((await store.conversations.getOrCreate(NUMBER, `+1415555020${k}`)).conversation.id);
  const next = rng(14);
  const t0 = Date.UTC(2025, 0, 1);
  const total = messages + others.length * 2_500;
  const cols = 10;
  const sql = (rows: number) =>
    `INSERT INTO messages (id, conversation_id, direction, body, status, encoding, segments, other_recipients, created_at, updated_at) VALUES ${Array.from(
      { length: rows },
      () => `(${Array(cols).fill('?').join(', ')})`,
    ).join(', ')}`;
  for (let start = 0; start < total; start += BATCH) {
    const params: Array<string | number> = [];
    const rows = Math.min(BATCH, total - start);
    for (let i = start; i < start + rows; i++) {
      // Every 5th message goes to a smaller conversation; bursts of 3 share a millisecond.
      const conv = i % 5 === 4 && i / 5 < others.length * 2_500 ? (others[i % others.length] as string) : big;
      const inbound = next() < 0.5;
      const at = new Date(t0 + Math.floor(i / 3) * 1000).toISOString();
      params.push(
        `bench-${String(i).padStart(7, '0')}`, conv, inbound ? 'inbound' : 'outbound', body(next, i),
        inbound ? 'received' : 'delivered', 'UCS-2', 1, '[]', at, at,
      );
    }
    await store.sql.run(sql(rows), params);
  }
}

function timing(samples: number[]): Timing {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? NaN;
  return { p50: at(0.5), p99: at(0.99) };
}

async function time(runs: number, fn: () => Promise<unknown>): Promise<Timing> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return timing(samples);
}

/** The search as it was before migration 009 (a scan, no candidates): the results to match. */
function scanSql(store: BridgeStore): string {
  const db = store.sql;
  return `SELECT m.id FROM messages m WHERE ${foldAscii(db, 'm.body')} LIKE ? ESCAPE '\\'
    ORDER BY m.created_at DESC, m.${rowOrder(db)} DESC LIMIT 100`;
}

async function benchEngine(
  engine: string,
  store: BridgeStore,
  opts: { messages: number; runs: number },
  ids: Map<string, string[]>,
  mismatches: string[],
): Promise<EngineResult> {
  const t = Date.now();
  await seedHistory(store, opts.messages);
  // A live database has statistics (autovacuum's ANALYZE); a just-filled one not yet.
  if (store.engine === 'postgres') await store.sql.exec('ANALYZE');
  const seedSeconds = (Date.now() - t) / 1000;
  const big = (await store.conversations.getOrCreate(NUMBER, CONTACT)).conversation.id;
  const latestPage = await time(opts.runs, () => store.messages.pageForConversation(big, { from: 'newest', limit: PAGE_SIZE }));
  const searches: EngineResult['searches'] = [];
  for (const [label, text] of SEARCHES) {
    const found = (await store.messages.search({ text })).map((m) => m.id);
    const scanned = (await store.sql.all<{ id: string }>(scanSql(store), [lowerAscii(containsPattern(text))])).map((r) => r.id);
    if (found.join() !== scanned.join()) mismatches.push(`${label}: ${engine} index vs scan`);
    const other = ids.get(label);
    if (other === undefined) ids.set(label, found);
    else if (other.join() !== found.join()) mismatches.push(`${label}: engines differ`);
    searches.push({
      label,
      text,
      hits: found.length,
      timing: await time(opts.runs, () => store.messages.search({ text })),
    });
  }
  return { engine, seedSeconds, latestPage, searches };
}

export async function runHistoryBench(): Promise<HistoryBenchResult> {
  const messages = Number(process.env.HISTORY_MESSAGES ?? 100_000);
  const runs = Number(process.env.HISTORY_RUNS ?? 100);
  const ids = new Map<string, string[]>();
  const mismatches: string[] = [];
  const engines: EngineResult[] = [];

  const dir = mkdtempSync(path.join(tmpdir(), 'sms-bridge-history-'));
  try {
    const store = await openStore({ file: path.join(dir, 'history.db') });
    try {
      engines.push(await benchEngine('SQLite', store, { messages, runs }, ids, mismatches));
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const { url, drop } = await postgresUrl();
  try {
    const store = await openStore({ databaseUrl: url });
    try {
      engines.push(await benchEngine('Postgres', store, { messages, runs }, ids, mismatches));
    } finally {
      await store.close();
    }
  } finally {
    await drop();
  }
  return { messages, runs, engines, mismatches };
}

export function formatHistoryBench(r: HistoryBenchResult): string {
  const ms = (v: number) => `${v.toFixed(2)} ms`;
  const lines = [`history: ${r.messages} messages in one conversation (+10,000 in 4 others), ${r.runs} timed runs each`];
  for (const e of r.engines) {
    lines.push(`  ${e.engine} (seeded in ${e.seedSeconds.toFixed(1)} s)`);
    lines.push(`    latest page (${PAGE_SIZE}): p50 ${ms(e.latestPage.p50)} p99 ${ms(e.latestPage.p99)} (target < 5 ms)`);
    for (const s of e.searches) {
      lines.push(
        `    search ${s.label} ${JSON.stringify(s.text)} (${s.hits} hits): p50 ${ms(s.timing.p50)} p99 ${ms(s.timing.p99)} (target < 50 ms)`,
      );
    }
  }
  lines.push(`  same ids on both engines and as the plain scan: ${r.mismatches.length === 0 ? 'yes' : `NO (${r.mismatches.join('; ')})`}`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runHistoryBench().then(
    (r) => {
      console.log(formatHistoryBench(r));
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
