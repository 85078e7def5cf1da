// What a Teams activity must be besides well signed (issue 13): from the Teams channel, from an
// allowed tenant, and naming a serviceUrl on the Bot Framework service hosts; and the bridge never
// calls (nor sends the bot's token to) any other serviceUrl, whatever it has stored.
//
// Tokens are real (botbuilder checks them against a fake OpenID provider, test/fakes/fakeOpenId.ts)
// and signed for exactly the serviceUrl each activity names, as the Bot Framework would sign them
// for another channel of the same bot: the refusals here are the bridge's own rules, not the
// token check. The fake connector listens on 127.0.0.1, which the harness names in
// TEAMS_SERVICE_URL_HOSTS; a second fake reached as "localhost" stands for a host outside it.

import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TeamsChannels } from '../../../adapters/chat/teams/channels.js';
import { stageReplyFiles } from '../../../adapters/chat/teams/replyFiles.js';
import { ServiceUrlPolicy } from '../../../adapters/chat/teams/trust.js';
import { recordInbound } from '../../../src/app/recordInbound.js';
import { deliverMessage } from '../../../src/delivery/deliverMessage.js';
import { channelClaims, makeKey, signToken, type FakeOpenId, type SigningKey } from '../../fakes/fakeOpenId.js';
import { startFakeBotConnector, type FakeBotConnector } from '../../fakes/fakeBotConnector.js';
import { connectGuard } from '../../support/connectGuard.js';
import { logLines } from '../../support/logLines.js';
import { createTempStore, type TempStore } from '../../support/tempStore.js';
import {
  BOT_TOKEN,
  CHANNEL,
  CONTACT,
  OUR,
  TEAM_ID,
  TENANT,
  bearer,
  botAddedToTeam,
  channelEvent,
  channelReply,
  startAuthenticatedHarness,
  startHarness,
  type Harness,
} from './harness.js';
import { MemoryLocks } from '../../../src/infra/coordination/memoryLocks.js';

const guard = connectGuard();
beforeAll(() => guard.install());
afterAll(() => guard.restore());
// botbuilder prints refused tokens on stderr.
beforeAll(() => void vi.spyOn(console, 'error').mockImplementation(() => undefined));
afterAll(() => vi.restoreAllMocks());

const TENANT_A = '6b1f3c2e-0d4a-4c8e-9a57-1f0e2d3c4b5a';
const TENANT_B = 'a9e8d7c6-b5a4-4321-8fed-cba987654321';

let key: SigningKey;
let h: Harness | null = null;
let openId: FakeOpenId | null = null;
let other: FakeBotConnector | null = null;
let temp: TempStore | null = null;
beforeAll(() => {
  // Microsoft's keys are endorsed for every channel of the bot, not only Teams.
  key = makeKey();
});
afterEach(async () => {
  await h?.close();
  await openId?.close();
  await other?.close();
  await temp?.cleanup();
  h = openId = other = temp = null;
});

function logCapture() {
  const { destination, lines } = logLines();
  return { logger: pino({ level: 'info' }, destination), lines };
}

async function authenticated(env: Record<string, string> = {}, logger?: ReturnType<typeof logCapture>['logger']): Promise<Harness> {
  ({ h, openId } = await startAuthenticatedHarness({ keys: [{ key, endorsements: ['msteams', 'webchat', 'directline', 'emulator'] }], env, logger }));
  return h;
}

/** POSTs the activity with a valid token for its own serviceUrl. */
function signed(target: Harness, activity: Record<string, unknown>) {
  return target.send(activity, bearer(signToken(key, channelClaims(activity.serviceUrl as string))));
}

/** A second connector, reached by a host name TEAMS_SERVICE_URL_HOSTS does not list. */
async function outsideConnector(): Promise<{ fake: FakeBotConnector; serviceUrl: string }> {
  other = await startFakeBotConnector();
  return { fake: other, serviceUrl: other.serviceUrl.replace('127.0.0.1', 'localhost') };
}

const refusal = (body: string) => JSON.parse(body) as { error: { code: string; message: string; reason: string } };
const withTenant = (a: Record<string, unknown>, tenant: string | null): Record<string, unknown> => ({
  ...a,
  conversation: { ...(a.conversation as object), tenantId: tenant },
  channelData: { ...(a.channelData as object), tenant: tenant ? { id: tenant } : undefined },
});

