// Slack as the bridge's first chat platform: Bolt with an ExpressReceiver mounted on our express
// app at POST /slack/events (events, slash commands; Slack signature checked by Bolt on the raw
// body: bad, stale or stamped in the future (> 5 min either way) -> 401 and nothing happens), or,
// with SLACK_APP_TOKEN, Socket Mode: the same Bolt handlers behind a receiver of our own on the
// WebSocket the bridge opens (socketReceiver.ts), and no /slack/events route.
//
// createSlackPlatform(ctx, deps) returns the ChatPlatform (for the ChatRegistry used by delivery
// and status notices), mount(app) for the HTTP route, and start()/stop() for the lifetime.

import { App, ExpressReceiver } from '@slack/bolt';
import type { Express } from 'express';
import type { ChatServiceDeps } from '../../../src/chat/types.js';
import type { Locks, PaceBudget } from '../../../src/core/coordination.js';
import type { Clock, SmsProviderCapabilities, Store, TurnQueue } from '../../../src/core/ports.js';
import { reserveReplyPlace } from '../../../src/chat/handleReply.js';
import { silentLogger, type ChatLogger } from '../../../src/delivery/logger.js';
import type { ChatRegistry } from '../../../src/delivery/registry.js';
import { ConfigError } from '../../../src/core/errors.js';
import type { ChatInboxRepo } from '../../../src/infra/store/index.js';
import type { SlackSocketState } from '../../../src/metrics.js';
import { storedMediaReader } from '../../../src/media/storedMedia.js';
import { SlackApi, platformCode, slackLogger } from './api.js';
import { handleSmsCommand, type SlashCommandPayload } from './commands.js';
import { UserNames, sharedSeenEvents, type SlackHandlerDeps } from './context.js';
import { handleMessageEvent, replyOf, type SlackMessageEvent } from './events.js';
import { PLATFORM_ID } from './format.js';
import { parseEnvelope, slackInboxMiddleware, type SlackEnvelope } from './inbox.js';
import { ChannelPacer, DEFAULT_PACE, type PacerOptions } from './pacer.js';
import { refuseFutureSlackRequests } from './requestAge.js';
import { slackRequestShape } from './requestShape.js';
import { SlackChatPlatform } from './platform.js';
import { SLACK_BODY_LIMIT, slackRequestGuard } from './requestGuard.js';
import { SlackSocket, type SlackSocketTuning } from './socketConnection.js';
import { SlackSocketReceiver } from './socketReceiver.js';

export { SlackChatPlatform } from './platform.js';
export { escapeSlackText } from './format.js';

/** The part of AppContext Slack needs (src/app.ts AppContext satisfies it). */
/** How long handled inbox events are kept (Slack retries within minutes); pruned by the upkeep. */
const INBOX_KEEP_MS = 3600 * 1000;
/** The inbox upkeep (prune, replay of events whose handling failed) runs this often. */
const INBOX_UPKEEP_EVERY_MS = 60 * 1000;
/** Replays of one event before it is given up (logged as an error). */
const INBOX_MAX_ATTEMPTS = 5;

export interface SlackAppContext {
  config: {
    dataDir: string;
    /** `appToken`: Socket Mode (SLACK_APP_TOKEN); without it, events over HTTP (signingSecret). */
    slack: { enabled: boolean; botToken: string | null; signingSecret: string | null; appToken?: string | null; apiUrl: string };
  };
  /** With a chat inbox (the SQLite store has one), message events are stored before Slack's 200. */
  store: Store & { chatInbox?: ChatInboxRepo };
  clock: Clock;
  logger?: ChatLogger;
  /** Where the Socket Mode connection's state goes (/readyz and smsb_slack_socket_connected). */
  metrics?: { slackSocket: { set(state: SlackSocketState): void } };
  /** Shared by every instance: which event ids were seen (Slack's retries go to any of them). */
  locks: Locks;
  /** Shared by every instance: each channel's posting budget. */
  pace: PaceBudget;
}

export interface SlackPlatformDeps {
  queue: TurnQueue;
  /** This process as the preparer of reserved places (liveness owner). */
  owner: string;
  providerCaps: (provider: string) => SmsProviderCapabilities | null;
  /** When given, the platform registers itself here. */
  registry?: ChatRegistry;
  /** Per-channel posting pace; null turns it off (benchmarks). Default ~1 msg/s, burst 10. */
  pace?: PacerOptions | null;
  /** Web API timeout per call. */
  timeoutMs?: number;
  /** Socket Mode timings (tests shorten them). */
  socket?: SlackSocketTuning;
}

