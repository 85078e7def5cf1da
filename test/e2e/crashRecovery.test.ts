// Issue 12: traffic both ways in ten conversations (agents' Slack replies out as SMS, contacts'
// SMS in to their Slack threads), while the bridge is killed with SIGKILL and started again on the
// same data, or while Redis loses everything it held (FLUSHALL on a private redis-server).
// Providers retry what was not acknowledged, as Twilio and Slack do. Afterwards: nothing lost,
// nothing sent or posted twice, nothing out of order, and after the restart every conversation
// moves again within 10 s of the bridge answering /healthz.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../fakes/fakeSlack.js';
import { signTwilioWebhook, startFakeTwilio, twilioInboundParams, type FakeTwilio } from '../fakes/twilioFake.js';
import { startChildBridge, type ChildBridge } from '../support/childBridge.js';
import { freePort } from '../support/listen.js';
import { hasRedisServer, startPrivateRedis } from '../support/privateRedis.js';
import { REDIS_URL, deletePrefix, withRedis } from '../support/redis.js';

// One bridge number and one Slack channel per conversation: Slack's posting pace (about one a second
// per channel) would otherwise make the test about pacing.
const ourOf = (k: number) => `+1415555${String(2700 + k).padStart(4, '0')}`;
const channelOf = (k: number) => `C0SMS${k}`;
const ADMIN = 'admin-token-for-crash-tests-0001';
const CONVERSATIONS = 10;
const EACH_WAY = 15;
const contactOf = (k: number) => `+1212555${String(3600 + k).padStart(4, '0')}`;

interface World {
  slack: FakeSlack;
  twilio: FakeTwilio;
  dataDir: string;
  env: Record<string, string>;
  bridge: ChildBridge;
  signingSecret: string;
}

let world: World | null = null;
let redisServer: ChildProcess | null = null;
let redisDir: string | null = null;
afterEach(async () => {
  if (world) {
    await world.bridge.kill9();
    await world.slack.close();
    await world.twilio.close();
    rmSync(world.dataDir, { recursive: true, force: true });
    if (world.env.REDIS_URL === REDIS_URL) await withRedis((r) => deletePrefix(r, world!.env.QUEUE_PREFIX!));
  }
  world = null;
  redisServer?.kill('SIGKILL');
  redisServer = null;
  if (redisDir) rmSync(redisDir, { recursive: true, force: true });
  redisDir = null;
});

async function startWorld(redisUrl: string): Promise<World> {
  const slack = await startFakeSlack();
  const twilio = await startFakeTwilio();
  for (let k = 0; k < CONVERSATIONS; k++) slack.addChannel(channelOf(k), `sms-desk-${k}`);
  slack.addUser({ id: 'UAGENT', name: 'agent' });
  const signingSecret = randomBytes(16).toString('hex');
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'sms-bridge-crash-'));
  const env: Record<string, string> = {
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: dataDir,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: `test-${randomUUID()}`,
    ADMIN_TOKEN: ADMIN,
    LOG_LEVEL: 'warn',
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: signingSecret,
    SLACK_API_URL: slack.apiUrl,
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_AUTH_TOKEN: twilio.authToken,
    TWILIO_API_URL: twilio.url,
  };
  const bridge = startChildBridge(env);
  await bridge.healthy();
  const admin = (path: string, body: unknown) =>
    fetch(`${bridge.url}/admin/api${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  for (let k = 0; k < CONVERSATIONS; k++) {
    // Fast enough for the test's traffic (a long code's default is 1 segment a second).
    expect((await admin('/numbers', { number: ourOf(k), provider: 'twilio', segmentsPerSecond: 100 })).status).toBe(201);
    expect((await admin('/mappings', { number: ourOf(k), platform: 'slack', channel: channelOf(k) })).status).toBe(201);
  }
  return { slack, twilio, dataDir, env, bridge, signingSecret };
}

/** POSTs until the bridge answers 2xx, as a provider retries a webhook it got no answer to. */
async function deliverUntilAcked(w: World, send: () => Promise<Response>): Promise<void> {
  for (;;) {
    try {
      const res = await send();
      if (res.ok) return;
    } catch {
      // the bridge is down: try again
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function inboundSms(w: World, k: number, i: number): Promise<Response> {
  const params = twilioInboundParams({ sid: `SM${k}x${i}`, from: contactOf(k), to: ourOf(k), body: `in ${k}.${i}`, accountSid: w.twilio.accountSid });
  const signed = signTwilioWebhook(w.twilio.authToken, `${w.env.PUBLIC_URL}/webhooks/twilio/sms`, params);
  return fetch(`${w.bridge.url}/webhooks/twilio/sms`, { method: 'POST', headers: signed.headers, body: signed.body });
}

function slackReply(w: World, k: number, i: number, threadTs: string, base: number): Promise<Response> {
  const ts = `${base + i}.${String(200_000 + k * 100 + i).padStart(6, '0')}`;
  const body = JSON.stringify({
    token: 'legacy',
    team_id: w.slack.teamId,
    api_app_id: 'A0APP',
    type: 'event_callback',
    event_id: `Ev${k}x${i}`,
    event_time: Math.floor(Date.now() / 1000),
    event: { type: 'message', channel: channelOf(k), user: 'UAGENT', text: `out ${k}.${i}`, ts, thread_ts: threadTs, event_ts: ts },
    authorizations: [{ team_id: w.slack.teamId, user_id: w.slack.botUserId, is_bot: true }],
  });
  const stamp = Math.floor(Date.now() / 1000);
  const sig = 'v0=' + createHmac('sha256', w.signingSecret).update(`v0:${stamp}:${body}`).digest('hex');
  return fetch(`${w.bridge.url}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(stamp), 'x-slack-signature': sig },
    body,
  });
}