async function install(target: Harness): Promise<void> {
  target.connector.setTeamChannels(TEAM_ID, [{ id: TEAM_ID }, { id: CHANNEL, name: 'Sales leads' }]);
  expect((await signed(target, botAddedToTeam(target.connector.serviceUrl))).status).toBe(200);
}

describe('with Bot Framework tokens checked, an activity must come from Teams', () => {
  it.each(['webchat', 'directline', 'emulator'])('a well-signed activity from channel "%s" is refused with 403 and changes nothing', async (channelId) => {
    const target = await authenticated();
    const res = await signed(target, { ...botAddedToTeam(target.connector.serviceUrl), channelId });
    expect(res.status).toBe(403);
    expect(refusal(res.body)).toMatchObject({ error: { code: 'forbidden', reason: 'channel_not_allowed' } });
    expect(await target.temp.store.chatChannels.list()).toEqual([]);
    expect(target.connector.calls).toEqual([]);
  });

  it('a reply from another channel sends no SMS, and the refusal is logged at warn without its text', async () => {
    const { logger, lines } = logCapture();
    const target = await authenticated({}, logger);
    await install(target);
    const res = await signed(target, { ...channelReply({ serviceUrl: target.connector.serviceUrl, rootId: '1', text: 'the secret plan' }), channelId: 'webchat' });
    expect(res.status).toBe(403);
    expect(target.queues.sends).toEqual([]);
    const warn = lines.find((l) => l.msg === 'teams: activity refused');
    expect(warn).toMatchObject({ level: 40, reason: 'channel_not_allowed', channelId: 'webchat', type: 'message' });
    expect(JSON.stringify(lines)).not.toContain('the secret plan');
  });
});

describe('TEAMS_ALLOWED_TENANTS and TEAMS_APP_TENANT_ID', () => {
  it('with TEAMS_ALLOWED_TENANTS set, only those tenants\' activities are taken (ids compared without case)', async () => {
    const target = await authenticated({ TEAMS_ALLOWED_TENANTS: `${TENANT_A},${TENANT_B}` });
    target.connector.setTeamChannels(TEAM_ID, [{ id: TEAM_ID }, { id: CHANNEL, name: 'Sales leads' }]);
    const added = botAddedToTeam(target.connector.serviceUrl);

    for (const tenant of [TENANT, null]) {
      const res = await signed(target, withTenant(added, tenant));
      expect(res.status, String(tenant)).toBe(403);
      expect(refusal(res.body).error.reason).toBe('tenant_not_allowed');
    }
    expect(await target.temp.store.chatChannels.list()).toEqual([]);
    expect(target.connector.calls).toEqual([]);

    expect((await signed(target, withTenant(added, TENANT_B.toUpperCase()))).status).toBe(200);
    expect(await target.teams.channels.get(CHANNEL)).toMatchObject({ serviceUrl: target.connector.serviceUrl });
  });

  it('the tenant may come from conversation.tenantId when channelData names none', async () => {
    const target = await authenticated({ TEAMS_ALLOWED_TENANTS: TENANT_A });
    const added = botAddedToTeam(target.connector.serviceUrl);
    const res = await signed(target, { ...added, conversation: { ...(added.conversation as object), tenantId: TENANT_A }, channelData: { ...(added.channelData as object), tenant: undefined } });
    expect(res.status).toBe(200);
  });

  it('a single-tenant bot (TEAMS_APP_TENANT_ID) takes its own tenant\'s activities only', async () => {
    const target = await authenticated({ TEAMS_APP_TENANT_ID: TENANT_A });
    const added = botAddedToTeam(target.connector.serviceUrl);
    expect((await signed(target, withTenant(added, TENANT_B))).status).toBe(403);
    expect(await target.temp.store.chatChannels.list()).toEqual([]);
    expect((await signed(target, withTenant(added, TENANT_A))).status).toBe(200);
  });
});