export interface SlackRuntime {
  platform: SlackChatPlatform;
  api: SlackApi;
  /** Adds POST /slack/events (nothing in Socket Mode). Mount before any body parser that would consume the raw body. */
  mount(app: Express): void;
  /** auth.test (team and bot ids), Bolt init, in Socket Mode the socket, then (in the background) the inbox replay. */
  start(): Promise<void>;
  /**
   * Handles the message events stored but not handled (see inbox.ts), those open for longer than
   * `minAgeMs` (default: all); returns how many. start() runs it, then the upkeep every minute.
   */
  replayInbox(opts?: { minAgeMs?: number }): Promise<number>;
  stop(): Promise<void>;
}

export function createSlackPlatform(ctx: SlackAppContext, deps: SlackPlatformDeps): SlackRuntime {
  const { botToken, signingSecret, apiUrl } = ctx.config.slack;
  const appToken = ctx.config.slack.appToken ?? null;
  if (!botToken || (!signingSecret && !appToken)) throw new Error('Slack needs SLACK_BOT_TOKEN, and SLACK_SIGNING_SECRET or SLACK_APP_TOKEN');
  const log = ctx.logger ?? silentLogger;
  const api = new SlackApi({ token: botToken, apiUrl, logger: log, timeoutMs: deps.timeoutMs });
  const identity: SlackHandlerDeps['identity'] = { teamId: '', botUserId: null, botId: null };
  let identityCall: Promise<SlackHandlerDeps['identity']> | null = null;
  const whoAmI = (): Promise<SlackHandlerDeps['identity']> =>
    (identityCall ??= api.authTest().then(
      (who) => {
        identity.teamId = who.teamId;
        identity.botUserId = who.userId || null;
        identity.botId = who.botId;
        return identity;
      },
      (err: unknown) => {
        identityCall = null; // try again next time
        if (platformCode(err) === 'invalid_auth' || platformCode(err) === 'not_authed') {
          throw new ConfigError('SLACK_BOT_TOKEN: Slack does not accept this token (auth.test says invalid_auth)');
        }
        throw err;
      },
    ));
  const pace = deps.pace === undefined ? DEFAULT_PACE : deps.pace;
  const platform = new SlackChatPlatform({
    api,
    media: storedMediaReader({ files: ctx.store.mediaFiles, dataDir: ctx.config.dataDir }),
    // A delivery job may run before start() finished: it then waits for auth.test.
    teamId: async () => identity.teamId || (await whoAmI()).teamId,
    pacer: pace ? new ChannelPacer(pace, ctx.pace) : null,
    logger: log,
    notePrefix: async () => (await ctx.store.policy.get()).internalNotePrefix,
  });
  const chat: ChatServiceDeps = {
    store: ctx.store,
    clock: ctx.clock,
    queue: deps.queue,
    owner: deps.owner,
    providerCaps: deps.providerCaps,
    logger: log,
  };
  const handlerDeps: SlackHandlerDeps = {
    chat,
    api,
    platform,
    logger: log,
    identity,
    userNames: new UserNames(api, log),
    seenEvents: sharedSeenEvents(ctx.locks, INBOX_KEEP_MS),
  };

  const boltLogger = slackLogger(log);
  const socket = appToken
    ? new SlackSocket({ appToken, apiUrl, logger: log, onState: (state) => ctx.metrics?.slackSocket.set(state), tuning: deps.socket })
    : null;
  const receiver = socket
    ? // The same accept step as /slack/events, before each event's acknowledgement (both below).
      new SlackSocketReceiver({ socket, accept: (e, body) => acceptEvent(e, body), track: (work) => track(work), logger: log })
    : new ExpressReceiver({
        signingSecret: signingSecret ?? '',
        endpoints: '/slack/events',
        // Ack first, work after: Slack wants an answer within 3 s and retries otherwise.
        processBeforeResponse: false,
        logger: boltLogger,
        bodyLimit: SLACK_BODY_LIMIT,
      });
  const bolt = new App({
    // Our own authorize rather than `token`: with a token, Bolt calls auth.test in init() and keeps
    // that answer for good, so one Slack hiccup at boot would either stop the whole bridge (no SMS
    // webhooks taken) or fail every later event. whoAmI keeps a success and asks again after a
    // failure; the ids it returns are what Bolt's ignoreSelf needs.
    authorize: async () => {
      const who = await whoAmI();
      return { botToken, teamId: who.teamId, botUserId: who.botUserId ?? undefined, botId: who.botId ?? undefined };
    },
    receiver,
    logger: boltLogger,
    deferInitialization: true,
    clientOptions: { slackApiUrl: apiUrl, retryConfig: { retries: 0 } },
  });

  // Work that runs after Slack got its ack; stop() lets it finish before the store closes.
  const inflight = new Set<Promise<unknown>>();
  const track = async <T>(work: Promise<T>): Promise<T> => {
    inflight.add(work);
    try {
      return await work;
    } finally {
      inflight.delete(work);
    }
  };

  const inbox = ctx.store.chatInbox ?? null;
  /** A reply takes its place in its conversation's order (a replay: takes it back). */
  const reservePlace = async (envelope: SlackEnvelope): Promise<void> => {
    const reply = replyOf((envelope.event ?? {}) as SlackMessageEvent, envelope.team_id ?? identity.teamId, identity.botUserId);
    if (reply) await reserveReplyPlace(ctx.store, deps.owner, reply);
  };
  /** Stored (and the reply's place taken) in one transaction; resolves only once committed. */
  const acceptEvent = (envelope: SlackEnvelope & { event_id: string }, body: string): Promise<void> =>
    ctx.store.transaction(async () => {
      await inbox?.accept(PLATFORM_ID, envelope.event_id, body);
      await reservePlace(envelope);
    });
  bolt.event('message', async ({ event, body }) => {
    const b = body as { team_id?: string; event_id?: string };
    // A repeat of an event any instance took (Slack's retry, a redelivery after the socket came
    // back) changes nothing and leaves the inbox row to the first: should that instance die before
    // it is done, the row is still open and the inbox upkeep (on any instance) replays it.
    if (b.event_id && !(await handlerDeps.seenEvents.first(b.event_id))) return;
    await track(handleEvent(event as unknown as SlackMessageEvent, b));
  });
  /** Handles a message event (the listener above took it, or the inbox replays it) and marks it done. */
  const handleEvent = async (event: SlackMessageEvent, b: { team_id?: string; event_id?: string }): Promise<void> => {
    try {
      await handleMessageEvent(handlerDeps, event, { teamId: b.team_id ?? identity.teamId, eventId: null });
    } catch (err) {
      // Left open in the inbox: the upkeep replays it (the store or Redis may be back by then).
      log.error({ err: err instanceof Error ? err.message : String(err), eventId: b.event_id }, 'slack message event failed; kept for another try');
      return;
    }
    // Handled (a refusal or a problem was shown in the thread): not replayed.
    if (!b.event_id || !inbox) return;
    try {
      await inbox.markDone(PLATFORM_ID, b.event_id);
    } catch (err) {
      // Handled, but still open: a replay finds the reply stored and sends nothing twice.
      log.warn({ err: err instanceof Error ? err.message : String(err), eventId: b.event_id }, 'slack: handled event not marked done');
    }
  };

  const pruneInbox = async (): Promise<void> => {
    try {
      await inbox?.pruneDone(new Date(ctx.clock.now().getTime() - INBOX_KEEP_MS).toISOString());
    } catch (err) {
      log.warn({ err: err instanceof Error ? err.message : String(err) }, 'slack: inbox prune failed');
    }
  };
  /**
   * Message events stored in the inbox but not handled: the process died after Slack's 200 (at
   * start-up every open one), or handling failed (the upkeep, for events open longer than
   * `minAgeMs`, so none still being handled is taken twice). Oldest first. Replays are safe: a
   * reply already stored is recognised by its Slack id and never sent twice. An event that keeps
   * failing is given up after INBOX_MAX_ATTEMPTS replays, with an error log.
   */
  const replayInbox = async (opts: { minAgeMs?: number } = {}): Promise<number> => {
    if (!inbox) return 0;
    await pruneInbox();
    const receivedBefore = new Date(ctx.clock.now().getTime() - (opts.minAgeMs ?? 0)).toISOString();
    const open = await inbox.listOpen(PLATFORM_ID, { receivedBefore });
    for (const row of open) {
      const envelope = parseEnvelope(row.payload);
      if (!envelope?.event || row.attempts >= INBOX_MAX_ATTEMPTS) {
        if (envelope?.event) log.error({ eventId: row.eventId, attempts: row.attempts }, 'slack: event given up after repeated failures');
        await inbox.markDone(PLATFORM_ID, row.eventId);
        continue;
      }
      await inbox.countAttempt(PLATFORM_ID, row.eventId);
      await track(handleEvent(envelope.event as unknown as SlackMessageEvent, { team_id: envelope.team_id, event_id: row.eventId }));
    }
    if (open.length > 0) log.info({ events: open.length }, 'slack: replayed events that were not handled');
    return open.length;
  };
  let upkeepTimer: NodeJS.Timeout | null = null;

  bolt.command('/sms', async ({ command, ack, respond }) => {
    await ack();
    const reply = async (text: string): Promise<void> => {
      await respond({ response_type: 'ephemeral', text });
    };
    await track(
      handleSmsCommand(handlerDeps, command as unknown as SlashCommandPayload, reply).catch(async (err: unknown) => {
        log.error({ err: err instanceof Error ? err.message : String(err) }, 'slack /sms failed');
        await reply(':warning: Something went wrong on the bridge. Check the contact\'s thread before trying again, so nothing goes twice.').catch(() => undefined);
      }),
    );
  });

  deps.registry?.register(platform);

  return {
    platform,
    api,
    mount(app) {
      // Socket Mode: nothing arrives over HTTP, and /slack/events answers 404 like any unknown route.
      if (!(receiver instanceof ExpressReceiver) || !signingSecret) return;
      // Headers first: an unsigned request or an oversized declared body never has its body read.
      app.post('/slack/events', slackRequestGuard(log));
      app.post('/slack/events', refuseFutureSlackRequests());
      // Signed bodies Bolt or the bridge cannot read are answered here (400, or 200 and ignored).
      app.post('/slack/events', slackRequestShape({ signingSecret, logger: log }));
      if (inbox) app.post('/slack/events', slackInboxMiddleware({ signingSecret, accept: acceptEvent, logger: log }));
      app.use(receiver.router);
    },
    replayInbox,
    async start() {
      // Replies a crash left open take back their places before any worker could give them up
      // (the workers start after the chat platforms); the replay below then prepares them.
      for (const row of (await inbox?.listOpen(PLATFORM_ID)) ?? []) {
        const envelope = parseEnvelope(row.payload);
        if (envelope) await ctx.store.transaction(() => reservePlace(envelope));
      }
      await bolt.init(); // no Slack call: authorization is ours (above)
      try {
        const who = await whoAmI();
        log.info({ team: who.teamId }, 'slack ready');
      } catch (err) {
        // A token Slack refuses is a configuration mistake: stop start-up and say so. Slack not
        // answering is not: the bridge must still take SMS webhooks; posts to Slack are retried by
        // the delivery queue and the workspace identity is asked for again when needed.
        if (err instanceof ConfigError) throw err;
        log.warn({ err: err instanceof Error ? err.message : String(err) }, 'slack: Slack does not answer at start-up; starting anyway, it is asked again when needed');
      }
      // Socket Mode: connected, or Slack away and the socket still being opened in the background;
      // an app token Slack refuses stops start-up like a bot token it refuses.
      if (socket) await bolt.start();
      if (inbox && !upkeepTimer) {
        upkeepTimer = setInterval(() => {
          void replayInbox({ minAgeMs: INBOX_UPKEEP_EVERY_MS }).catch((err: unknown) =>
            log.error({ err: err instanceof Error ? err.message : String(err) }, 'slack: inbox upkeep failed'),
          );
        }, INBOX_UPKEEP_EVERY_MS).unref();
      }
      // In the background: a slow Slack must not hold up start-up (SMS webhooks must be taken).
      void replayInbox().catch((err: unknown) => log.error({ err: err instanceof Error ? err.message : String(err) }, 'slack: inbox replay failed'));
    },
    async stop() {
      if (upkeepTimer) clearInterval(upkeepTimer);
      upkeepTimer = null;
      // Socket Mode: no new envelopes (one Slack sent and we did not acknowledge, it sends again).
      if (socket) await bolt.stop();
      // Stays registered: a delivery job still running must not take Slack for "not configured"
      // and skip its channel. HTTP has stopped taking requests; let acked events and commands finish (bounded).
      await Promise.race([Promise.allSettled([...inflight]), new Promise((r) => setTimeout(r, 10_000).unref())]);
    },
  };
}
