// The whole bridge for Slack end-to-end tests, real parts only, built by the production wiring
// (buildBridgeParts in src/wiring.ts, test tuning only): the real express app
// (createHttpApp) on 127.0.0.1:0 with the Twilio webhook routes, /slack/events (Bolt
// ExpressReceiver; with `socket: true` Socket Mode instead, over the fake's WebSocket) and /media; the real send and delivery lanes (BullMQ) on Redis under a
// unique prefix; SQLite on a temp file; the fake Slack Web API and the fake Twilio API over HTTP.

import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { SlackRuntime } from '../../../adapters/chat/slack/index.js';
import type { Liveness } from '../../../src/infra/queue/liveness.js';
import type { Turns } from '../../../src/infra/queue/turns.js';
import type { AppContext } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import type { Message } from '../../../src/core/types.js';
import type { ChatRegistry } from '../../../src/delivery/registry.js';
import { createHttpApp } from '../../../src/http/app.js';
import { createLogger, type Logger } from '../../../src/logger.js';
import { createMetrics, type Metrics } from '../../../src/metrics.js';
import { buildBridgeParts } from '../../../src/wiring.js';
import { redisCoordination } from '../../../src/infra/coordination/index.js';
import { shownText, startFakeSlack, type FakeSlack } from '../../fakes/fakeSlack.js';
import { signTwilioWebhook, startFakeTwilio, twilioInboundParams, type FakeTwilio } from '../../fakes/twilioFake.js';
import { REDIS_URL, deletePrefix, newRedis, uniquePrefix } from '../../support/redis.js';
import { createTempStore, type TempStore } from '../../support/tempStore.js';
import { listen } from '../../support/listen.js';
import { waitUntil } from '../../support/wait.js';

export const OUR = '+14155552671';
export const CONTACT = '+12125553456';
export const CHANNEL = 'C0SMS';
export const PUBLIC_URL = 'http://bridge.test';

