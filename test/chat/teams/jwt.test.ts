// Bot Framework JWTs on POST /api/messages, verified for real: botbuilder reads its signing keys
// from a local fake OpenID provider (TEAMS_OPENID_METADATA_URL) that publishes an RSA key made
// here, and the tests sign tokens with it (RS256, the claims Bot Framework channels send). A guard
// on every TCP connect of this process proves no request leaves 127.0.0.1 (no Microsoft login,
// no Microsoft metadata): outbound calls get their token from the adapter's getToken seam.

import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuthenticationConstants, AuthenticationError } from 'botframework-connector';
import { botFrameworkOptions, classifyAuthError } from '../../../adapters/chat/teams/auth.js';
import { recordInbound } from '../../../src/app/recordInbound.js';
import { deliverMessage } from '../../../src/delivery/deliverMessage.js';
import { APP_ID, b64url, channelClaims, makeKey, signToken, type FakeOpenId, type SigningKey } from '../../fakes/fakeOpenId.js';
import { connectGuard } from '../../support/connectGuard.js';
import { BOT_TOKEN, CHANNEL, CONTACT, OUR, TEAM_ID, bearer, botAddedToTeam, channelReply, startAuthenticatedHarness, until, type Harness } from './harness.js';
import { MemoryLocks } from '../../../src/infra/coordination/memoryLocks.js';

// --- no request may leave 127.0.0.1 -------------------------------------------------------------
const guard = connectGuard();
const connects = guard.hosts;
beforeAll(() => guard.install());
afterAll(() => guard.restore());
// botbuilder's JwtTokenExtractor prints every refused token (with the public key PEM) on stderr.
beforeAll(() => void vi.spyOn(console, 'error').mockImplementation(() => undefined));
afterAll(() => vi.restoreAllMocks());

// --- harness in authenticated mode --------------------------------------------------------------
let h: Harness | null = null;
let openId: FakeOpenId | null = null;
afterEach(async () => {
  await h?.close();
  await openId?.close();
  h = null;
  openId = null;
});

async function authenticatedBridge(o: { keys: { key: SigningKey; endorsements: string[] }[]; authTimeoutMs?: number }): Promise<{ h: Harness; openId: FakeOpenId }> {
  const started = await startAuthenticatedHarness(o);
  ({ h, openId } = started);
  return started;
}

function onlyLoopback(): void {
  expect(connects.length).toBeGreaterThan(0);
  expect(connects.filter((host) => host !== '127.0.0.1')).toEqual([]);
}

