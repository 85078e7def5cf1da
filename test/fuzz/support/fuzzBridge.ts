// The real bridge for fuzz tests: startTestBridge (startBridge with the default modules, real
// SQLite, real Redis, 127.0.0.1:0) with every route family on: Twilio, 8x8, the local dev routes,
// Slack (against the fake Web API) and Teams, either anonymous or with Bot Framework JWT checks
// against a local fake OpenID provider. It knows every credential, so a fuzz case can sign what it
// sends (a mutated body with a right signature reaches the parsers), and it counts the rows of
// every table through a read-only connection of its own, to show an unsigned request stored nothing.

import { createHmac, randomBytes } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll } from 'vitest';
import { computeTwilioSignature } from '../../../adapters/sms/twilio/verify.js';
import { formParams } from '../../../adapters/sms/twilio/parse.js';
import { createMediaUrlSigner } from '../../../src/media/signedUrls.js';
import { startFakeBotConnector, type FakeBotConnector } from '../../fakes/fakeBotConnector.js';
import { APP_ID, channelClaims, makeKey, signToken, startFakeOpenId, type FakeOpenId, type SigningKey } from '../../fakes/fakeOpenId.js';
import { startFakeSlack, type FakeSlack } from '../../fakes/fakeSlack.js';
import { ADMIN_TOKEN, startTestBridge, type TestBridge } from '../../http/helpers.js';
import { sendRaw, type RawAnswer, type RawRequest } from './rawRequest.js';

/** PUBLIC_URL: Twilio signatures are computed over it (loopback, so anonymous Teams is allowed). */
export const PUBLIC_URL = 'http://127.0.0.1:9';
export const TWILIO_AUTH_TOKEN = 'fuzz-twilio-auth-token';
export const TWILIO_ACCOUNT_SID = 'AC0000000000000000000000000000f022';
export const EIGHTX8_AUTH = `Basic ${Buffer.from('fuzz:8x8-webhook').toString('base64')}`;
const MEDIA_SIGNING_SECRET = 'fuzz-media-signing-secret-0123456789';
export { ADMIN_TOKEN };

export interface FuzzBridge {
  bridge: TestBridge;
  url: string;
  slack: FakeSlack;
  connector: FakeBotConnector;
  slackSecret: string;
  /** Present when Teams runs with JWT checks (`teams: 'jwt'`). */
  openId: FakeOpenId | null;
  /** The key the fake OpenID provider publishes (tokens signed with it are valid). */
  teamsKey: SigningKey | null;
  send(req: RawRequest): Promise<RawAnswer>;
  /** Slack's signature headers for `body`, stamped now (or at `ts`), with `secret` (default: the right one). */
  slackHeaders(body: Buffer, opts?: { ts?: number; secret?: string }): [string, string][];
  /** X-Twilio-Signature for a raw form body posted to `pathAndQuery` (with `token`: default the right one). */
  twilioSignature(pathAndQuery: string, body: Buffer, token?: string): string;
  /** A signed /media link (path and query) for `mediaId`, valid for `ttlSeconds`. */
  mediaLink(mediaId: string, ttlSeconds?: number): string;
  /** A Bot Framework channel token for `serviceUrl`, claims overridable, signed with `key` (default teamsKey). */
  teamsToken(serviceUrl: string, claims?: Record<string, unknown>, key?: SigningKey): string;
  /** Rows per table, every table of the database. */
  rowCounts(): Record<string, number>;
  /** Row counts once they stopped changing (background work done), for a baseline. */
  settled(): Promise<Record<string, number>>;
  /** Throws unless GET /healthz answers 200. */
  assertAlive(): Promise<void>;
  close(): Promise<void>;
}

