// The REAL bridge, as production starts it: `startBridge(loadConfig(env))` with the default modules
// (src/wiring.ts), on 127.0.0.1 with a port picked beforehand so PUBLIC_URL is the bridge's own
// URL (Twilio signatures are checked against PUBLIC_URL + path, and signed media links point at
// it). Real Redis under a unique QUEUE_PREFIX, SQLite in a temp DATA_DIR. Every outside party is a
// local fake over HTTP: Twilio, 8x8, the Slack Web API and the Bot Framework connector.
//
// The harness talks to the bridge through HTTP only, the way providers, platforms and an operator
// do: signed webhooks, signed Slack events, Teams activities, and the admin API with its bearer
// token. It never reaches into the store.

import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startBridge, type Bridge } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { botAddedToTeamActivity, startFakeBotConnector, type FakeBotConnector } from '../fakes/fakeBotConnector.js';
import { startFakeEightByEight, type FakeEightByEight } from '../fakes/eightbyeightFake.js';
import { startFakeSlack, type FakeSlack } from '../fakes/fakeSlack.js';
import { signTwilioWebhook, startFakeTwilio, twilioInboundParams, type FakeTwilio } from '../fakes/twilioFake.js';
import { freePort } from '../support/listen.js';
import { REDIS_URL, countPrefixKeys, deletePrefix, uniquePrefix, withRedis } from '../support/redis.js';
import { channelReply } from '../chat/teams/harness.js';
import { waitUntil } from '../support/wait.js';

export const TEAM_ID = '19:team-support@thread.tacv2';
export const BOT_ID = '28:sms-bridge-app';
export const AGENT = { id: 'UAGENT', name: 'agent', real_name: 'Ana Agent' };

export interface AdminAnswer<T = unknown> {
  status: number;
  body: T;
}