describe('serviceUrls outside the Bot Framework service hosts', () => {
  it('an activity naming another serviceUrl neither replaces the stored reference nor makes the bridge call that host', async () => {
    const target = await authenticated();
    await install(target);
    const { fake, serviceUrl } = await outsideConnector();
    fake.setTeamChannels(TEAM_ID, [{ id: TEAM_ID }, { id: CHANNEL, name: 'Sales leads' }]);
    const connectsBefore = guard.hosts.length;

    for (const activity of [
      channelReply({ serviceUrl, rootId: '1', text: 'hello' }),
      channelEvent(serviceUrl, 'channelRenamed', { id: CHANNEL, name: 'Renamed' }),
      botAddedToTeam(serviceUrl),
    ]) {
      const res = await signed(target, activity);
      expect(res.status, String(activity.type)).toBe(403);
      expect(refusal(res.body).error.reason).toBe('service_url_not_allowed');
    }
    expect(await target.teams.channels.get(CHANNEL)).toMatchObject({ serviceUrl: target.connector.serviceUrl, channelName: 'Sales leads' });
    expect(fake.calls).toEqual([]);
    expect(guard.hosts.slice(connectsBefore).filter((host) => host !== '127.0.0.1')).toEqual([]);

    // The next customer SMS still goes to the real connector.
    const store = target.temp.store;
    await store.numbers.create({ e164: OUR, provider: 'twilio', type: 'local', status: 'active', country: 'US' });
    await store.mappings.create({ number: OUR, platform: 'teams', channel: CHANNEL });
    const { message } = await recordInbound({ store, clock: { now: () => new Date() } }, { provider: 'twilio', providerMessageId: 'SM-trust-1', from: CONTACT, to: OUR, body: 'hi', media: [] });
    expect((await deliverMessage({ store, registry: target.registry, locks: new MemoryLocks() }, message.id)).posted).toHaveLength(1);
    expect(target.connector.roots(CHANNEL)).toHaveLength(1);
    expect(fake.calls).toEqual([]);
  });

  it('a reference stored earlier with such a serviceUrl is never called: posting fails with a reason, no token leaves', async () => {
    const target = await authenticated();
    const { fake, serviceUrl } = await outsideConnector();
    // As an older bridge (before these rules) may have stored it.
    await target.temp.store.chatChannels.upsert({
      platform: 'teams',
      channel: CHANNEL,
      name: 'Sales leads',
      reference: { serviceUrl, channelId: CHANNEL, channelName: 'Sales leads', tenantId: TENANT, teamId: TEAM_ID, teamName: 'Sales', botId: '28:bot', botName: null },
    });
    const store = target.temp.store;
    await store.numbers.create({ e164: OUR, provider: 'twilio', type: 'local', status: 'active', country: 'US' });
    await store.mappings.create({ number: OUR, platform: 'teams', channel: CHANNEL });
    const { message } = await recordInbound({ store, clock: { now: () => new Date() } }, { provider: 'twilio', providerMessageId: 'SM-trust-2', from: CONTACT, to: OUR, body: 'hi', media: [] });
    const result = await deliverMessage({ store, registry: target.registry, locks: new MemoryLocks() }, message.id);
    expect(result.posted).toEqual([]);
    expect(JSON.stringify(result)).toMatch(/serviceUrl is not a Bot Framework service host/);
    expect(fake.calls).toEqual([]);
  });

  it('a new TeamsChannels reference outside the hosts is not stored (and does not overwrite one)', async () => {
    temp = await createTempStore();
    const channels = new TeamsChannels(temp.store.chatChannels, new ServiceUrlPolicy({ allowAnonymous: false, serviceUrlHosts: null }));
    const ref = { channelId: CHANNEL, channelName: 'Sales', tenantId: null, teamId: null, teamName: null, botId: null, botName: null };
    expect(await channels.save({ ...ref, serviceUrl: 'https://smba.trafficmanager.net/amer/' })).toBe(true);
    expect(await channels.save({ ...ref, serviceUrl: 'http://127.0.0.1:6379/' })).toBe(false);
    expect(await channels.save({ ...ref, serviceUrl: 'https://smba.trafficmanager.net.example.com/' })).toBe(false);
    expect((await channels.get(CHANNEL))?.serviceUrl).toBe('https://smba.trafficmanager.net/amer/');
  });

  it('files of an activity whose serviceUrl is not trusted are not fetched from it, and the bot\'s token goes nowhere', async () => {
    temp = await createTempStore();
    const { fake, serviceUrl } = await outsideConnector();
    const url = fake.addAttachment(Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), 'image/png').replace('127.0.0.1', 'localhost');
    const policy = new ServiceUrlPolicy({ allowAnonymous: false, serviceUrlHosts: ['127.0.0.1'] });
    const staged = await stageReplyFiles(
      { store: temp.store, maxBytes: 1 << 20, getToken: async () => BOT_TOKEN, serviceUrls: policy },
      serviceUrl,
      [{ contentType: 'image/png', contentUrl: url, name: 'photo.png' }],
    );
    expect(staged.media).toEqual([]);
    expect(staged.problems).toEqual(['photo.png: the link does not point to Teams']);
    expect(fake.calls).toEqual([]);

    // The same file through a trusted connector is fetched (with the token).
    const trusted = await stageReplyFiles(
      { store: temp.store, maxBytes: 1 << 20, getToken: async () => BOT_TOKEN, serviceUrls: policy },
      fake.serviceUrl,
      [{ contentType: 'image/png', contentUrl: url.replace('localhost', '127.0.0.1'), name: 'photo.png' }],
    );
    expect(trusted.media).toHaveLength(1);
    expect(await temp.store.mediaFiles.get(trusted.media[0]!.mediaId!)).toEqual(Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
    expect(fake.calls.map((c) => c.authorization)).toEqual([`Bearer ${BOT_TOKEN}`]);
  });
});

