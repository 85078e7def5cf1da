// Microsoft Teams, assembled: the ChatPlatform delivery uses, POST /api/messages, and the admin
// channel list. src/app.ts (through a BridgeModule) builds it once from the AppContext.

import type { Express, RequestHandler } from 'express';
import type { Application, TeamsAdapter } from '@microsoft/teams-ai';
import type { AppContext, BridgeModule, BridgeParts } from '../../../src/app.js';
import type { ChannelSource } from '../../../src/chat/channelDirectory.js';
import type { ChatServiceDeps } from '../../../src/chat/types.js';
import type { SmsProviderCapabilities, TurnQueue } from '../../../src/core/ports.js';
import type { ChatRegistry } from '../../../src/delivery/registry.js';
import { teamsChannelsRouter } from './adminRouter.js';
import { createAdapter, createTokenProvider } from './auth.js';
import { createTeamsApplication, mountTeamsRoute, type TeamsBotDeps } from './bot.js';
import { TeamsChannels } from './channels.js';
import { teamsChannelSource } from './channelList.js';
import { BotConnectorClient, type TokenProvider } from './connector.js';
import { DEFAULT_TEAMS_PACE, TeamsPacer, type TeamsPaceOptions } from './pacer.js';
import { TeamsPlatform } from './platform.js';
import { ActivityTrust } from './trust.js';

export { TeamsPlatform, teamsMessageId, parseTeamsMessageId, threadConversationId } from './platform.js';
export { TeamsChannels, type TeamsChannelReference, type TeamsChannelInfo } from './channels.js';
export { teamsChannelsRouter } from './adminRouter.js';
export { escapeForTeams } from './format.js';
export { TEAMS_PLATFORM } from './connector.js';
export { TEAMS_ROUTE } from './bot.js';

/** The part of the AppContext Teams reads (metrics optional for tests). */
export type TeamsContext = Pick<AppContext, 'config' | 'logger' | 'store' | 'clock' | 'locks' | 'pace'> & Partial<Pick<AppContext, 'metrics'>>;

export interface TeamsDeps {
  /** Wakes the lanes (handleChatReply -> requestOutbound). */
  queue: TurnQueue;
  /** This process as the preparer of reserved places (liveness owner). */
  owner: string;
  providerCaps: (provider: string) => SmsProviderCapabilities | null;
  /** src/media/signedUrls.ts: signer.sign bound, `(mediaId, ttlSeconds) => absolute URL`. */
  signMediaUrl: (mediaId: string, ttlSeconds: number) => string;
  /** When given, the platform registers itself there (delivery and status notices find it). */
  registry?: ChatRegistry;
  /** When given, mount() also adds GET /admin/api/teams/channels behind it. */
  requireAdmin?: RequestHandler;
  /** Replaces botbuilder's token source for connector calls (tests of authenticated mode). */
  getToken?: TokenProvider;
  connectorTimeoutMs?: number;
  /** Posting pace under Teams' documented limits; null turns it off. Default DEFAULT_TEAMS_PACE. */
  pace?: TeamsPaceOptions | null;
  /** Limit on one inbound Bot Framework token check (OpenID metadata fetch included); default 10 s. */
  authTimeoutMs?: number;
  /** Lifetime of picture links posted to Teams; default 7 days. */
  mediaUrlTtlSeconds?: number;
}

