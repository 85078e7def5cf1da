// Database round trips per outbound send on PostgreSQL: `npx tsx bench/pgRoundTrips.ts`.
// Runs the outbound burst (bench/outbound.ts, BENCH_ONLY=pipeline, BENCH_N default 2,000 on a fresh
// Postgres database) and counts every query node-postgres sends while the pipeline runs, by
// statement. Each counted call is one round trip to the server (a named prepared statement after
// its first use is one Bind/Execute/Sync exchange; a text with several statements is one simple
// query). Unlike msgs/s this does not depend on what else the machine is doing.
import pg from 'pg';

process.env.BENCH_STORE = 'postgres';
process.env.BENCH_ONLY = 'pipeline';
process.env.BENCH_N ??= '2000';

const counts = new Map<string, number>();
let measuring = false;
const original = pg.Client.prototype.query;
// Every query the store makes goes through Client#query (Pool#query calls it on a pooled client).
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  if (measuring) {
    const first = args[0] as string | { text?: string } | undefined;
    const text = typeof first === 'string' ? first : (first?.text ?? '?');
    const key = text.replace(/\s+/g, ' ').trim().slice(0, 110);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return (original as (...a: unknown[]) => unknown).apply(this, args);
} as typeof original;

const { measureHooks, runOutboundBench, benchOptionsFromEnv } = await import('./outbound.js');
// Each window starts afresh: the last one (the measured burst, after the warm-up) is reported.
measureHooks.push((on) => {
  if (on) counts.clear();
  measuring = on;
});
const o = benchOptionsFromEnv();
await runOutboundBench(o);
const total = [...counts.values()].reduce((a, b) => a + b, 0);
console.log(`Postgres round trips per send: ${(total / o.n).toFixed(2)} (${total} queries for ${o.n} messages, ${o.numbers} numbers x ${o.conversationsPerNumber} conversations, concurrency ${o.concurrency})`);
for (const [text, n] of [...counts].sort((a, b) => b[1] - a[1])) {
  console.log(`  ${(n / o.n).toFixed(3).padStart(7)}  ${text}`);
}
