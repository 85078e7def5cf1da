// Bot Framework channel tokens for tests, verified for real by botbuilder: a local fake OpenID
// provider (TEAMS_OPENID_METADATA_URL) publishes RSA keys made here, and tests sign tokens with
// them (RS256, the claims Bot Framework channels send).

import { generateKeyPairSync, randomUUID, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The app id the tokens are issued for (TEAMS_APP_ID of the bridge under test). */
export const APP_ID = '00000000-0000-0000-0000-0000000000a1';
export const ISSUER = 'https://api.botframework.com';

// --- keys and tokens ----------------------------------------------------------------------------
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  jwk: JsonWebKey;
}

export function makeKey(kid: string = randomUUID()): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey, jwk: publicKey.export({ format: 'jwk' }) };
}

export const b64url = (v: object | Buffer): string => (Buffer.isBuffer(v) ? v : Buffer.from(JSON.stringify(v))).toString('base64url');

/** A channel token as the Bot Framework signs it (RS256, kid of the signing key). */
export function signToken(key: SigningKey, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const head = b64url({ alg: 'RS256', typ: 'JWT', kid: key.kid, x5t: key.kid, ...header });
  const body = b64url(claims);
  const signature = sign('sha256', Buffer.from(`${head}.${body}`), key.privateKey);
  return `${head}.${body}.${b64url(signature)}`;
}

/** The claims of a real channel token: aud = our app id, serviceurl = the activity's serviceUrl. */
export function channelClaims(serviceUrl: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { serviceurl: serviceUrl, nbf: now - 60, exp: now + 3600, iss: ISSUER, aud: APP_ID, ...over };
}

// --- fake OpenID provider -----------------------------------------------------------------------
export interface FakeOpenId {
  metadataUrl: string;
  /** Paths requested, in order. */
  requests: string[];
  /** 'ok': serves the document and keys; 'down': 503 to everything; 'hang': never answers. */
  mode: 'ok' | 'down' | 'hang';
  close(): Promise<void>;
}

export async function startFakeOpenId(keys: { key: SigningKey; endorsements: string[] }[]): Promise<FakeOpenId> {
  const held: ServerResponse[] = [];
  const fake: FakeOpenId = {
    metadataUrl: '',
    requests: [],
    mode: 'ok',
    close: async () => undefined,
  };
  const server: Server = createServer((req, res) => {
    fake.requests.push(req.url ?? '');
    if (fake.mode === 'hang') return void held.push(res);
    if (fake.mode === 'down') return void res.writeHead(503).end('unavailable');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    res.setHeader('content-type', 'application/json');
    if (req.url === '/v1/.well-known/openidconfiguration') {
      // The fields of login.botframework.com's document.
      res.end(JSON.stringify({
        issuer: ISSUER,
        authorization_endpoint: 'https://invalid.botframework.com',
        jwks_uri: `${base}/v1/.well-known/keys`,
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
      }));
    } else if (req.url === '/v1/.well-known/keys') {
      res.end(JSON.stringify({
        keys: keys.map(({ key, endorsements }) => ({ kty: 'RSA', use: 'sig', kid: key.kid, x5t: key.kid, n: key.jwk.n, e: key.jwk.e, endorsements })),
      }));
    } else {
      res.writeHead(404).end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.metadataUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/.well-known/openidconfiguration`;
  fake.close = async () => {
    for (const r of held) r.destroy();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return fake;
}
