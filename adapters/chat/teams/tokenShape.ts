// What a bearer token must look like before botbuilder checks it: `Bearer` and three base64url
// parts, the first two JSON objects with the standard claims of the right types. botbuilder (and
// jsonwebtoken under it) throw a TypeError rather than an authentication error on a token whose
// payload is `null`, or whose `aud` or `tid` cannot be made into text, and the route answered
// 500 (issue 13, finding 8): such a token is refused on the headers (401), like a missing one.
// The signature and the claims' values are botbuilder's to check.

import { z } from 'zod';

const BEARER_JWT = /^Bearer\s+([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/i;

const text = z.string();
const numericDate = z.number().finite();

const header = z.object({ alg: text, kid: text.optional(), x5t: text.optional(), typ: text.optional() }).passthrough();

/** The claims Bot Framework tokens carry (and botbuilder reads), each of its type when present. */
const claims = z
  .object({
    aud: z.union([text, z.array(text)]).optional(),
    iss: text.optional(),
    sub: text.optional(),
    exp: numericDate.optional(),
    nbf: numericDate.optional(),
    iat: numericDate.optional(),
    serviceurl: text.optional(),
    serviceUrl: text.optional(),
    appid: text.optional(),
    azp: text.optional(),
    ver: text.optional(),
    tid: text.optional(),
  })
  .passthrough();

function decodePart(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Why `authorization` cannot be a Bot Framework token botbuilder can check, or null when it can. */
export function bearerTokenProblem(authorization: string): string | null {
  const m = BEARER_JWT.exec(authorization);
  if (!m) return 'not a bearer JWT';
  if (!header.safeParse(decodePart(m[1]!)).success) return 'the token header is not a JSON object with alg (and kid, x5t, typ as text)';
  const c = claims.safeParse(decodePart(m[2]!));
  if (!c.success) {
    const issue = c.error.issues[0];
    return issue && issue.path.length > 0 ? `token claim ${issue.path.join('.')}: ${issue.message}` : 'the token payload is not a JSON object';
  }
  return null;
}