export interface BridgeHarness {
  /** The running bridge (replaced by restart()). */
  bridge: Bridge;
  /** Stops the bridge and starts a new process-equivalent on the same DATA_DIR, prefix and port. */
  restart(): Promise<void>;
  /** http://127.0.0.1:<port>, which is also PUBLIC_URL. */
  url: string;
  prefix: string;
  dataDir: string;
  adminToken: string;
  slack: FakeSlack;
  connector: FakeBotConnector;
  twilio: FakeTwilio;
  eightx8: FakeEightByEight;
  eightx8Auth: string;
  /** Admin API call; `token: null` sends no Authorization header. */
  admin<T = unknown>(method: string, path: string, body?: unknown, opts?: { token?: string | null }): Promise<AdminAnswer<T>>;
  /** An operator provisions a number and maps it (admin API only). Slack channels are created in the fake. */
  provision(number: string, provider: 'twilio' | '8x8' | 'local', map: { slack?: string; teams?: string }): Promise<void>;
  twilioInbound(m: { sid: string; from: string; to: string; body: string; media?: { url: string; contentType: string }[] }): Promise<Response>;
  twilioStatus(m: { sid: string; status: string; from: string; to: string }): Promise<Response>;
  eightx8Webhook(body: unknown, authorization?: string): Promise<Response>;
  /** A person's reply in a Slack thread, as a signed Events API request; returns the reply's ts. */
  slackReply(channel: string, threadTs: string, text: string, extra?: Record<string, unknown>): Promise<{ ts: string; res: Response }>;
  /** `/sms <text>` typed in a Slack channel (signed); returns the response_url it was given. */
  slashCommand(channel: string, text: string): Promise<{ res: Response; responseUrl: string }>;
  /** A person's reply under a root activity in a Teams channel thread. */
  teamsReply(channel: string, rootId: string, text: string): Promise<Response>;
  /** Conversation of (number, contact) with its messages, from the admin API. */
  conversation(number: string, contact: string): Promise<{ id: string; threads: { platform: string; channel: string; threadId: string }[]; messages: AdminMessage[] } | null>;
  waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface AdminMessage {
  id: string;
  direction: 'inbound' | 'outbound' | 'internal';
  body: string;
  status: string;
  media: unknown[];
  author?: unknown;
}

/** Every key under the bridge's QUEUE_PREFIX (0 once it has cleaned up after itself). */
export function countKeys(prefix: string): Promise<number> {
  return withRedis((redis) => countPrefixKeys(redis, prefix));
}

let seq = 0;
const nextId = (): string => String(1_950_000_000_000 + ++seq);

/**
 * Starts the fakes and the real bridge. `teamsChannels` are the channels of the one Teams team the
 * bot is installed in (installed through a conversationUpdate activity, as Teams does);
 * `beforeStart` may tell the fakes to misbehave while the bridge starts.
 */
export async function startBridgeHarness(
  opts: { teamsChannels?: string[]; beforeStart?: (fakes: { slack: FakeSlack; twilio: FakeTwilio }) => void } = {},
): Promise<BridgeHarness> {
  const prefix = uniquePrefix();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'smsb-e2e-'));
  const adminToken = randomBytes(24).toString('hex');
  const signingSecret = randomBytes(16).toString('hex');
  const eightx8Auth = `Basic ${randomBytes(18).toString('base64')}`;
  const slack = await startFakeSlack();
  const connector = await startFakeBotConnector();
  const twilio = await startFakeTwilio();
  const eightx8 = await startFakeEightByEight();
  slack.addUser(AGENT);
  opts.beforeStart?.({ slack, twilio });

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    PORT: String(port),
    PUBLIC_URL: url,
    DATA_DIR: dataDir,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    ADMIN_TOKEN: adminToken,
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'silent',
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_AUTH_TOKEN: twilio.authToken,
    TWILIO_API_URL: twilio.url,
    EIGHTX8_API_KEY: eightx8.apiKey,
    EIGHTX8_SUBACCOUNT_ID: eightx8.subaccountId,
    EIGHTX8_API_URL: eightx8.url,
    EIGHTX8_WEBHOOK_AUTH: eightx8Auth,
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: signingSecret,
    SLACK_API_URL: slack.apiUrl,
    TEAMS_ALLOW_ANONYMOUS: 'true',
  });
  let bridge: Bridge;
  try {
    bridge = await startBridge(config, { host: '127.0.0.1' });
  } catch (err) {
    await Promise.all([slack.close(), connector.close(), twilio.close(), eightx8.close()]);
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  if (bridge.url !== url) throw new Error(`bridge listens at ${bridge.url}, PUBLIC_URL says ${url}`);

  const post = (p: string, headers: Record<string, string>, body: string): Promise<Response> =>
    fetch(`${url}${p}`, { method: 'POST', headers, body });

  const signedSlackPost = (body: string, contentType: string): Promise<Response> => {
    const stamp = Math.floor(Date.now() / 1000);
    const sig = 'v0=' + createHmac('sha256', signingSecret).update(`v0:${stamp}:${body}`).digest('hex');
    return post('/slack/events', { 'content-type': contentType, 'x-slack-request-timestamp': String(stamp), 'x-slack-signature': sig }, body);
  };

  const teamsActivity = (activity: Record<string, unknown>): Promise<Response> =>
    post('/api/messages', { 'content-type': 'application/json' }, JSON.stringify(activity));

  const admin: BridgeHarness['admin'] = async (method, p, body, o = {}) => {
    const headers: Record<string, string> = {};
    const token = o.token === undefined ? adminToken : o.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${url}${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed as never };
  };

  // The bot is added to the team: Teams says so with a conversationUpdate, and the bridge learns
  // the team's channels (and the connector's serviceUrl) from it.
  const channels = opts.teamsChannels ?? [];
  if (channels.length > 0) {
    connector.setTeamChannels(TEAM_ID, [{ id: TEAM_ID, name: 'General' }, ...channels.map((id) => ({ id, name: id }))]);
    const res = await teamsActivity(
      botAddedToTeamActivity({
        id: nextId(),
        serviceUrl: connector.serviceUrl,
        botId: BOT_ID,
        teamId: TEAM_ID,
        teamName: 'Support',
        tenantId: 'tenant-1',
      }),
    );
    if (res.status !== 200) throw new Error(`Teams install answered ${res.status}`);
  }

  const h: BridgeHarness = {
    bridge,
    async restart() {
      await h.bridge.stop();
      h.bridge = bridge = await startBridge(config, { host: '127.0.0.1' });
    },
    url,
    prefix,
    dataDir,
    adminToken,
    slack,
    connector,
    twilio,
    eightx8,
    eightx8Auth,
    admin,
    async provision(number, provider, map) {
      const n = await admin('POST', '/admin/api/numbers', { number, provider, type: 'local' });
      if (n.status !== 201) throw new Error(`POST /admin/api/numbers answered ${n.status}: ${JSON.stringify(n.body)}`);
      for (const [platform, channel] of Object.entries(map)) {
        if (!channel) continue;
        if (platform === 'slack') slack.addChannel(channel, channel.toLowerCase());
        const m = await admin('POST', '/admin/api/mappings', { number, platform, channel });
        if (m.status !== 201) throw new Error(`POST /admin/api/mappings answered ${m.status}: ${JSON.stringify(m.body)}`);
      }
    },
    twilioInbound(m) {
      const params = twilioInboundParams({ ...m, accountSid: twilio.accountSid });
      const signed = signTwilioWebhook(twilio.authToken, `${url}/webhooks/twilio/sms`, params);
      return post('/webhooks/twilio/sms', signed.headers, signed.body);
    },
    twilioStatus(m) {
      const params = { MessageSid: m.sid, MessageStatus: m.status, AccountSid: twilio.accountSid, From: m.from, To: m.to };
      const signed = signTwilioWebhook(twilio.authToken, `${url}/webhooks/twilio/status`, params);
      return post('/webhooks/twilio/status', signed.headers, signed.body);
    },
    eightx8Webhook(body, authorization = eightx8Auth) {
      return post('/webhooks/8x8', { 'content-type': 'application/json', authorization }, JSON.stringify(body));
    },
    async slackReply(channel, threadTs, text, extra = {}) {
      const ts = `${Math.floor(Date.now() / 1000)}.${nextId().slice(-6)}`;
      const body = JSON.stringify({
        token: 'legacy',
        team_id: slack.teamId,
        api_app_id: 'A0APP',
        type: 'event_callback',
        event_id: `Ev${randomUUID().slice(0, 8)}`,
        event_time: Math.floor(Date.now() / 1000),
        event: { type: 'message', channel, user: AGENT.id, text, ts, thread_ts: threadTs, event_ts: ts, ...extra },
        authorizations: [{ team_id: slack.teamId, user_id: slack.botUserId, is_bot: true }],
      });
      return { ts, res: await signedSlackPost(body, 'application/json') };
    },
    async slashCommand(channel, text) {
      const responseUrl = slack.responseUrl();
      const body = new URLSearchParams({
        token: 'legacy',
        team_id: slack.teamId,
        team_domain: 'fake',
        channel_id: channel,
        channel_name: channel.toLowerCase(),
        user_id: AGENT.id,
        user_name: AGENT.name,
        command: '/sms',
        text,
        api_app_id: 'A0APP',
        response_url: responseUrl,
        trigger_id: `trig-${randomUUID()}`,
      }).toString();
      return { res: await signedSlackPost(body, 'application/x-www-form-urlencoded'), responseUrl };
    },
    teamsReply(channel, rootId, text) {
      return teamsActivity(channelReply({ serviceUrl: connector.serviceUrl, channel, rootId, text, id: nextId(), botId: BOT_ID, teamId: TEAM_ID }));
    },
    async conversation(number, contact) {
      const list = await admin<{ id: string; threads: { platform: string; channel: string; threadId: string }[] }[]>(
        'GET',
        `/admin/api/conversations?number=${encodeURIComponent(number)}&contact=${encodeURIComponent(contact)}`,
      );
      const c = list.body[0];
      if (!c) return null;
      const messages = await admin<AdminMessage[]>('GET', `/admin/api/conversations/${c.id}/messages`);
      return { ...c, messages: messages.body };
    },
    waitFor: (check, what, timeoutMs = 10_000) => waitUntil(check, what, timeoutMs, 25),
    async close() {
      try {
        await h.bridge.stop();
      } finally {
        await withRedis((redis) => deletePrefix(redis, prefix));
        await Promise.all([slack.close(), connector.close(), twilio.close(), eightx8.close()]);
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
  return h;
}
