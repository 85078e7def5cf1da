// POST /api/messages under fuzz with Bot Framework JWT checks on (keys from a local fake OpenID
// provider). Without a valid token (none, junk, another key, expired, another audience or
// issuer, a token for another serviceUrl, an unsigned one) every request is refused with a 4xx
// and not one row is stored; with a validly signed token, mutated activities and mutated claims
// still never get a 5xx. No request leaves 127.0.0.1.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { APP_ID, b64url, channelClaims, ISSUER, makeKey, signToken, type SigningKey } from '../fakes/fakeOpenId.js';
import { connectGuard } from '../support/connectGuard.js';
import { jsonText, junk, mutated, mutatedHeaders, payloads, withContentType } from './support/arbitraries.js';
import { type FuzzBridge, useFuzzBridge } from './support/fuzzBridge.js';
import { fuzzIt, Tally } from './support/fuzzRun.js';
import type { RawRequest } from './support/rawRequest.js';
import { teamsActivities } from './support/teamsActivities.js';
import { expectHandled, expectRefused } from './support/verdict.js';

const guard = connectGuard();
let otherKey: SigningKey;
beforeAll(() => {
  guard.install();
  // botbuilder prints every refused token (with the public key PEM) on stderr.
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  otherKey = makeKey();
});
afterAll(() => {
  guard.restore();
  vi.restoreAllMocks();
});
const bridge = useFuzzBridge({ teams: 'jwt' });

type BadToken =
  | 'none'
  | 'junk'
  | 'jwt-shaped junk'
  | 'junk parts'
  | 'other key'
  | 'expired'
  | 'not yet valid'
  | 'other audience'
  | 'other issuer'
  | 'other serviceUrl'
  | 'alg none'
  | 'unknown kid'
  | 'basic';

const now = (): number => Math.floor(Date.now() / 1000);

/** An Authorization header that must not let the activity in. */
function badAuthorization(fz: FuzzBridge, kind: BadToken, serviceUrl: string, junkText: string, junkParts: [unknown, unknown]): [string, string][] {
  const key = fz.teamsKey!;
  const bearer = (t: string): [string, string][] => [['Authorization', `Bearer ${t}`]];
  switch (kind) {
    case 'none':
      return [];
    case 'junk':
      return [['Authorization', junkText]];
    case 'jwt-shaped junk':
      return bearer(`${b64url(Buffer.from(junkText))}.${b64url({ aud: APP_ID })}.${b64url(Buffer.from('x'))}`);
    case 'junk parts': {
      // Header and payload of any JSON (null, numbers, lists, objects with odd claims), signed or not.
      const [head, claims] = junkParts;
      const t = signToken(key, channelClaims(serviceUrl));
      const sig = t.split('.')[2]!;
      return bearer(`${b64url(Buffer.from(JSON.stringify(head) ?? 'null'))}.${b64url(Buffer.from(JSON.stringify(claims) ?? 'null'))}.${sig}`);
    }
    case 'other key':
      return bearer(signToken(otherKey, channelClaims(serviceUrl), { kid: key.kid }));
    case 'expired':
      return bearer(signToken(key, channelClaims(serviceUrl, { nbf: now() - 7200, exp: now() - 3600 })));
    case 'not yet valid':
      return bearer(signToken(key, channelClaims(serviceUrl, { nbf: now() + 3600, exp: now() + 7200 })));
    case 'other audience':
      return bearer(signToken(key, channelClaims(serviceUrl, { aud: '00000000-0000-0000-0000-0000000000ff' })));
    case 'other issuer':
      return bearer(signToken(key, channelClaims(serviceUrl, { iss: 'https://sts.windows.net/evil/' })));
    case 'other serviceUrl':
      return bearer(signToken(key, channelClaims('https://smba.trafficmanager.net/evil/')));
    case 'alg none': {
      const t = signToken(key, channelClaims(serviceUrl));
      const [, payload] = t.split('.');
      return bearer(`${b64url({ alg: 'none', typ: 'JWT', kid: key.kid })}.${payload}.`);
    }
    case 'unknown kid':
      return bearer(signToken(key, channelClaims(serviceUrl), { kid: 'no-such-key', x5t: 'no-such-key' }));
    case 'basic':
      return [['Authorization', `Basic ${Buffer.from(`${APP_ID}:secret`).toString('base64')}`]];
  }
}