describe('anonymous mode (emulator and tests)', () => {
  it('takes the Emulator\'s channel and a loopback serviceUrl; other channels and non-Microsoft hosts are refused', async () => {
    h = await startHarness({ env: { TEAMS_SERVICE_URL_HOSTS: '' } });
    h.connector.setTeamChannels(TEAM_ID, [{ id: TEAM_ID }, { id: CHANNEL, name: 'Sales leads' }]);
    const added = botAddedToTeam(h.connector.serviceUrl);
    expect((await h.send({ ...added, channelId: 'webchat' })).status).toBe(403);
    expect((await h.send({ ...added, serviceUrl: 'https://connector.example.com/' })).status).toBe(403);
    expect(await h.temp.store.chatChannels.list()).toEqual([]);
    expect((await h.send({ ...added, channelId: 'emulator' })).status).toBe(200);
    expect(await h.teams.channels.get(CHANNEL)).toMatchObject({ serviceUrl: h.connector.serviceUrl });
  });
});

describe('the serviceUrl hosts', () => {
  const microsoft = new ServiceUrlPolicy({ allowAnonymous: false, serviceUrlHosts: null });

  it.each([
    'https://smba.trafficmanager.net/amer/',
    'https://smba.trafficmanager.net/emea/',
    'https://smba.trafficmanager.net/teams/',
    'https://smba.infra.gcc.teams.microsoft.com/teams',
    'https://smba.infra.gov.teams.microsoft.us/teams',
    'https://smba.infra.dod.teams.microsoft.us/teams',
  ])('by default Microsoft\'s Bot Framework service hosts are trusted: %s', (url) => {
    expect(microsoft.allows(url)).toBe(true);
  });

  it.each([
    'http://smba.trafficmanager.net/amer/',
    'https://smba.trafficmanager.net:8443/amer/',
    'https://smba.trafficmanager.net.example.com/',
    'https://evil-smba.trafficmanager.net/',
    'https://user:pw@smba.trafficmanager.net/amer/',
    'https://directline.botframework.com/',
    'http://127.0.0.1:3978/',
    'http://localhost:3978/',
    'not a url',
  ])('and nothing else: %s', (url) => {
    expect(microsoft.allows(url)).toBe(false);
  });

  it('TEAMS_SERVICE_URL_HOSTS replaces them; *.suffix matches subdomains only; a listed loopback host takes any port', () => {
    const own = new ServiceUrlPolicy({ allowAnonymous: false, serviceUrlHosts: ['*.bots.example.cn', '127.0.0.1'] });
    expect(own.allows('https://smba.bots.example.cn/teams/')).toBe(true);
    expect(own.allows('https://bots.example.cn/')).toBe(false);
    expect(own.allows('https://smba.trafficmanager.net/amer/')).toBe(false);
    expect(own.allows('http://127.0.0.1:45123/')).toBe(true);
    expect(own.allows('http://localhost:45123/')).toBe(false);
  });

  it('anonymous mode adds loopback (the Emulator) to them', () => {
    const anonymous = new ServiceUrlPolicy({ allowAnonymous: true, serviceUrlHosts: null });
    expect(anonymous.allows('http://localhost:3978/')).toBe(true);
    expect(anonymous.allows('http://127.0.0.1:3978/')).toBe(true);
    expect(anonymous.allows('https://smba.trafficmanager.net/amer/')).toBe(true);
    expect(anonymous.allows('http://10.0.0.5:3978/')).toBe(false);
  });
});
