// Bot Framework authentication on POST /api/messages, and credentials on outbound calls.
// No test here may reach login.microsoftonline.com / login.botframework.com: requests that would
// need a key lookup are never made (an unsigned or malformed token is refused before any fetch).

import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { loadConfig } from '../../../src/config.js';
import { ChatRegistry } from '../../../src/delivery/registry.js';
import { TEAMS_BODY_LIMIT } from '../../../adapters/chat/teams/bot.js';
import { createTeamsPlatform } from '../../../adapters/chat/teams/index.js';
import { recordInbound } from '../../../src/app/recordInbound.js';
import { deliverMessage } from '../../../src/delivery/deliverMessage.js';
import { CHANNEL, CONTACT, OUR, TWILIO_CAPS, botAddedToTeam, channelReply, recordingQueues, startHarness, type Harness } from './harness.js';
import { rawUpload } from '../../support/rawUpload.js';
import { createTempStore } from '../../support/tempStore.js';
import { MemoryLocks, MemoryPaceBudget } from '../../../src/infra/coordination/index.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const AUTH_ENV = { TEAMS_ALLOW_ANONYMOUS: 'false', TEAMS_APP_ID: '00000000-0000-0000-0000-000000000001', TEAMS_APP_PASSWORD: 'not-a-real-secret' };