export async function startFuzzBridge(opts: { teams: 'anonymous' | 'jwt' }): Promise<FuzzBridge> {
  const slack = await startFakeSlack();
  const connector = await startFakeBotConnector();
  const teamsKey = opts.teams === 'jwt' ? makeKey() : null;
  const openId = teamsKey ? await startFakeOpenId([{ key: teamsKey, endorsements: ['msteams'] }]) : null;
  const slackSecret = randomBytes(16).toString('hex');
  const teamsEnv: Record<string, string> = openId
    ? {
        TEAMS_APP_ID: APP_ID,
        TEAMS_APP_PASSWORD: 'not-a-real-secret',
        TEAMS_OPENID_METADATA_URL: openId.metadataUrl,
        TEAMS_SERVICE_URL_HOSTS: '127.0.0.1',
      }
    : { TEAMS_ALLOW_ANONYMOUS: 'true' };
  const bridge = await startTestBridge({
    PUBLIC_URL,
    TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN,
    // Nothing is sent on purpose; a send the fuzz provokes goes to a closed local port.
    TWILIO_API_URL: 'http://127.0.0.1:9',
    EIGHTX8_API_KEY: 'fuzz-8x8-key',
    EIGHTX8_SUBACCOUNT_ID: 'fuzz-sub',
    EIGHTX8_API_URL: 'http://127.0.0.1:9',
    EIGHTX8_WEBHOOK_AUTH: EIGHTX8_AUTH,
    EIGHTX8_MEDIA_HOSTS: '127.0.0.1',
    MEDIA_SIGNING_SECRET,
    // X-Forwarded-For from 127.0.0.1 names the client: admin fuzz without a token sends another
    // address each time, so the sign-in throttle never locks out the token-holding properties.
    TRUST_PROXY: 'loopback',
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: slackSecret,
    SLACK_API_URL: slack.apiUrl,
    ...teamsEnv,
  });
  const signer = createMediaUrlSigner({ secret: Buffer.from(MEDIA_SIGNING_SECRET, 'utf8'), publicUrl: PUBLIC_URL });
  const db = new Database(path.join(bridge.ctx.config.dataDir, 'sms-bridge.db'), { readonly: true, fileMustExist: true });
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map(
    (t) => t.name,
  );

  const rowCounts = (): Record<string, number> => {
    const counts: Record<string, number> = {};
    for (const t of tables) counts[t] = (db.prepare(`SELECT count(*) AS n FROM "${t}"`).get() as { n: number }).n;
    return counts;
  };

  return {
    bridge,
    url: bridge.url,
    slack,
    connector,
    slackSecret,
    openId,
    teamsKey,
    send: (req) => sendRaw(bridge.url, req),
    slackHeaders(body, o = {}) {
      const ts = o.ts ?? Math.floor(Date.now() / 1000);
      const sig = 'v0=' + createHmac('sha256', o.secret ?? slackSecret).update(`v0:${ts}:`).update(body).digest('hex');
      return [
        ['X-Slack-Request-Timestamp', String(ts)],
        ['X-Slack-Signature', sig],
      ];
    },
    twilioSignature(pathAndQuery, body, token = TWILIO_AUTH_TOKEN) {
      // The bridge reads the form as UTF-8 and signs what URLSearchParams makes of it: so do we.
      return computeTwilioSignature(token, PUBLIC_URL + pathAndQuery, formParams(body.toString('utf8')));
    },
    mediaLink(mediaId, ttlSeconds = 3600) {
      return signer.sign(mediaId, ttlSeconds).slice(PUBLIC_URL.length);
    },
    teamsToken(serviceUrl, claims = {}, key) {
      const k = key ?? teamsKey;
      if (!k) throw new Error('this fuzz bridge runs anonymous Teams: no tokens');
      return signToken(k, channelClaims(serviceUrl, claims));
    },
    rowCounts,
    async settled() {
      // Unchanged over 5 reads 100 ms apart, within 10 s.
      const deadline = Date.now() + 10_000;
      let last = JSON.stringify(rowCounts());
      for (let same = 0; same < 5; ) {
        if (Date.now() > deadline) throw new Error('the store kept changing for 10 s');
        await new Promise((r) => setTimeout(r, 100));
        const now = JSON.stringify(rowCounts());
        same = now === last ? same + 1 : 0;
        last = now;
      }
      return JSON.parse(last) as Record<string, number>;
    },
    async assertAlive() {
      const res = await fetch(`${bridge.url}/healthz`);
      if (res.status !== 200) throw new Error(`/healthz answered ${res.status}`);
      await res.arrayBuffer();
    },
    async close() {
      db.close();
      await bridge.cleanup();
      await Promise.all([slack.close(), connector.close(), openId?.close()]);
    },
  };
}

export interface FuzzContext {
  /** The bridge (set once beforeAll ran). */
  readonly fz: FuzzBridge;
  /** Row counts after `setup`, once background work settled: what unsigned requests must leave. */
  readonly baseline: Record<string, number>;
}

/** Starts a fuzz bridge for the file (beforeAll), runs `setup`, takes the baseline; closes it after. */
export function useFuzzBridge(opts: { teams: 'anonymous' | 'jwt' }, setup?: (fz: FuzzBridge) => Promise<void>): FuzzContext {
  let fz: FuzzBridge | null = null;
  let baseline: Record<string, number> | null = null;
  beforeAll(async () => {
    fz = await startFuzzBridge(opts);
    await setup?.(fz);
    baseline = await fz.settled();
  }, 30_000);
  afterAll(async () => {
    await fz?.close();
  });
  return {
    get fz() {
      if (!fz) throw new Error('the fuzz bridge is not started yet (use it inside a test)');
      return fz;
    },
    get baseline() {
      if (!baseline) throw new Error('the fuzz bridge is not started yet (use it inside a test)');
      return baseline;
    },
  };
}
