// Test harness for the Teams adapter: a real SQLite store on a temp file, the fake Bot Framework
// connector, and the bridge's express app with POST /api/messages on 127.0.0.1:0. The outbound
// side is a recording queue (what was enqueued for sending / delivery), so these tests look at the
// Teams edge only; test/e2e runs the whole pipeline.

import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import { loadConfig } from '../../../src/config.js';
import type { OutboxRepo, SmsProviderCapabilities, TurnQueue } from '../../../src/core/ports.js';
import { ChatRegistry } from '../../../src/delivery/registry.js';
import { createTeamsPlatform, type TeamsDeps, type TeamsParts } from '../../../adapters/chat/teams/index.js';
import { botAddedToTeamActivity, startFakeBotConnector, type FakeBotConnector } from '../../fakes/fakeBotConnector.js';
import { createTempStore, type TempStore } from '../../support/tempStore.js';
import { APP_ID, startFakeOpenId, type FakeOpenId, type SigningKey } from '../../fakes/fakeOpenId.js';
import type { Locks, PaceBudget } from '../../../src/core/coordination.js';
import { MemoryLocks, MemoryPaceBudget } from '../../../src/infra/coordination/index.js';

export const BOT_ID = '28:bridge-app-id';
export const TEAM_ID = '19:team-general@thread.tacv2';
export const CHANNEL = '19:sales-channel@thread.tacv2';
export const TENANT = 'tenant-1';
export const OUR = '+14155550100';
export const CONTACT = '+14155552671';

export const TWILIO_CAPS: SmsProviderCapabilities = {
  mms: true,
  maxMediaFiles: 10,
  maxMediaBytes: 5 * 1024 * 1024,
  idempotentSend: false,
};

export interface RecordingQueues {
  /** Work woken per lane, as the messages it is for (read from the outbox). */
  sends: { messageId: string; conversationId: string }[];
  deliveries: { messageId: string; conversationId: string }[];
  queue: TurnQueue;
}

export function recordingQueues(outbox?: Pick<OutboxRepo, 'get'>): RecordingQueues {
  const sends: RecordingQueues['sends'] = [];
  const deliveries: RecordingQueues['deliveries'] = [];
  const seen = new Set<string>();
  return {
    sends,
    deliveries,
    queue: {
      wake: async (lane, conversationId, token) => {
        const messageId = token.startsWith('m') ? (await outbox?.get(Number(token.slice(1))))?.messageId : null;
        if (!messageId || seen.has(`${lane}/${token}`)) return; // one job per id, as BullMQ keeps
        seen.add(`${lane}/${token}`);
        (lane === 'send' ? sends : deliveries).push({ messageId, conversationId });
      },
    },
  };
}