describe('Teams authentication', () => {
  it('with TEAMS_APP_ID set, an unsigned activity is rejected with 401 and nothing happens', async () => {
    h = await startHarness({ env: AUTH_ENV });
    await h.temp.store.numbers.create({ e164: OUR, provider: 'twilio', type: 'local', status: 'active', country: 'US' });

    const install = await h.send(botAddedToTeam(h.connector.serviceUrl));
    expect(install.status).toBe(401);
    const reply = await h.send(channelReply({ serviceUrl: h.connector.serviceUrl, rootId: '1', text: 'send this' }));
    expect(reply.status).toBe(401);

    expect(await h.temp.store.chatChannels.list()).toEqual([]);
    expect(h.queues.sends).toEqual([]);
    expect(h.connector.calls).toEqual([]);
  });

  it('a bearer token that is not a JWT is rejected with 401', async () => {
    // (A well-formed JWT would make botbuilder fetch Microsoft's signing keys: never in tests.)
    h = await startHarness({ env: AUTH_ENV });
    for (const header of ['Bearer garbage', 'Basic dXNlcjpwYXNz', 'Bearer ']) {
      const res = await h.send(botAddedToTeam(h.connector.serviceUrl), { authorization: header });
      expect(res.status).toBe(401);
    }
    expect(await h.temp.store.chatChannels.list()).toEqual([]);
    expect(h.connector.calls).toEqual([]);
  });

  it('with TEAMS_APP_ID set, a request without a JWT-shaped bearer token is refused 401 before its body is read, and its connection closed', async () => {
    h = await startHarness({ env: AUTH_ENV });
    for (const authorization of [undefined, 'Bearer garbage', 'Bearer a.b', 'Basic dXNlcjpwYXNz']) {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) };
      const upload = await rawUpload({ url: h.url, path: '/api/messages', headers, contentLength: 1024 * 1024, body: Buffer.alloc(4096, 'a') });
      const closed = await upload.closed;
      expect(closed.statusLine, authorization).toBe('HTTP/1.1 401 Unauthorized');
      expect(closed.response).toMatch(/\r\nConnection: close\r\n/i);
      expect(closed.afterMs).toBeLessThan(8_000); // answered on the headers, not after a timeout
    }
    expect(h.connector.calls).toEqual([]);
  });

  it(`an activity declared larger than ${TEAMS_BODY_LIMIT / 1024} KB is refused with 413 before it is read`, async () => {
    h = await startHarness();
    const upload = await rawUpload({ url: h.url, path: '/api/messages', headers: { 'content-type': 'application/json' }, contentLength: TEAMS_BODY_LIMIT + 1, body: '{' });
    const closed = await upload.closed;
    expect(closed.statusLine).toBe('HTTP/1.1 413 Payload Too Large');
    expect(closed.afterMs).toBeLessThan(8_000);
    expect(await h.temp.store.chatChannels.list()).toEqual([]);
  });

  it('anonymous mode accepts activities without a token (emulator and tests only)', async () => {
    h = await startHarness();
    const res = await h.send(botAddedToTeam(h.connector.serviceUrl));
    expect(res.status).toBe(200);
    expect((await h.temp.store.chatChannels.list()).length).toBeGreaterThan(0);
  });

  it('anonymous mode logs a warning at start-up', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
    const temp = await createTempStore();
    try {
      const config = loadConfig({ DATA_DIR: temp.dir, TEAMS_ALLOW_ANONYMOUS: 'true' });
      const q = recordingQueues();
      const teams = createTeamsPlatform(
        { config, logger: pino({ level: 'info' }, sink), store: temp.store, clock: { now: () => new Date() }, locks: new MemoryLocks(), pace: new MemoryPaceBudget() },
        { queue: q.queue, owner: 'test~1', providerCaps: () => TWILIO_CAPS, signMediaUrl: () => 'x', registry: new ChatRegistry() },
      );
      await teams.start();
      const warning = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => l.level === 40);
      expect(warning?.msg).toMatch(/TEAMS_ALLOW_ANONYMOUS=true.*WITHOUT Bot Framework authentication/);
      await teams.stop();
    } finally {
      await temp.cleanup();
    }
  });

  it('a body that is not an activity gets 400 (type and conversation are required)', async () => {
    h = await startHarness();
    const good = botAddedToTeam(h.connector.serviceUrl);
    const { type: _t, ...noType } = good;
    const { conversation: _c, ...noConversation } = good;
    expect((await h.send(noType)).status).toBe(400);
    expect((await h.send(noConversation)).status).toBe(400);
    const raw = await fetch(`${h.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' });
    expect(raw.status).toBe(400);
  });

  it('outbound calls carry the bot token when credentials are configured', async () => {
    // Token source replaced: botbuilder would ask login.microsoftonline.com, which tests never reach.
    h = await startHarness({ env: AUTH_ENV, deps: { getToken: async () => 'test-bot-token' } });
    h.connector.requireToken('test-bot-token');
    // Installation needs a signed request in this mode; record the channel reference directly.
    await h.teams.channels.save({
      serviceUrl: h.connector.serviceUrl, channelId: CHANNEL, channelName: 'Sales', tenantId: 't', teamId: null, teamName: null, botId: null, botName: null,
    });
    const store = h.temp.store;
    await store.numbers.create({ e164: OUR, provider: 'twilio', type: 'local', status: 'active', country: 'US' });
    await store.mappings.create({ number: OUR, platform: 'teams', channel: CHANNEL });
    const { message } = await recordInbound({ store, clock: { now: () => new Date() } }, { provider: 'twilio', providerMessageId: 'SMa', from: CONTACT, to: OUR, body: 'hi', media: [] });
    const result = await deliverMessage({ store, registry: h.registry, locks: new MemoryLocks() }, message.id);
    expect(result.posted).toHaveLength(1);
    expect(h.connector.calls.every((c) => c.authorization === 'Bearer test-bot-token')).toBe(true);
  });

  it('without credentials and without anonymous mode, Teams does not start', async () => {
    const temp = await createTempStore();
    try {
      const config = loadConfig({ DATA_DIR: temp.dir });
      const q = recordingQueues();
      expect(() =>
        createTeamsPlatform(
          { config, logger: pino({ level: 'silent' }), store: temp.store, clock: { now: () => new Date() }, locks: new MemoryLocks(), pace: new MemoryPaceBudget() },
          { queue: q.queue, owner: 'test~1', providerCaps: () => TWILIO_CAPS, signMediaUrl: () => 'x' },
        ),
      ).toThrow(/TEAMS_APP_ID is required/);
    } finally {
      await temp.cleanup();
    }
  });
});
