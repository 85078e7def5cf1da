// The whole bridge with BOTH chat platforms, real parts only, built by the production wiring
// (buildBridgeParts in src/wiring.ts, test tuning only): the real express app (createHttpApp)
// on 127.0.0.1:0 with the Twilio webhooks, /slack/events (Bolt), /api/messages (teams-ai, anonymous
// mode) and /media; the real BullMQ send and delivery pipelines on Redis under a unique prefix;
// SQLite on a temp file; fake Slack Web API, fake Bot Framework connector and fake Twilio over HTTP.

import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { SlackRuntime } from '../../adapters/chat/slack/index.js';
import type { TeamsParts } from '../../adapters/chat/teams/index.js';
import type { AppContext } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Message } from '../../src/core/types.js';
import { createHttpApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { buildBridgeParts } from '../../src/wiring.js';
import { redisCoordination } from '../../src/infra/coordination/index.js';
import { botAddedToTeamActivity, startFakeBotConnector, type FakeBotConnector } from '../fakes/fakeBotConnector.js';
import { startFakeSlack, type FakeSlack } from '../fakes/fakeSlack.js';
import { signTwilioWebhook, startFakeTwilio, twilioInboundParams, type FakeTwilio } from '../fakes/twilioFake.js';
import { REDIS_URL, deletePrefix, newRedis, uniquePrefix } from '../support/redis.js';
import { createTempStore, type TempStore } from '../support/tempStore.js';
import { channelReply } from '../chat/teams/harness.js';
import { listen } from '../support/listen.js';
import { waitUntil } from '../support/wait.js';

export const OUR = '+14155552671';
export const CONTACT = '+12125553456';
export const SLACK_CHANNEL = 'C0SMS';
export const TEAMS_CHANNEL = '19:sms-desk@thread.tacv2';
export const TEAM_ID = '19:team-general@thread.tacv2';
export const BOT_ID = '28:bridge-app-id';
export const PUBLIC_URL = 'http://bridge.test';

export interface MirrorHarness {
  url: string;
  slack: FakeSlack;
  teamsConnector: FakeBotConnector;
  twilio: FakeTwilio;
  temp: TempStore;
  slackRt: SlackRuntime;
  teams: TeamsParts;
  ctx: AppContext;
  /** Provisions OUR, installs the bot in the team, maps OUR to the Slack and the Teams channel. */
  setup(): Promise<void>;
  inboundSms(m: { sid: string; body: string; from?: string; media?: { url: string; contentType: string }[] }): Promise<Response>;
  /** A signed media URL (under PUBLIC_URL) as a URL on this test server. */
  local(publicUrl: string): string;
  statusCallback(sid: string, status: string, errorCode?: string): Promise<Response>;
  slackReply(threadTs: string, text: string, user?: string): Promise<Response>;
  teamsActivity(activity: Record<string, unknown>): Promise<Response>;
  /**
   * Posts an activity and tells, apart from its answer, when the bridge has read the whole request:
   * the moment it "came in". Two requests in flight at once are two connections, and which one the
   * bridge reads first is up to the client's pool and the kernel, not to the order they were posted
   * in; a test that needs a definite order between concurrent requests waits for this.
   */
  teamsActivityReceived(activity: Record<string, unknown>): { received: Promise<void>; answer: Promise<Response> };
  teamsReply(rootId: string, text: string, id?: string): Record<string, unknown>;
  messages(): Promise<Message[]>;
  waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

let activitySeq = 1_900_000_000_000;

export async function createMirrorHarness(): Promise<MirrorHarness> {
  const prefix = uniquePrefix();
  const temp = await createTempStore();
  const slack = await startFakeSlack();
  const teamsConnector = await startFakeBotConnector();
  const twilio = await startFakeTwilio();
  const signingSecret = randomBytes(16).toString('hex');
  slack.addChannel(SLACK_CHANNEL, 'sms-desk');
  slack.addUser({ id: 'UAGENT', name: 'agent', real_name: 'Ana Agent' });
  const config = loadConfig({
    PORT: '0',
    PUBLIC_URL,
    DATA_DIR: temp.dir,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: signingSecret,
    SLACK_API_URL: slack.apiUrl,
    TEAMS_ALLOW_ANONYMOUS: 'true',
    // PUBLIC_URL is not a loopback address here: anonymous Teams is allowed because this is a test.
    NODE_ENV: 'test',
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_AUTH_TOKEN: twilio.authToken,
    TWILIO_API_URL: twilio.url,
  });
  const logger = createLogger({ level: 'silent' });
  const redis = newRedis();
  const own = newRedis();
  const clock = { now: () => new Date() };
  const store = temp.store;
  const ctx: AppContext = { config, logger, store, redis, own, metrics: createMetrics({ defaultMetrics: false }), clock, ...redisCoordination(own, config.queuePrefix) };

  // The production wiring (src/wiring.ts), tuned for tests: fast retries, no rate limits or pacing.
  const backoff = { baseMs: 50, maxMs: 500 };
  const built = await buildBridgeParts(ctx, {
    outbound: { rateLimits: false, backoff },
    delivery: { backoff },
    slackPace: null,
    teamsConnectorTimeoutMs: 2_000,
  });
  const { outbound, delivery } = built;
  if (!built.slack || !built.teams) throw new Error('Slack and Teams must both be configured');
  const slackRt = built.slack;
  const teams = built.teams;

  await built.liveness.start();
  await slackRt.start();
  await teams.start();
  await outbound.start();
  await delivery.start();
  const app = createHttpApp(ctx, built.parts.mounts ?? []);
  const http = await listen(app);
  const url = http.url;
  // Requests the test waits to be read in full by the bridge, by a test-only header (the bridge
  // ignores it): settled when the request's body has been consumed, before its answer.
  const TRACK_HEADER = 'x-test-request';
  const receiving = new Map<string, () => void>();
  let tracked = 0;
  http.server.on('request', (req) => {
    const key = req.headers[TRACK_HEADER];
    const done = typeof key === 'string' ? receiving.get(key) : undefined;
    if (!done) return;
    receiving.delete(key as string);
    // 'end' without a 'data' listener of ours: the route's body parser still reads the stream.
    if (req.readableEnded) done();
    else req.once('end', done);
  });

  const signedSlackPost = (body: string): Promise<Response> => {
    const ts = Math.floor(Date.now() / 1000);
    const sig = 'v0=' + createHmac('sha256', signingSecret).update(`v0:${ts}:${body}`).digest('hex');
    return fetch(`${url}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': sig },
      body,
    });
  };
  const teamsActivity = (activity: Record<string, unknown>, extraHeaders: Record<string, string> = {}): Promise<Response> =>
    fetch(`${url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...extraHeaders }, body: JSON.stringify(activity) });
  const teamsActivityReceived = (activity: Record<string, unknown>): { received: Promise<void>; answer: Promise<Response> } => {
    const key = String(++tracked);
    const received = new Promise<void>((resolve) => receiving.set(key, resolve));
    const answer = teamsActivity(activity, { [TRACK_HEADER]: key });
    // A request that failed before the bridge read it never settles `received`: the answer does.
    return { received: Promise.race([received, answer.then(() => undefined)]), answer };
  };

  return {
    url,
    slack,
    teamsConnector,
    twilio,
    temp,
    slackRt,
    teams,
    ctx,
    async setup() {
      await store.numbers.create({ e164: OUR, provider: 'twilio', type: 'local', status: 'active', country: 'US' });
      teamsConnector.setTeamChannels(TEAM_ID, [{ id: TEAM_ID }, { id: TEAMS_CHANNEL, name: 'SMS desk' }]);
      const res = await teamsActivity(
        botAddedToTeamActivity({
          id: String(activitySeq++),
          serviceUrl: teamsConnector.serviceUrl,
          botId: BOT_ID,
          teamId: TEAM_ID,
          teamName: 'Support',
          tenantId: 'tenant-1',
        }),
      );
      if (res.status !== 200) throw new Error(`Teams install answered ${res.status}`);
      await store.mappings.create({ number: OUR, platform: 'slack', channel: SLACK_CHANNEL });
      await store.mappings.create({ number: OUR, platform: 'teams', channel: TEAMS_CHANNEL });
    },
    inboundSms(m) {
      const params = twilioInboundParams({ sid: m.sid, from: m.from ?? CONTACT, to: OUR, body: m.body, media: m.media, accountSid: twilio.accountSid });
      const signed = signTwilioWebhook(twilio.authToken, `${PUBLIC_URL}/webhooks/twilio/sms`, params);
      return fetch(`${url}/webhooks/twilio/sms`, { method: 'POST', headers: signed.headers, body: signed.body });
    },
    local(publicUrl) {
      return publicUrl.replace(PUBLIC_URL, url);
    },
    statusCallback(sid, status, errorCode) {
      const params: Record<string, string> = { MessageSid: sid, MessageStatus: status, AccountSid: twilio.accountSid, From: OUR, To: CONTACT };
      if (errorCode) params.ErrorCode = errorCode;
      // As Twilio does: to the StatusCallback URL the bridge gave with the send (it names our
      // message id, so the receipt finds its message even before the send's answer is recorded).
      const callback = new URL(twilio.calls.find((c) => c.sid === sid)?.StatusCallback ?? `${PUBLIC_URL}/webhooks/twilio/status`);
      const signed = signTwilioWebhook(twilio.authToken, callback.href, params);
      return fetch(`${url}${callback.pathname}${callback.search}`, { method: 'POST', headers: signed.headers, body: signed.body });
    },
    slackReply(threadTs, text, user = 'UAGENT') {
      // Clear of the fake Slack's own ts sequence (its posts count up from .000001).
      const ts = `${Math.floor(Date.now() / 1000)}.${String(900_000 + (activitySeq++ % 100_000))}`;
      return signedSlackPost(
        JSON.stringify({
          token: 'legacy',
          team_id: slack.teamId,
          api_app_id: 'A0APP',
          type: 'event_callback',
          event_id: `Ev${randomUUID().slice(0, 8)}`,
          event_time: Math.floor(Date.now() / 1000),
          event: { type: 'message', channel: SLACK_CHANNEL, user, text, ts, thread_ts: threadTs, event_ts: ts },
          authorizations: [{ team_id: slack.teamId, user_id: slack.botUserId, is_bot: true }],
        }),
      );
    },
    teamsActivity: (activity) => teamsActivity(activity),
    teamsActivityReceived,
    teamsReply(rootId, text, id = String(activitySeq++)) {
      return channelReply({ serviceUrl: teamsConnector.serviceUrl, channel: TEAMS_CHANNEL, rootId, text, id, botId: BOT_ID, teamId: TEAM_ID });
    },
    async messages() {
      const all: Message[] = [];
      for (const c of await store.conversations.list()) all.push(...(await store.messages.listForConversation(c.id)));
      return all;
    },
    waitFor: (check, what, timeoutMs) => waitUntil(check, what, timeoutMs),
    async close() {
      await http.close();
      await teams.stop();
      await slackRt.stop();
      await delivery.stop();
      await outbound.stop();
      await built.liveness.stop();
      await deletePrefix(redis, prefix);
      await own.quit();
      await redis.quit();
      await slack.close();
      await teamsConnector.close();
      await twilio.close();
      await temp.cleanup();
    },
  };
}