export interface TeamsParts {
  platform: TeamsPlatform;
  channels: TeamsChannels;
  /** The channels of the teams the bot is in, for the console's mapping picker. */
  channelSource: ChannelSource;
  adapter: TeamsAdapter;
  application: Application;
  /** POST /api/messages (and the admin channel list when requireAdmin was given). */
  mount(app: Express): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** How long a handled reply is remembered in the chat inbox (Teams redelivers within minutes). */
const HANDLED_KEEP_MS = 3600 * 1000;

export function createTeamsPlatform(ctx: TeamsContext, deps: TeamsDeps): TeamsParts {
  const cfg = ctx.config.teams;
  const log = ctx.logger.child({ platform: 'teams' });
  const adapter = createAdapter(cfg);
  const getToken = deps.getToken ?? createTokenProvider(adapter, cfg);
  const pace = deps.pace === undefined ? DEFAULT_TEAMS_PACE : deps.pace;
  const trust = new ActivityTrust(cfg);
  const serviceUrls = trust.serviceUrls;
  const connector = new BotConnectorClient({ getToken, serviceUrls, timeoutMs: deps.connectorTimeoutMs, pacer: pace ? new TeamsPacer(pace, ctx.pace) : null });
  const channels = new TeamsChannels(ctx.store.chatChannels, serviceUrls);
  const platform = new TeamsPlatform({
    connector,
    channels,
    store: ctx.store,
    notices: ctx.store.statusNotices,
    locks: ctx.locks,
    signMediaUrl: deps.signMediaUrl,
    mediaUrlTtlSeconds: deps.mediaUrlTtlSeconds,
  });
  const chat: ChatServiceDeps = {
    store: ctx.store,
    clock: ctx.clock,
    queue: deps.queue,
    owner: deps.owner,
    providerCaps: deps.providerCaps,
    logger: log,
  };
  const botDeps: TeamsBotDeps = {
    adapter,
    botAppId: cfg.appId,
    anonymous: cfg.allowAnonymous,
    authTimeoutMs: deps.authTimeoutMs,
    trust,
    logger: log,
    webhooks: ctx.metrics?.webhooks,
    replies: {
      chat,
      platform,
      channels,
      getToken,
      serviceUrls,
      maxFileBytes: async () => Math.min(ctx.config.mediaMaxBytes, (await ctx.store.policy.get()).mms.maxTotalBytes),
      logger: log,
      locks: ctx.locks,
      inbox: ctx.store.chatInbox,
    },
    installation: { channels, connector, logger: log },
  };
  const application = createTeamsApplication(botDeps);
  deps.registry?.register(platform);
  // Replies marked handled in the chat inbox (replies.ts) are needed while Teams may redeliver
  // them (minutes); forgotten after an hour, so the table does not grow with every reply.
  let pruneTimer: NodeJS.Timeout | null = null;
  const pruneHandled = (): void => {
    ctx.store.chatInbox
      .pruneDone(new Date(ctx.clock.now().getTime() - HANDLED_KEEP_MS).toISOString())
      .catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'teams: inbox prune failed'));
  };

  return {
    platform,
    channels,
    channelSource: teamsChannelSource(channels),
    adapter,
    application,
    mount(app) {
      mountTeamsRoute(app, botDeps, application);
      if (deps.requireAdmin) app.use(teamsChannelsRouter({ channels, mappings: ctx.store.mappings, requireAdmin: deps.requireAdmin }));
    },
    async start() {
      pruneTimer ??= setInterval(pruneHandled, HANDLED_KEEP_MS).unref();
      if (cfg.allowAnonymous) {
        log.warn('TEAMS_ALLOW_ANONYMOUS=true: Teams requests are accepted WITHOUT Bot Framework authentication and replies are sent without credentials. Use only with the emulator or in tests.');
      } else {
        log.info(
          {
            appId: cfg.appId,
            tenant: cfg.tenantId ?? 'multi-tenant',
            allowedTenants: cfg.allowedTenants ?? 'any',
            serviceUrlHosts: cfg.serviceUrlHosts ?? 'Microsoft Bot Framework hosts',
            openIdMetadataUrl: cfg.openIdMetadataUrl ?? 'botbuilder default',
          },
          'teams: Bot Framework authentication on',
        );
      }
    },
    async stop() {
      if (pruneTimer) clearInterval(pruneTimer);
      pruneTimer = null;
      // Stays registered on purpose: the delivery worker may stop after us and must still find
      // Teams for its in-flight jobs (an unregistered platform's targets would be skipped, and
      // the message never posted there). Nothing else is held open: connector calls are plain
      // fetches that finish with their requests.
    },
  };
}

/**
 * A BridgeModule for src/modules.ts: Teams is on when config.teams.enabled. `resolve` picks the
 * shared parts (queues, registry, signer, requireAdmin) from wherever the app keeps them.
 */
export function teamsModule(resolve: (ctx: AppContext) => TeamsDeps | Promise<TeamsDeps>): BridgeModule {
  return async (ctx): Promise<BridgeParts> => {
    if (!ctx.config.teams.enabled) return {};
    const teams = createTeamsPlatform(ctx, await resolve(ctx));
    return {
      mounts: [(app) => teams.mount(app)],
      startables: [{ name: 'teams', start: () => teams.start(), stop: () => teams.stop() }],
    };
  };
}