/** Each conversation's thread in Slack, read from the bridge's database. */
async function threads(w: World): Promise<Map<number, string>> {
  const found = new Map<number, string>();
  const until = Date.now() + 30_000;
  while (found.size < CONVERSATIONS && Date.now() < until) {
    const db = new Database(join(w.dataDir, 'sms-bridge.db'), { readonly: true, fileMustExist: true });
    try {
      for (let k = 0; k < CONVERSATIONS; k++) {
        const row = db
          .prepare("SELECT t.thread_id AS ts FROM threads t JOIN conversations c ON c.id = t.conversation_id WHERE c.number = ? AND c.contact = ? AND t.platform = 'slack'")
          .get(ourOf(k), contactOf(k)) as { ts: string } | undefined;
        if (row) found.set(k, row.ts);
      }
    } finally {
      db.close();
    }
    if (found.size < CONVERSATIONS) await new Promise((r) => setTimeout(r, 100));
  }
  expect(found.size).toBe(CONVERSATIONS);
  return found;
}

/**
 * Runs the traffic both ways in every conversation; `disrupt` runs once a third of it was
 * acknowledged. Returns when every message was acknowledged.
 */
async function traffic(w: World, disrupt: () => Promise<void>): Promise<void> {
  for (let k = 0; k < CONVERSATIONS; k++) await deliverUntilAcked(w, () => inboundSms(w, k, 0));
  const threadOf = await threads(w);
  const base = Math.floor(Date.now() / 1000);
  let acked = 0;
  let disrupted: Promise<void> | null = null;
  const tick = () => {
    acked++;
    if (!disrupted && acked >= (CONVERSATIONS * EACH_WAY * 2) / 3) disrupted = disrupt();
  };
  await Promise.all(
    Array.from({ length: CONVERSATIONS }, async (_, k) => {
      await Promise.all([
        (async () => {
          for (let i = 1; i <= EACH_WAY; i++) {
            await deliverUntilAcked(w, () => inboundSms(w, k, i));
            tick();
          }
        })(),
        (async () => {
          for (let i = 1; i <= EACH_WAY; i++) {
            await deliverUntilAcked(w, () => slackReply(w, k, i, threadOf.get(k)!, base));
            tick();
          }
        })(),
      ]);
    }),
  );
  await disrupted;
}

/** Nothing lost, nothing twice, nothing out of order: SMS at the provider, posts in each thread. */
async function expectEverythingOnceInOrder(w: World): Promise<void> {
  const threadOf = await threads(w);
  const want = (prefix: string, k: number, from: number) => Array.from({ length: EACH_WAY - from + 1 }, (_, j) => `${prefix} ${k}.${j + from}`);
  const until = Date.now() + 60_000;
  const sms = (k: number) => w.twilio.calls.filter((c) => c.To === contactOf(k)).map((c) => c.Body ?? '');
  const posted = (k: number) =>
    w.slack
      .thread(channelOf(k), threadOf.get(k)!)
      .map((m) => JSON.stringify(m))
      .flatMap((text) => want('in', k, 0).filter((b) => text.includes(`${b}\\`) || text.includes(`${b}"`)));
  const complete = () => Array.from({ length: CONVERSATIONS }, (_, k) => sms(k).length >= EACH_WAY && posted(k).length >= EACH_WAY + 1).every(Boolean);
  while (!complete() && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
  await new Promise((r) => setTimeout(r, 500)); // anything sent twice would show by now
  for (let k = 0; k < CONVERSATIONS; k++) {
    // Soft: a wrong SMS list must not hide what the posts show (and the other way round).
    expect.soft(sms(k), `SMS to ${contactOf(k)}`).toEqual(want('out', k, 1));
    // Every post exactly once: one in flight at the kill is found in Slack, not posted again.
    expect(posted(k), `posts in thread ${k}`).toEqual(want('in', k, 0));
  }
}

describe('crash and data-loss recovery, traffic both ways', () => {
  it('kill -9 mid-traffic and a restart on the same data: nothing lost, twice or out of order; every conversation moves within 10 s', async () => {
    world = await startWorld(REDIS_URL);
    const w = world;
    let healthyAt = 0;
    await traffic(w, async () => {
      await w.bridge.kill9();
      w.bridge = startChildBridge(w.env);
      healthyAt = await w.bridge.healthy();
    });
    await expectEverythingOnceInOrder(w);
    // Every conversation moved again (an SMS out or a post in its thread) soon after /healthz.
    const threadOf = await threads(w);
    for (let k = 0; k < CONVERSATIONS; k++) {
      const firstSms = w.twilio.calls.find((c) => c.To === contactOf(k) && c.at >= healthyAt)?.at ?? Infinity;
      const firstPost = w.slack.thread(channelOf(k), threadOf.get(k)!).find((m) => (m.at ?? 0) >= healthyAt)?.at ?? Infinity;
      expect(Math.min(firstSms, firstPost) - healthyAt, `conversation ${k} after the restart`).toBeLessThan(10_000);
    }
  }, 120_000);

  it.skipIf(!hasRedisServer)('Redis loses everything mid-traffic (FLUSHALL): nothing lost, twice or out of order', async () => {
    const port = await freePort();
    redisDir = mkdtempSync(join(tmpdir(), 'sms-bridge-redis-'));
    redisServer = await startPrivateRedis(port, redisDir, false);
    world = await startWorld(`redis://127.0.0.1:${port}`);
    const w = world;
    await traffic(w, async () => {
      const r = new Redis(port, '127.0.0.1');
      await r.flushall();
      r.disconnect();
    });
    await expectEverythingOnceInOrder(w);
  }, 120_000);
});