describe('Bot Framework JWTs, verified against a local OpenID provider', () => {
  it('a valid channel token is accepted (200) and the activity is processed', async () => {
    const key = makeKey();
    const { h, openId } = await authenticatedBridge({ keys: [{ key, endorsements: ['msteams'] }] });
    const serviceUrl = h.connector.serviceUrl;
    h.connector.setTeamChannels(TEAM_ID, [{ id: TEAM_ID }, { id: CHANNEL, name: 'Sales leads' }]);

    const install = await h.send(botAddedToTeam(serviceUrl), bearer(signToken(key, channelClaims(serviceUrl))));
    expect(install.status).toBe(200);
    expect((await h.teams.channels.list()).map((c) => c.channelId)).toContain(CHANNEL);

    // A contact texts in: the thread is created in Teams (outbound, with the injected bot token).
    const store = h.temp.store;
    await store.numbers.create({ e164: OUR, provider: 'twilio', type: 'local', status: 'active', country: 'US' });
    await store.mappings.create({ number: OUR, platform: 'teams', channel: CHANNEL });
    const { message } = await recordInbound(
      { store, clock: { now: () => new Date() } },
      { provider: 'twilio', providerMessageId: 'SM-jwt-1', from: CONTACT, to: OUR, body: 'hi', media: [] },
    );
    await deliverMessage({ store, registry: h.registry, locks: new MemoryLocks() }, message.id);
    const rootId = h.connector.roots(CHANNEL)[0]!.id;

    // A signed reply in that thread goes out as SMS: the whole turn ran.
    const reply = await h.send(channelReply({ serviceUrl, rootId, text: 'on our way' }), bearer(signToken(key, channelClaims(serviceUrl))));
    expect(reply.status).toBe(200);
    await until(() => h.queues.sends.length === 1);

    // Keys came from the fake, once (botbuilder caches them), and every connect stayed local.
    expect(openId.requests).toEqual(['/v1/.well-known/openidconfiguration', '/v1/.well-known/keys']);
    expect(h.connector.calls.every((c) => c.authorization === `Bearer ${BOT_TOKEN}`)).toBe(true);
    onlyLoopback();
  });

  it.each([
    ['a token for another bot (wrong audience)', { aud: '00000000-0000-0000-0000-0000000000ff' }],
    ['an expired token', { nbf: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 }],
    ['a token that is not valid yet', { nbf: Math.floor(Date.now() / 1000) + 3600, exp: Math.floor(Date.now() / 1000) + 7200 }],
    ['a token from another issuer', { iss: 'https://sts.example.com/' }],
    ['a token for another serviceUrl (serviceurl claim mismatch)', { serviceurl: 'https://smba.trafficmanager.net/amer/' }],
  ])('%s is rejected with 401 and nothing happens', async (_name, over) => {
    const key = makeKey();
    const { h } = await authenticatedBridge({ keys: [{ key, endorsements: ['msteams'] }] });
    const serviceUrl = h.connector.serviceUrl;
    const res = await h.send(botAddedToTeam(serviceUrl), bearer(signToken(key, channelClaims(serviceUrl, over))));
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'unauthorized', message: 'Bot Framework token required.' } });
    expect(await h.temp.store.chatChannels.list()).toEqual([]);
    expect(h.connector.calls).toEqual([]);
    onlyLoopback();
  });

  it('a token signed by another key is rejected with 401, whether its kid is unknown or a published one', async () => {
    const key = makeKey('published-kid');
    const { h } = await authenticatedBridge({ keys: [{ key, endorsements: ['msteams'] }] });
    const serviceUrl = h.connector.serviceUrl;
    const unknownKid = makeKey('unknown-kid');
    const sameKid = makeKey('published-kid'); // forged: claims the published kid, other private key
    for (const forger of [unknownKid, sameKid]) {
      const res = await h.send(botAddedToTeam(serviceUrl), bearer(signToken(forger, channelClaims(serviceUrl))));
      expect(res.status, forger.kid).toBe(401);
    }
    // Unsigned (alg none) with the published kid: refused as well.
    const none = `${b64url({ alg: 'none', typ: 'JWT', kid: key.kid })}.${b64url(channelClaims(serviceUrl))}.`;
    expect((await h.send(botAddedToTeam(serviceUrl), bearer(none))).status).toBe(401);
    expect(await h.temp.store.chatChannels.list()).toEqual([]);
    onlyLoopback();
  });

  it('a key not endorsed for msteams does not authenticate Teams activities (401)', async () => {
    const key = makeKey();
    const { h } = await authenticatedBridge({ keys: [{ key, endorsements: ['webchat'] }] });
    const serviceUrl = h.connector.serviceUrl;
    const res = await h.send(botAddedToTeam(serviceUrl), bearer(signToken(key, channelClaims(serviceUrl))));
    expect(res.status).toBe(401);
    expect(await h.temp.store.chatChannels.list()).toEqual([]);
  });

  it('when the OpenID metadata endpoint is down, a token that cannot be checked gets 503 with Retry-After, no stack, nothing happens', async () => {
    const key = makeKey();
    const { h, openId } = await authenticatedBridge({ keys: [{ key, endorsements: ['msteams'] }] });
    openId.mode = 'down';
    const serviceUrl = h.connector.serviceUrl;
    const res = await fetch(`${h.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(signToken(key, channelClaims(serviceUrl))) },
      body: JSON.stringify(botAddedToTeam(serviceUrl)),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('10');
    const body = await res.text();
    expect(JSON.parse(body)).toMatchObject({ error: { code: 'auth_unavailable' } });
    expect(body).not.toMatch(/at .*\.js|Failed to load|openid/i);
    expect(await h.temp.store.chatChannels.list()).toEqual([]);

    // Back up: the same kind of token goes through (nothing was cached from the failure).
    openId.mode = 'ok';
    const again = await h.send(botAddedToTeam(serviceUrl), bearer(signToken(key, channelClaims(serviceUrl))));
    expect(again.status).toBe(200);
    onlyLoopback();
  });

  it('when nothing listens at the metadata address, the answer is 503 too (connection refused)', async () => {
    const key = makeKey();
    const { h, openId } = await authenticatedBridge({ keys: [{ key, endorsements: ['msteams'] }] });
    await openId.close(); // the port is free now: connection refused
    const serviceUrl = h.connector.serviceUrl;
    const res = await h.send(botAddedToTeam(serviceUrl), bearer(signToken(key, channelClaims(serviceUrl))));
    expect(res.status).toBe(503);
    expect(await h.temp.store.chatChannels.list()).toEqual([]);
    openId.close = async () => undefined;
    onlyLoopback();
  });

  it('a metadata endpoint that never answers gives 503 within the auth time limit', async () => {
    const key = makeKey();
    const { h, openId } = await authenticatedBridge({ keys: [{ key, endorsements: ['msteams'] }], authTimeoutMs: 300 });
    openId.mode = 'hang';
    const serviceUrl = h.connector.serviceUrl;
    const res = await h.send(botAddedToTeam(serviceUrl), bearer(signToken(key, channelClaims(serviceUrl))));
    expect(res.status).toBe(503);
    expect(openId.requests).toEqual(['/v1/.well-known/openidconfiguration']);
    expect(await h.temp.store.chatChannels.list()).toEqual([]);
  });

  it('still refuses a request without a token before any key lookup', async () => {
    const key = makeKey();
    const { h, openId } = await authenticatedBridge({ keys: [{ key, endorsements: ['msteams'] }] });
    const res = await h.send(botAddedToTeam(h.connector.serviceUrl));
    expect(res.status).toBe(401);
    expect(openId.requests).toEqual([]);
  });
});

describe('TEAMS_OPENID_METADATA_URL in the botbuilder options', () => {
  const creds = { appId: APP_ID, appPassword: 'pw', tenantId: null, allowAnonymous: false };

  it('unset: no parameterized option, botbuilder picks its public-cloud defaults itself', () => {
    const o = botFrameworkOptions({ ...creds, openIdMetadataUrl: null }) as Record<string, unknown>;
    expect(Object.keys(o).sort()).toEqual(['MicrosoftAppId', 'MicrosoftAppPassword', 'MicrosoftAppType']);
  });

  it('set: the whole public-cloud set is passed with that one URL changed (botbuilder takes all or none)', () => {
    const url = 'http://127.0.0.1:1/v1/.well-known/openidconfiguration';
    const o = botFrameworkOptions({ ...creds, openIdMetadataUrl: url }) as Record<string, unknown>;
    expect(o).toMatchObject({
      ToBotFromChannelOpenIdMetadataUrl: url,
      ToBotFromChannelTokenIssuer: AuthenticationConstants.ToBotFromChannelTokenIssuer,
      ToChannelFromBotLoginUrl: AuthenticationConstants.ToChannelFromBotLoginUrl,
      ToChannelFromBotOAuthScope: AuthenticationConstants.ToChannelFromBotOAuthScope,
      OAuthUrl: AuthenticationConstants.OAuthUrl,
      ToBotFromEmulatorOpenIdMetadataUrl: AuthenticationConstants.ToBotFromEmulatorOpenIdMetadataUrl,
      CallerId: 'urn:botframework:azure',
    });
  });
});

describe('how a failed token check is answered', () => {
  it.each([
    [new AuthenticationError('Unauthorized. Invalid AppId passed on token: x', 401), 401],
    [new AuthenticationError('Failed to load openID config: 503', 500), 503],
    [Object.assign(new Error('invalid signature'), { name: 'JsonWebTokenError' }), 401],
    [Object.assign(new Error('jwt expired'), { name: 'TokenExpiredError' }), 401],
    [Object.assign(new Error('jwt not active'), { name: 'NotBeforeError' }), 401],
    [Object.assign(new Error('request to https://login.botframework.com failed, reason: getaddrinfo ENOTFOUND'), { name: 'FetchError' }), 503],
    [new TypeError('something unexpected'), 500],
  ])('%s -> %i', (err, status) => {
    expect(classifyAuthError(err).status).toBe(status);
  });
});
