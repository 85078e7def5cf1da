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
import { givePlaceUp, reserveReplyPlace } from '../../../src/chat/handleReply.js';
import { INBOX_KEEPER } from '../../../src/core/placeKeeper.js';
import { silentLogger, type ChatLogger } from '../../../src/delivery/logger.js';
import type { ChatRegistry } from '../../../src/delivery/registry.js';
import { ConfigError } from '../../../src/core/errors.js';
import type { ChatInboxRepo, InboxEvent } from '../../../src/infra/store/index.js';
import type { SlackSocketState } from '../../../src/metrics.js';
import { storedMediaReader } from '../../../src/media/storedMedia.js';
import { SlackApi, platformCode, slackLogger } from './api.js';
import { SlackChannelList } from './channelList.js';
import { handleSmsCommand, type SlashCommandPayload } from './commands.js';
import { UserNames, sharedSeenEvents, type SlackHandlerDeps } from './context.js';
import { handleMessageEvent, replyOf, type SlackMessageEvent } from './events.js';
import { PLATFORM_ID } from './format.js';
import { parseEnvelope, slackInboxMiddleware, type SlackEnvelope } from './inbox.js';
import { takeOverOpenEvents, type AliveCheck } from './inboxTakeover.js';
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
/** The inbox upkeep (replay of a dead instance's events, of failed ones) runs this often by default. */
const INBOX_UPKEEP_EVERY_MS = 2_000;
/** This process's own events whose handling failed are replayed once this old (and pruning runs this often). */
const INBOX_RETRY_AFTER_MS = 60 * 1000;
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
  /** Told when `/sms map` mapped a number here (its texts no chat showed yet are delivered). */
  afterMapped?: (number: string) => Promise<void>;
  /** Per-channel posting pace; null turns it off (benchmarks). Default ~1 msg/s, burst 10. */
  pace?: PacerOptions | null;
  /** Web API timeout per call. */
  timeoutMs?: number;
  /** Socket Mode timings (tests shorten them). */
  socket?: SlackSocketTuning;
  /**
   * Which inbox event owners (liveness owners) are alive: the events of the others are replayed
   * here. Default: every owner but `owner` is dead (one instance alone on its store).
   */
  alive?: AliveCheck;
  /** How often the inbox upkeep looks for a dead instance's events (default 2 s). */
  inboxUpkeepMs?: number;
}