export interface SlackHarness {
  url: string;
  slack: FakeSlack;
  twilio: FakeTwilio;
  temp: TempStore;
  signingSecret: string;
  slackRt: SlackRuntime;
  metrics: Metrics;
  /** Chat platforms delivery posts to (tests may register a recording second platform). */
  registry: ChatRegistry;
  outbound: Turns;
  delivery: Turns;
  /** This instance's heartbeat (two-instance tests stop it to make the instance "dead"). */
  liveness: Liveness;
  /** The queue prefix (shared by the instances of a two-instance test). */
  prefix: string;
  /** Provisions OUR (Twilio, local) and maps it to CHANNEL. */
  setupNumber(opts?: { number?: string; channel?: string }): Promise<void>;
  inboundSms(m: { sid: string; body: string; from?: string; to?: string; media?: { url: string; contentType: string }[] }): Promise<Response>;
  statusCallback(sid: string, status: string, errorCode?: string): Promise<Response>;
  slackEvent(event: Record<string, unknown>, opts?: { eventId?: string; retryNum?: number; timestamp?: number; secret?: string }): Promise<Response>;
  slashCommand(text: string, opts?: { user?: string; channel?: string; triggerId?: string; responseUrl?: string }): Promise<{ res: Response; responseUrl: string }>;
  /** Signed POST of any raw body to /slack/events. */
  signedPost(body: string, contentType: string, opts?: { timestamp?: number; secret?: string; retryNum?: number }): Promise<Response>;
  messages(): Promise<Message[]>;
  waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Socket Mode timings for tests: reconnect at once, then every 200 ms. */
export const FAST_SOCKET = { retryDelaysMs: [0, 200], attemptTimeoutMs: 3000, startWaitMs: 5000 };

export interface SlackHarnessOptions {
  attempts?: number;
  mediaDeadlineMs?: number;
  socket?: boolean;
  logger?: Logger;
  /** INSTANCE_ID (two instances on one data dir need different ones). */
  instanceId?: string;
  /**
   * Another instance of the same bridge: the same database (a connection of its own), Redis
   * prefix, fake Slack and fake Twilio; closing this one leaves those to `shareWith`.
   */
  shareWith?: SlackHarness;
  /** How often the Slack inbox upkeep looks for a dead instance's events. */
  inboxUpkeepMs?: number;
}

export async function createSlackHarness(opts: SlackHarnessOptions = {}): Promise<SlackHarness> {
  const shared = opts.shareWith ?? null;
  const prefix = shared?.prefix ?? uniquePrefix();
  const temp = shared?.temp ?? (await createTempStore());
  const slack = shared?.slack ?? (await startFakeSlack());
  const twilio = shared?.twilio ?? (await startFakeTwilio());
  const signingSecret = shared?.signingSecret ?? randomBytes(16).toString('hex');
  if (!shared) slack.addChannel(CHANNEL, 'sms-desk');
  const config = loadConfig({
    PORT: '0',
    PUBLIC_URL,
    DATA_DIR: temp.dir,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    SLACK_BOT_TOKEN: slack.botToken,
    // Socket Mode needs no signing secret: nothing arrives over HTTP.
    ...(opts.socket ? { SLACK_APP_TOKEN: slack.appToken } : { SLACK_SIGNING_SECRET: signingSecret }),
    SLACK_API_URL: slack.apiUrl,
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_AUTH_TOKEN: twilio.authToken,
    TWILIO_API_URL: twilio.url,
    ...(opts.instanceId ? { INSTANCE_ID: opts.instanceId } : {}),
  });
  const logger = opts.logger ?? createLogger({ level: 'silent' });
  const redis = newRedis();
  const own = newRedis();
  const clock = { now: () => new Date() };
  const store = shared ? await temp.openAnother() : temp.store;
  const metrics = createMetrics({ defaultMetrics: false });
  const ctx: AppContext = { config, logger, store, redis, own, metrics, clock, ...redisCoordination(own, config.queuePrefix) };

  // The production wiring (src/wiring.ts), tuned for tests: fast retries, no rate limits or pacing.
  const backoff = { baseMs: 50, maxMs: 500 };
  const built = await buildBridgeParts(ctx, {
    outbound: { rateLimits: false, attempts: opts.attempts, backoff },
    delivery: { attempts: opts.attempts, backoff },
    slackPace: null,
    slackSocket: FAST_SOCKET,
    mediaDeadlineMs: opts.mediaDeadlineMs,
    slackInboxUpkeepMs: opts.inboxUpkeepMs,
  });
  const { registry, outbound, delivery } = built;
  if (!built.slack) throw new Error('Slack is not configured');
  const slackRt = built.slack;

  await built.liveness.start();
  await slackRt.start();
  await outbound.start();
  await delivery.start();
  const app = createHttpApp(ctx, built.parts.mounts ?? []);
  const http = await listen(app);
  const url = http.url;

  const signedPost: SlackHarness['signedPost'] = (body, contentType, o = {}) => {
    const ts = o.timestamp ?? Math.floor(Date.now() / 1000);
    const sig = 'v0=' + createHmac('sha256', o.secret ?? signingSecret).update(`v0:${ts}:${body}`).digest('hex');
    const headers: Record<string, string> = {
      'content-type': contentType,
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': sig,
    };
    if (o.retryNum !== undefined) {
      headers['x-slack-retry-num'] = String(o.retryNum);
      headers['x-slack-retry-reason'] = 'http_timeout';
    }
    return fetch(`${url}/slack/events`, { method: 'POST', headers, body });
  };

  const h: SlackHarness = {
    url,
    slack,
    twilio,
    temp,
    signingSecret,
    slackRt,
    metrics,
    registry,
    outbound,
    delivery,
    liveness: built.liveness,
    prefix,
    async setupNumber(o = {}) {
      const number = o.number ?? OUR;
      if (!(await store.numbers.get(number))) await store.numbers.create({ e164: number, provider: 'twilio', type: 'local', status: 'active', country: 'US' });
      await store.mappings.create({ number, platform: 'slack', channel: o.channel ?? CHANNEL });
    },
    inboundSms(m) {
      const params = twilioInboundParams({ sid: m.sid, from: m.from ?? CONTACT, to: m.to ?? OUR, body: m.body, media: m.media, accountSid: twilio.accountSid });
      const signed = signTwilioWebhook(twilio.authToken, `${PUBLIC_URL}/webhooks/twilio/sms`, params);
      return fetch(`${url}/webhooks/twilio/sms`, { method: 'POST', headers: signed.headers, body: signed.body });
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
    slackEvent(event, o = {}) {
      const body = JSON.stringify({
        token: 'legacy',
        team_id: slack.teamId,
        api_app_id: 'A0APP',
        type: 'event_callback',
        event_id: o.eventId ?? `Ev${randomUUID().slice(0, 8)}`,
        event_time: Math.floor(Date.now() / 1000),
        event: { type: 'message', channel: CHANNEL, event_ts: event.ts, ...event },
        authorizations: [{ team_id: slack.teamId, user_id: slack.botUserId, is_bot: true }],
      });
      return signedPost(body, 'application/json', { timestamp: o.timestamp, secret: o.secret, retryNum: o.retryNum });
    },
    async slashCommand(text, o = {}) {
      const responseUrl = o.responseUrl ?? slack.responseUrl();
      const body = new URLSearchParams({
        token: 'legacy',
        team_id: slack.teamId,
        team_domain: 'fake',
        channel_id: o.channel ?? CHANNEL,
        channel_name: 'sms-desk',
        user_id: o.user ?? 'UAGENT',
        user_name: 'agent',
        command: '/sms',
        text,
        api_app_id: 'A0APP',
        response_url: responseUrl,
        trigger_id: o.triggerId ?? `trig-${randomUUID()}`,
      }).toString();
      const res = await signedPost(body, 'application/x-www-form-urlencoded');
      return { res, responseUrl };
    },
    signedPost,
    async messages() {
      const all: Message[] = [];
      for (const c of await store.conversations.list()) all.push(...(await store.messages.listForConversation(c.id)));
      return all;
    },
    waitFor: (check, what, timeoutMs) => waitUntil(check, what, timeoutMs),
    async close() {
      await http.close();
      await slackRt.stop();
      await delivery.stop();
      await outbound.stop();
      await built.liveness.stop();
      if (!shared) await deletePrefix(redis, prefix);
      await own.quit();
      await redis.quit();
      if (shared) return; // the first instance closes what they share (cleanup closes every store)
      await slack.close();
      await twilio.close();
      await temp.cleanup();
    },
  };
  if (!shared) {
    slack.addUser({ id: 'UAGENT', name: 'agent', real_name: 'Ana Agent' });
    slack.addUser({ id: 'UADMIN', name: 'boss', real_name: 'Bo Boss', is_admin: true });
  }
  return h;
}

/** Text of the response_url answers for one command. */
export function responsesTo(slack: FakeSlack, responseUrl: string): string[] {
  const id = responseUrl.split('/').pop();
  return slack.responses.filter((r) => r.id === id).map((r) => String(r.body.text ?? ''));
}

/** What the first conversation thread of a channel shows, post by post, oldest first ([] before it exists). */
export function firstThreadTexts(slack: FakeSlack, channel = CHANNEL): string[] {
  const root = slack.roots(channel)[0];
  return root ? slack.thread(channel, root.ts).map(shownText) : [];
}

/** Maps OUR to CHANNEL and has the contact text in: returns the ts of the conversation's thread root. */
export async function openConversationThread(h: SlackHarness): Promise<string> {
  await h.setupNumber();
  await h.inboundSms({ sid: 'SMin', body: 'hi, is my order ready?' });
  await h.waitFor(() => h.slack.messages.length === 2, 'inbound thread');
  return h.slack.roots(CHANNEL)[0]!.ts;
}