const serviceUrlOf = (activity: unknown, fallback: string): string => {
  const s = (activity as { serviceUrl?: unknown } | null)?.serviceUrl;
  return typeof s === 'string' ? s : fallback;
};

function request(text: string, auth: [string, string][], headers: [string, string][] = []): RawRequest {
  return { method: 'POST', path: '/api/messages', headers: withContentType([...auth, ...headers], 'application/json'), body: Buffer.from(text, 'utf8') };
}

describe('POST /api/messages with Bot Framework token checks, under fuzz', () => {
  const kinds: BadToken[] = ['none', 'junk', 'jwt-shaped junk', 'junk parts', 'other key', 'expired', 'not yet valid', 'other audience', 'other issuer', 'other serviceUrl', 'alg none', 'unknown kid', 'basic'];
  const header = (fz: FuzzBridge): Record<string, unknown> => ({ alg: 'RS256', typ: 'JWT', kid: fz.teamsKey!.kid });
  const refusedTally = new Tally();
  // First, on a bridge nothing valid has reached yet: not one row may appear.
  fuzzIt(
    bridge,
    'requests without a valid token are refused (4xx) and store nothing',
    { runs: 300, budgetMs: 10_000 },
    ({ fz, baseline }) => {
      const serviceUrl = fz.connector.serviceUrl;
      return fc.asyncProperty(
        fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...teamsActivities(serviceUrl)) }, { weight: 1, arbitrary: payloads(teamsActivities(serviceUrl)) }),
        fc.constantFrom(...kinds),
        fc.string({ unit: 'grapheme-ascii', maxLength: 60 }),
        fc.tuple(
          fc.oneof({ weight: 3, arbitrary: fc.constant(header(fz)) }, { weight: 1, arbitrary: junk }, { weight: 1, arbitrary: mutated(header(fz)) }),
          fc.oneof(fc.constantFrom<unknown>(null, 0, 'claims', [], {}), junk, mutated(channelClaims(serviceUrl))),
        ),
        async (activity, kind, junkText, junkParts) => {
          const req = request(JSON.stringify(activity) ?? 'null', badAuthorization(fz, kind, serviceUrlOf(activity, serviceUrl), junkText, junkParts));
          const answer = await fz.send(req);
          refusedTally.add(`${kind} ${answer.status}`);
          await expectRefused(fz, req, answer, baseline);
        },
      );
    },
    () => refusedTally.print('without a valid token'),
  );

  const signedTally = new Tally();
  fuzzIt(
    bridge,
    'validly signed requests with mutated activities and claims never get a 5xx',
    { runs: 400, budgetMs: 12_000 },
    ({ fz }) => {
      const serviceUrl = fz.connector.serviceUrl;
      // No installs: those list the team's channels with the bot's own token, from Microsoft's login.
      const activities = teamsActivities(serviceUrl, { withInstalls: false });
      const claims = fc.oneof(
        { weight: 3, arbitrary: fc.constant<Record<string, unknown> | null>(null) },
        { weight: 1, arbitrary: mutated(channelClaims(serviceUrl)) as fc.Arbitrary<Record<string, unknown>> },
        { weight: 1, arbitrary: fc.record({ aud: junk, iss: fc.constantFrom<unknown>(ISSUER, null, 5, [ISSUER]), serviceurl: junk, tid: junk }) as fc.Arbitrary<Record<string, unknown>> },
      );
      return fc.asyncProperty(jsonText(payloads(activities)), claims, mutatedHeaders([['Accept', 'application/json']]), async (text, over, headers) => {
        let parsed: unknown = null;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON: signed for the real serviceUrl
        }
        const url = serviceUrlOf(parsed, serviceUrl);
        const token = over === null ? fz.teamsToken(url) : signToken(fz.teamsKey!, { ...channelClaims(url), ...over });
        const req = request(text, [['Authorization', `Bearer ${token}`]], headers);
        const answer = await fz.send(req);
        signedTally.add(`${over === null ? 'valid' : 'mutated claims'} ${answer.status}`);
        await expectHandled(fz, req, answer);
      });
    },
    () => signedTally.print('validly signed'),
  );

  it('no request left 127.0.0.1 (no Microsoft login or metadata, no host an activity named)', () => {
    expect(guard.hosts.length).toBeGreaterThan(0);
    expect(guard.hosts.filter((h) => h !== '127.0.0.1')).toEqual([]);
  });
});