export interface SlackRuntime {
  platform: SlackChatPlatform;
  api: SlackApi;
  /** The workspace's channels (conversations.list), for the console's mapping picker. */
  channels: SlackChannelList;
  /** Adds POST /slack/events (nothing in Socket Mode). Mount before any body parser that would consume the raw body. */
  mount(app: Express): void;
  /** auth.test (team and bot ids), Bolt init, in Socket Mode the socket, then (in the background) the inbox replay. */
  start(): Promise<void>;
  /**
   * Handles the message events stored but not handled (see inbox.ts), those open for longer than
   * `minAgeMs` (default: all), and the open events of instances that are not alive (claimed
   * first: one survivor replays each); returns how many. start() runs it, then the upkeep.
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
    afterMapped: deps.afterMapped,
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
  /** Ids of events this process is handling (the listener's and the replays'): never replayed meanwhile. */
  const busy = new Set<string>();
  const alive: AliveCheck = deps.alive ?? (async (owners) => new Map(owners.map((o) => [o, o === deps.owner])));
  const replyIn = (envelope: SlackEnvelope) =>
    replyOf((envelope.event ?? {}) as SlackMessageEvent, envelope.team_id ?? identity.teamId, identity.botUserId);
  /**
   * A reply takes its place in its conversation's order (a replay: takes it back). With the inbox
   * the place is the inbox's (placeKeeper.ts): whichever instance replays the stored event fills
   * it, so a dead instance's place is never given up and the reply keeps its turn.
   */
  const reservePlace = async (envelope: SlackEnvelope): Promise<void> => {
    const reply = replyIn(envelope);
    if (reply) await reserveReplyPlace(ctx.store, inbox ? INBOX_KEEPER : deps.owner, reply);
  };
  /**
   * Stored and the reply's place taken in one transaction, before Slack is answered; resolves only
   * once committed. A repeat of a stored event (Slack's retry, to any instance) took its place with
   * the first copy: nothing is reserved again (after the reply went out, that would be a new place
   * nobody fills).
   */
  const acceptEvent = (envelope: SlackEnvelope & { event_id: string }, body: string): Promise<void> =>
    ctx.store.transaction(async () => {
      if (inbox && !(await inbox.accept(PLATFORM_ID, envelope.event_id, body, deps.owner))) return;
      await reservePlace(envelope);
    });
  bolt.event('message', async ({ event, body }) => {
    const b = body as { team_id?: string; event_id?: string };
    // A repeat of an event any instance took (Slack's retry, a redelivery after the socket came
    // back) changes nothing and leaves the inbox row to the first: should that instance die before
    // it is done, the row is still open and the inbox upkeep (on any instance) replays it. An event
    // this process is replaying right now is left to the replay (checked and marked in one step).
    const id = b.event_id;
    if (id) {
      if (busy.has(id)) return;
      busy.add(id);
    }
    try {
      if (id && !(await handlerDeps.seenEvents.first(id))) return;
      await track(handleEvent(event as unknown as SlackMessageEvent, b));
    } finally {
      if (id) busy.delete(id);
    }
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

  let prunedAt = 0;
  const pruneInbox = async (): Promise<void> => {
    if (ctx.clock.now().getTime() - prunedAt < INBOX_RETRY_AFTER_MS) return;
    prunedAt = ctx.clock.now().getTime();
    try {
      await inbox?.pruneDone(new Date(ctx.clock.now().getTime() - INBOX_KEEP_MS).toISOString());
    } catch (err) {
      log.warn({ err: err instanceof Error ? err.message : String(err) }, 'slack: inbox prune failed');
    }
  };
  /**
   * Message events stored in the inbox but not handled: their instance died after Slack's 200
   * (this one's previous life, or another instance: see inboxTakeover.ts), or handling failed here
   * (for events open longer than `minAgeMs`). Oldest first. Replays are safe: a
   * reply already stored is recognised by its Slack id and never sent twice. An event that keeps
   * failing is given up after INBOX_MAX_ATTEMPTS replays, with an error log.
   */
  const takeOver = (minAgeMs: number, mine = true): Promise<InboxEvent[]> =>
    inbox
      ? takeOverOpenEvents(
          {
            inbox,
            platform: PLATFORM_ID,
            owner: deps.owner,
            alive,
            busy,
            now: () => ctx.clock.now().getTime(),
            transaction: (fn) => ctx.store.transaction(fn),
            // The inbox keeps the reply's place, so the workers never gave it up; reserving again takes
            // back one the workers did give up (kept by a process: stored before places were the inbox's).
            onClaimed: async (row) => {
              const envelope = parseEnvelope(row.payload);
              if (envelope) await reservePlace(envelope);
            },
            onError: (err) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'slack: inbox claim failed; tried again by the upkeep'),
          },
          { minAgeMs, mine },
        )
      : Promise.resolve([]);
  /** Handles events takeOver returned (they are in `busy` until handled). */
  const replayTaken = async (taken: InboxEvent[]): Promise<void> => {
    if (!inbox) return;
    for (const row of taken) {
      try {
        const envelope = parseEnvelope(row.payload);
        if (!envelope?.event || row.attempts >= INBOX_MAX_ATTEMPTS) {
          if (envelope?.event) log.error({ eventId: row.eventId, attempts: row.attempts }, 'slack: event given up after repeated failures');
          await inbox.markDone(PLATFORM_ID, row.eventId);
          // Nothing will fill its place now: the replies behind it go on.
          const reply = envelope ? replyIn(envelope) : null;
          if (reply) await givePlaceUp(chat, reply.platformMessageId);
          continue;
        }
        await inbox.countAttempt(PLATFORM_ID, row.eventId);
        await track(handleEvent(envelope.event as unknown as SlackMessageEvent, { team_id: envelope.team_id, event_id: row.eventId }));
      } finally {
        busy.delete(row.eventId);
      }
    }
    if (taken.length > 0) log.info({ events: taken.length }, 'slack: replayed events that were not handled');
  };
  const replayInbox = async (opts: { minAgeMs?: number; mine?: boolean } = {}): Promise<number> => {
    if (!inbox) return 0;
    await pruneInbox();
    const taken = await takeOver(opts.minAgeMs ?? 0, opts.mine ?? true);
    await replayTaken(taken);
    return taken.length;
  };
  let upkeepRunning = false;
  let ownRetriedAt = ctx.clock.now().getTime();
  const upkeep = async (): Promise<void> => {
    if (upkeepRunning) return; // a slow round (many events) is not overlapped by the next
    upkeepRunning = true;
    try {
      // A dead instance's events every round; this process's failed ones once a minute, so an
      // outage of the store or Redis does not use up their INBOX_MAX_ATTEMPTS in seconds.
      const now = ctx.clock.now().getTime();
      const mine = now - ownRetriedAt >= INBOX_RETRY_AFTER_MS;
      if (mine) ownRetriedAt = now;
      await replayInbox({ minAgeMs: INBOX_RETRY_AFTER_MS, mine });
    } finally {
      upkeepRunning = false;
    }
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
    channels: new SlackChannelList(api),
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
      // Replies a crash left open (this instance's previous life's, or a dead instance's) are
      // claimed and take back their places before any worker could give them up (the workers
      // start after the chat platforms); the replay below then prepares them. Redis away (no
      // liveness answer): the upkeep claims them later.
      let taken: InboxEvent[] = [];
      try {
        taken = await takeOver(0);
      } catch (err) {
        log.warn({ err: err instanceof Error ? err.message : String(err) }, 'slack: inbox events not claimed at start-up; the upkeep tries again');
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
          void upkeep().catch((err: unknown) => log.error({ err: err instanceof Error ? err.message : String(err) }, 'slack: inbox upkeep failed'));
        }, deps.inboxUpkeepMs ?? INBOX_UPKEEP_EVERY_MS).unref();
      }
      // In the background: a slow Slack must not hold up start-up (SMS webhooks must be taken).
      void pruneInbox()
        .then(() => replayTaken(taken))
        .catch((err: unknown) => log.error({ err: err instanceof Error ? err.message : String(err) }, 'slack: inbox replay failed'));
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
