// Per-conversation order is built on BullMQ's public API only (issue 12): no Lua script or Redis
// command of ours reads or writes a key or a job field that BullMQ owns, so a BullMQ release that
// changes its internals cannot break ordering silently. Checked two ways:
//  - the text of our Lua scripts and sources names none of BullMQ's keys, job fields or internals;
//  - a real run (sends, retries, a Retry-After hold, rate limits, recovery, sweeps) under Redis
//    MONITOR: every command our own connection sends names only keys of ours.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ourKeyPrefixes } from '../../src/infra/queue/keys.js';
import { newRedis } from '../support/redis.js';
import { createHarness, type Harness } from '../jobs/support/harness.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function files(dir: string, ext: string[]): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const full = join(root, dir, name);
    if (statSync(full).isDirectory()) out.push(...files(relative(root, full), ext));
    else if (ext.some((e) => name.endsWith(e))) out.push(full);
  }
  return out;
}

// BullMQ's key suffixes (its queue-keys.ts) and job hash fields, as our code would have to spell them.
const BULLMQ_KEY_SUFFIXES = ['wait', 'paused', 'meta', 'id', 'delayed', 'prioritized', 'pc', 'active', 'completed', 'failed', 'stalled', 'stalled-check', 'limiter', 'events', 'marker', 'repeat', 'de', 'lock'];
const BULLMQ_JOB_FIELDS = ['ats', 'atm', 'processedOn', 'finishedOn', 'attemptsMade', 'stacktrace', 'returnvalue', 'failedReason', 'processedBy', 'deid', 'rjk'];

describe('our Redis use never touches what BullMQ owns', () => {
  it('our Lua scripts build no key and read no field BullMQ owns: keys come from KEYS and ARGV only', async () => {
    const scripts = files('src/infra/queue/lua', ['.lua']);
    expect(scripts.length).toBeGreaterThan(0);
    for (const file of scripts) {
      const text = readFileSync(file, 'utf8').replace(/^\s*--.*$/gm, '');
      for (const suffix of BULLMQ_KEY_SUFFIXES) expect(text, `${relative(root, file)} names ':${suffix}'`).not.toMatch(new RegExp(`['"]:${suffix}['"]`));
      for (const field of BULLMQ_JOB_FIELDS) expect(text, `${relative(root, file)} names the job field ${field}`).not.toMatch(new RegExp(`['"]${field}['"]`));
      // Every key a script touches is one it was given, or an ARGV prefix plus a name (alive keys).
      for (const m of text.matchAll(/redis\.call\(\s*'(\w+)'\s*,\s*([^,)]+)/g)) {
        expect(m[2]!.trim(), `${relative(root, file)}: ${m[1]} on ${m[2]}`).toMatch(/^(KEYS\[\d\]|ARGV\[\d\] \.\. \w+)$/);
      }
    }
  });

  it('no source of ours reaches for BullMQ internals (its key builder, job data rewrites, raw commands on its keys)', async () => {
    for (const file of [...files('src', ['.ts']), ...files('adapters', ['.ts'])]) {
      const text = readFileSync(file, 'utf8');
      const where = relative(root, file);
      expect(text, `${where} uses Queue.toKey`).not.toMatch(/\.toKey\(/);
      expect(text, `${where} rewrites job data`).not.toMatch(/\.updateData\(|\.updateProgress\(/);
      expect(text, `${where} reads BullMQ's key map`).not.toMatch(/\.keys\.(wait|active|delayed|completed|failed|meta)\b/);
      expect(text, `${where} has inline Lua`).not.toMatch(/redis\.call\(/);
    }
  });

  describe('a real run under MONITOR', () => {
    let h: Harness | null = null;
    afterEach(async () => {
      await h?.close();
      h = null;
    });

    it('every command our own connection sends names only keys of ours', async () => {
      h = await createHarness({ rateLimits: true, worker: false, sweepMs: 100, overdueMs: 300, attempts: 4 });
      const x = h;
      const monitorClient = newRedis();
      const monitor = await monitorClient.monitor();
      const seen: Array<{ args: string[]; source: string }> = [];
      monitor.on('monitor', (_time: string, args: string[], source: string) => void seen.push({ args, source }));
      try {
        await x.addNumber('+14152345678', { segmentsPerSecond: 20 });
        let first = true;
        x.fake.setScript((r) => {
          if (r.body === 'b' && first) {
            first = false;
            return { status: 429, headers: { 'retry-after': '1' } };
          }
          return r.body === 'c' && x.fake.requests.filter((q) => q.body === 'c').length < 2 ? { status: 503 } : 'ok';
        });
        const ids = await x.acceptAll('+14152345678', '+12123456789', ['a', 'b', 'c', 'd']);
        await x.startWorker(); // recovery, then the worker
        await x.waitFor(async () => (await Promise.all(ids.map((id) => x.message(id)))).every((m) => m.status === 'sent'), 'all sent', 20_000);
        await new Promise((r) => setTimeout(r, 500)); // a few sweeps
        const list = String(await x.own.client('LIST'));
        const ownAddr = /addr=(\S+) .*name=smsb-own-/.exec(list.split('\n').find((l) => l.includes(`name=smsb-own-${x.prefix}`)) ?? '')?.[1];
        expect(ownAddr).toBeDefined();
        const ours = seen.filter((c) => c.source.endsWith(ownAddr!) || c.source === ownAddr);
        expect(ours.length).toBeGreaterThan(10);
        const allowed = ourKeyPrefixes(x.prefix).concat([`${x.prefix}:lanes:`]);
        const isOurs = (key: string) => allowed.some((p) => key.startsWith(p));
        const named: string[] = [];
        for (const { args } of ours) {
          const [cmd = '', ...rest] = args;
          const c = cmd.toLowerCase();
          if (c === 'evalsha' || c === 'eval') {
            const n = Number(rest[1]);
            named.push(...rest.slice(2, 2 + n), ...rest.slice(2 + n).filter((a) => a.startsWith(`${x.prefix}:`)));
          } else if (c === 'mget' || c === 'del') named.push(...rest);
          else if (['get', 'set', 'hgetall', 'hget', 'hset', 'hdel', 'pexpire', 'exists'].includes(c)) named.push(rest[0] ?? '');
          else if (c === 'scan') named.push(rest[rest.indexOf('MATCH') + 1] ?? '');
          else expect(['client', 'select', 'info', 'script', 'ping', 'quit', 'monitor'], `our connection sent ${cmd}`).toContain(c);
        }
        expect(named.length).toBeGreaterThan(0);
        expect(named.filter((k) => !isOurs(k))).toEqual([]);
        // And BullMQ's keys were really in use meanwhile, on the other connection.
        expect(seen.some((c) => !c.source.endsWith(ownAddr!) && c.args.some((a) => a.startsWith(`${x.prefix}:send:`)))).toBe(true);
      } finally {
        monitorClient.disconnect();
      }
    }, 40_000);
  });
});
