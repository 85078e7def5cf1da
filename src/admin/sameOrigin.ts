// CSRF defence for requests signed in with the session cookie (an ambient credential a browser
// attaches to any site's request): a request that changes something must say it comes from the
// console's own origin. SameSite=Strict already keeps the cookie off cross-site requests in
// current browsers; this check does not depend on that.

import type { Request } from 'express';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function originOf(value: string): string | null {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : null;
  } catch {
    return null;
  }
}

/**
 * Why this cookie-authenticated request is refused, or null when it may go on: GET/HEAD/OPTIONS
 * always may; others need an Origin (or, without one, a Referer) equal to PUBLIC_URL's origin or
 * the request's own (scheme and Host).
 */
export function crossOriginRefusal(req: Request, publicUrl: string): string | null {
  if (SAFE_METHODS.has(req.method)) return null;
  const origin = req.get('origin');
  const referer = req.get('referer');
  const claimed = origin !== undefined ? origin : referer;
  if (claimed === undefined) {
    return 'A request signed in with the console session must carry an Origin or Referer header naming the console\'s origin.';
  }
  const from = originOf(claimed);
  const allowed = new Set([originOf(publicUrl), originOf(`${req.protocol}://${req.get('host') ?? ''}`)].filter((o): o is string => o !== null));
  if (from !== null && allowed.has(from)) return null;
  const what = origin !== undefined ? 'Origin' : 'Referer';
  return `Cross-site request refused: its ${what} (${from ?? 'not an http(s) origin'}) is not the console's origin (${[...allowed].join(' or ')}).`;
}
