// `npm run bench`: every benchmark of the bridge, one after the other, numbers on stdout.
//   npm run bench              outbound (issue 4), inbound (issue 5), then the memory soak (issue 13)
//   npm run bench outbound     one part only (likewise `inbound`, `memory`)
//   npm run bench history      history page and search speed, SQLite and Postgres (issue 14)
//   BENCH_SLACK=inprocess npm run bench inbound   the inbound fake Slack inside the bridge's process
//   BENCH_STORE=postgres npm run bench outbound    outbound and inbound on a fresh Postgres database
// Ends with a compact summary table (markdown) to paste in a note. The machine's core count and
// its load average before and after each part are printed: the numbers are only comparable
// between runs made in the same conditions.
import { availableParallelism, cpus, loadavg } from 'node:os';
import { formatHistoryBench, runHistoryBench } from './history.js';
import { formatInboundBench, runInboundBench, type InboundBenchResult } from './inbound.js';
import { formatMemoryBench, runMemoryBench, type MemoryBenchResult } from './memory.js';
import { formatOutboundBench, runOutboundBench, type OutboundBenchResult } from './outbound.js';

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

export function formatSummary(out: OutboundBenchResult | null, inb: InboundBenchResult | null, machine: string, mem: MemoryBenchResult | null = null): string {
  const rows: string[][] = [];
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const ok = (pass: boolean) => (pass ? 'met' : 'NOT met');
  if (out) {
    rows.push([
      'outbound throughput vs bare BullMQ (caps lifted)',
      `${(out.ratio * 100).toFixed(0)}%, median of ${out.ratios.map((x) => `${(x * 100).toFixed(0)}%`).join(' / ')} (${out.pipeline.perSecond.toFixed(0)} / ${out.bare.perSecond.toFixed(0)} msgs/s; CPU ${out.pipeline.cpuPerMessageUs.toFixed(0)} / ${out.bare.cpuPerMessageUs.toFixed(0)} us/msg, Redis ${out.pipeline.redisCpuPerMessageUs.toFixed(0)} / ${out.bare.redisCpuPerMessageUs.toFixed(0)} us/msg)`,
      '>= 40%',
      ok(out.ratio >= 0.4),
    ]);
    rows.push([
      `outbound p99 enqueue-to-send at ${out.options.pacedRate} msgs/s`,
      `${ms(out.paced.p99)} (p50 ${ms(out.paced.p50)})`,
      '< 50 ms',
      ok(out.paced.p99 < 50),
    ]);
  }
  if (inb) {
    rows.push([
      `inbound webhook ack p99 at 300/s (fake Slack ${inb.slack === 'child' ? 'in a child process' : 'in the bridge process'})`,
      `${ms(inb.bridge.ack300.p99)} (p50 ${ms(inb.bridge.ack300.p50)}; bare express p99 ${ms(inb.bare.ack300.p99)}; loop delay p99 ${ms(inb.bridge.loopDelayP99)}; CPU ${inb.bridge.cpuPerWebhookUs300.toFixed(0)} us/webhook)`,
      '< 20 ms',
      ok(inb.bridge.ack300.p99 < 20),
    ]);
    rows.push([
      'inbound end-to-end p99 at 100/s (webhook -> Slack post)',
      `${ms(inb.bridge.e2e100.p99)} (p50 ${ms(inb.bridge.e2e100.p50)}, not seen ${inb.bridge.lost})`,
      '< 100 ms',
      ok(inb.bridge.e2e100.p99 < 100 && inb.bridge.lost === 0),
    ]);
    rows.push([
      'inbound accepted webhooks/s (32 in flight)',
      `${inb.bridge.acceptedPerSec.toFixed(0)} (${((100 * inb.bridge.acceptedPerSec) / inb.bare.acceptedPerSec).toFixed(0)}% of bare express)`,
      '-',
      '-',
    ]);
  }
  if (mem) {
    const spread = (xs: number[]) => `${xs.map((x) => x.toFixed(0)).join(' / ')} MB`;
    rows.push(['idle RSS (dist build, no chat platform; /metrics)', `${mem.idle.toFixed(0)} MB (runs ${spread(mem.runs.map((r) => r.idle))})`, '< 150 MB', ok(mem.idle < 150)]);
    rows.push([
      `RSS after ${mem.messages} inbound SMS`,
      `${mem.all.toFixed(0)} MB (runs ${spread(mem.runs.map((r) => r.all))})`,
      '< 250 MB',
      ok(mem.all < 250),
    ]);
    rows.push([
      `RSS growth over the second ${mem.messages / 2}`,
      `${mem.secondHalfGrowth.toFixed(0)} MB (runs ${spread(mem.runs.map((r) => r.all - r.half))})`,
      '< 20 MB',
      ok(mem.secondHalfGrowth < 20),
    ]);
  }
  return [
    `summary (${machine})`,
    '| measure | result | target | |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

async function main(): Promise<void> {
  const only = process.argv[2];
  const cores = availableParallelism();
  const machine = `${cores} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}`;
  console.log(`machine: ${machine}; store: ${process.env.BENCH_STORE === 'postgres' ? 'postgres' : 'sqlite'}; load average (1/5/15 min) at start: ${load()}`);
  let out: OutboundBenchResult | null = null;
  let inb: InboundBenchResult | null = null;
  let mem: MemoryBenchResult | null = null;
  if (!only || only === 'outbound') {
    out = await runOutboundBench();
    console.log(formatOutboundBench(out));
    console.log(`  load average after outbound: ${load()}`);
  }
  if (!only || only === 'inbound') {
    inb = await runInboundBench();
    console.log(formatInboundBench(inb));
    console.log(`  load average after inbound: ${load()}`);
  }
  if (!only || only === 'memory') {
    mem = await runMemoryBench();
    console.log(formatMemoryBench(mem));
    console.log(`  load average after memory: ${load()}`);
  }
  if (only === 'history') {
    // Not part of the default run: it needs Postgres, and it reports its own targets.
    console.log(formatHistoryBench(await runHistoryBench()));
    console.log(`  load average after history: ${load()}`);
    return;
  }
  console.log('');
  console.log(formatSummary(out, inb, `${machine}; load average at end ${load()}`, mem));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