export interface Harness {
  temp: TempStore;
  connector: FakeBotConnector;
  teams: TeamsParts;
  registry: ChatRegistry;
  queues: RecordingQueues;
  url: string;
  /** POSTs an activity to /api/messages. */
  send(activity: unknown, headers?: Record<string, string>): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

export async function startHarness(opts: {
  env?: Record<string, string>;
  deps?: Partial<TeamsDeps>;
  connector?: FakeBotConnector;
  /** Default: silent. */
  logger?: Logger;
  /** Locks and pace budget; default: memory ones (one process). */
  coordination?: { locks: Locks; pace: PaceBudget };
} = {}): Promise<Harness> {
  const temp = await createTempStore();
  const connector = opts.connector ?? (await startFakeBotConnector());
  const config = loadConfig({
    DATA_DIR: temp.dir,
    PUBLIC_URL: 'http://127.0.0.1:9',
    TEAMS_ALLOW_ANONYMOUS: 'true',
    // The fake connector listens on 127.0.0.1, not on Microsoft's Bot Framework service hosts
    // (anonymous mode accepts loopback anyway; tests with JWT checks on need it named).
    TEAMS_SERVICE_URL_HOSTS: '127.0.0.1',
    LOG_LEVEL: 'silent',
    ...opts.env,
  });
  const logger = opts.logger ?? pino({ level: 'silent' });
  const registry = new ChatRegistry();
  const queues = recordingQueues(temp.store.outbox);
  const teams = createTeamsPlatform(
    // One process by default: memory locks and budgets (the cross-instance tests pass Redis ones).
    { config, logger, store: temp.store, clock: { now: () => new Date() }, ...(opts.coordination ?? { locks: new MemoryLocks(), pace: new MemoryPaceBudget() }) },
    {
      queue: queues.queue,
      owner: 'test~1',
      providerCaps: () => TWILIO_CAPS,
      signMediaUrl: (id, ttl) => `http://127.0.0.1:9/media/${id}?exp=${ttl}&sig=test`,
      registry,
      connectorTimeoutMs: 2_000,
      ...opts.deps,
    },
  );
  await teams.start();
  const app = express();
  teams.mount(app);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    temp,
    connector,
    teams,
    registry,
    queues,
    url,
    async send(activity, headers = {}) {
      const res = await fetch(`${url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(activity),
      });
      return { status: res.status, body: await res.text() };
    },
    async close() {
      await teams.stop();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await connector.close();
      await temp.cleanup();
    },
  };
}

/** The bot's token on outbound connector calls in authenticated mode (no Microsoft login). */
export const BOT_TOKEN = 'test-bot-token';

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/**
 * The harness with Bot Framework token checks on: botbuilder takes its signing keys from a fake
 * OpenID provider publishing `keys`, and the connector requires BOT_TOKEN. `env` adds settings.
 */
export async function startAuthenticatedHarness(o: {
  keys: { key: SigningKey; endorsements: string[] }[];
  authTimeoutMs?: number;
  env?: Record<string, string>;
  logger?: Logger;
}): Promise<{ h: Harness; openId: FakeOpenId }> {
  const openId = await startFakeOpenId(o.keys);
  const h = await startHarness({
    logger: o.logger,
    env: { TEAMS_ALLOW_ANONYMOUS: 'false', TEAMS_APP_ID: APP_ID, TEAMS_APP_PASSWORD: 'not-a-real-secret', TEAMS_OPENID_METADATA_URL: openId.metadataUrl, ...o.env },
    // Outbound connector calls: a fixed token instead of botbuilder asking login.microsoftonline.com.
    deps: { getToken: async () => BOT_TOKEN, ...(o.authTimeoutMs ? { authTimeoutMs: o.authTimeoutMs } : {}) },
  });
  h.connector.requireToken(BOT_TOKEN);
  return { h, openId };
}

let seq = 1_800_000_000_000;
export const nextActivityId = (): string => String(seq++);

/** A person's reply in a channel thread, as Teams sends it (RSC: no @mention needed). */
export function channelReply(o: {
  serviceUrl: string;
  rootId: string;
  text: string;
  id?: string;
  channel?: string;
  from?: { id: string; name: string; aadObjectId?: string };
  entities?: unknown[];
  attachments?: unknown[];
  type?: string;
  eventType?: string;
  /** The bot and team of the install (default: this harness's). */
  botId?: string;
  teamId?: string;
}): Record<string, unknown> {
  const channel = o.channel ?? CHANNEL;
  const teamId = o.teamId ?? TEAM_ID;
  return {
    type: o.type ?? 'message',
    id: o.id ?? nextActivityId(),
    timestamp: new Date().toISOString(),
    serviceUrl: o.serviceUrl,
    channelId: 'msteams',
    from: o.from ?? { id: '29:user-alice', name: 'Alice Agent', aadObjectId: 'aad-alice' },
    recipient: { id: o.botId ?? BOT_ID, name: 'SMS Bridge' },
    conversation: { id: `${channel};messageid=${o.rootId}`, conversationType: 'channel', isGroup: true, tenantId: TENANT },
    textFormat: 'plain',
    text: o.text,
    ...(o.entities ? { entities: o.entities } : {}),
    ...(o.attachments ? { attachments: o.attachments } : {}),
    channelData: {
      ...(o.eventType ? { eventType: o.eventType } : {}),
      teamsChannelId: channel,
      teamsTeamId: teamId,
      channel: { id: channel },
      team: { id: teamId },
      tenant: { id: TENANT },
    },
  };
}

/** The bot being added to a team (conversationUpdate teamMemberAdded). */
export function botAddedToTeam(serviceUrl: string, teamName = 'Sales'): Record<string, unknown> {
  return botAddedToTeamActivity({
    id: nextActivityId(),
    serviceUrl,
    botId: BOT_ID,
    teamId: TEAM_ID,
    teamName,
    tenantId: TENANT,
    from: { id: '29:user-admin', name: 'Admin', aadObjectId: 'aad-admin' },
  });
}

export function installationUpdate(serviceUrl: string, action: 'add' | 'remove'): Record<string, unknown> {
  return {
    type: 'installationUpdate',
    id: nextActivityId(),
    action,
    serviceUrl,
    channelId: 'msteams',
    from: { id: '29:user-admin', name: 'Admin', aadObjectId: 'aad-admin' },
    recipient: { id: BOT_ID, name: 'SMS Bridge' },
    conversation: { id: TEAM_ID, conversationType: 'channel', isGroup: true, tenantId: TENANT },
    channelData: { team: { id: TEAM_ID, name: 'Sales' }, tenant: { id: TENANT } },
  };
}

export function channelEvent(serviceUrl: string, eventType: string, channel: { id: string; name?: string }): Record<string, unknown> {
  return {
    type: 'conversationUpdate',
    id: nextActivityId(),
    serviceUrl,
    channelId: 'msteams',
    from: { id: '29:user-admin', name: 'Admin' },
    recipient: { id: BOT_ID, name: 'SMS Bridge' },
    conversation: { id: TEAM_ID, conversationType: 'channel', isGroup: true, tenantId: TENANT },
    channelData: { eventType, channel, team: { id: TEAM_ID, name: 'Sales' }, tenant: { id: TENANT } },
  };
}

/** Installs the bot in the team with CHANNEL among its channels, and maps OUR number there. */
export async function installAndMap(h: Harness): Promise<void> {
  h.connector.setTeamChannels(TEAM_ID, [{ id: TEAM_ID }, { id: CHANNEL, name: 'Sales leads' }]);
  const res = await h.send(botAddedToTeam(h.connector.serviceUrl));
  if (res.status !== 200) throw new Error(`install failed: ${res.status} ${res.body}`);
  const store = h.temp.store;
  await store.numbers.create({ e164: OUR, provider: 'twilio', type: 'local', status: 'active', country: 'US' });
  await store.mappings.create({ number: OUR, platform: 'teams', channel: CHANNEL });
}

/** Waits until `check` returns a value (not undefined/false), polling. */
export async function until<T>(check: () => T | undefined | false | null | Promise<T | undefined | false | null>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false && v !== null) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
