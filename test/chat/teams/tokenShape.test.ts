// Bearer tokens botbuilder can check (adapters/chat/teams/tokenShape.ts): a real channel token
// passes; a token botbuilder would throw a TypeError on (500) is refused with the reason.
import { describe, expect, it } from 'vitest';
import { bearerTokenProblem } from '../../../adapters/chat/teams/tokenShape.js';
import { b64url, channelClaims, makeKey, signToken } from '../../fakes/fakeOpenId.js';

const key = makeKey();
const token = (claims: unknown, header: unknown = { alg: 'RS256', typ: 'JWT', kid: key.kid }): string => `Bearer ${b64url(Buffer.from(JSON.stringify(header)))}.${b64url(Buffer.from(JSON.stringify(claims)))}.c2ln`;

describe('bearer tokens botbuilder can check', () => {
  it('a channel token as the Bot Framework signs it passes (only its shape is looked at here)', () => {
    expect(bearerTokenProblem(`Bearer ${signToken(key, channelClaims('https://smba.trafficmanager.net/amer/'))}`)).toBeNull();
    expect(bearerTokenProblem(token({ ...channelClaims('https://x/'), aud: ['a', 'b'], extra: { any: 'thing' } }))).toBeNull();
  });

  it.each([
    ['no token', ''],
    ['not a JWT', 'Bearer garbage'],
    ['Basic credentials', 'Basic dXNlcjpwYXNz'],
    ['a payload that is null', token(null)],
    ['a payload that is a list', token([])],
    ['a header without alg', token(channelClaims('https://x/'), { typ: 'JWT' })],
    ['a header that is null', token(channelClaims('https://x/'), null)],
    ['an audience without text form', token({ ...channelClaims('https://x/'), aud: { toString: false } })],
    ['a tenant that is an object', token({ ...channelClaims('https://x/'), tid: {} })],
    ['an expiry that is text', token({ ...channelClaims('https://x/'), exp: 'tomorrow' })],
    ['a serviceurl that is a list', token({ ...channelClaims('https://x/'), serviceurl: ['https://x/'] })],
  ])('%s is refused with a reason', (_, header) => {
    expect(bearerTokenProblem(header)).toEqual(expect.any(String));
  });
});
