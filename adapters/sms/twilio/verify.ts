// X-Twilio-Signature, computed exactly as Twilio does: HMAC-SHA1 keyed by the auth token over
// the full URL Twilio called, followed by every POST parameter's name and value, sorted by name;
// base64. Twilio may or may not have included an explicit default port (:443 / :80) in the URL
// it signed, so both spellings are accepted. Comparison is constant-time.
import { createHmac } from 'node:crypto';
import { safeEqual } from '../shared/safeEqual.js';

/** Form parameters in the order they arrived; repeated names are kept. */
export type FormParams = Array<[string, string]>;

export function computeTwilioSignature(authToken: string, url: string, params: FormParams): string {
  // Sort by name, then by value for repeated names (what Twilio's own helpers do).
  const sorted = [...params].sort(([ak, av], [bk, bv]) =>
    ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0,
  );
  let data = url;
  for (const [k, v] of sorted) data += k + v;
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/**
 * The URL with and without an explicit default port. Built by hand because WHATWG URL drops
 * default ports, which is exactly the difference we need to keep.
 */
export function urlVariants(url: string): string[] {
  const m = /^(https?):\/\/([^/?#]+)(.*)$/i.exec(url);
  if (!m) return [url];
  const scheme = m[1]!.toLowerCase();
  const authority = m[2]!;
  const rest = m[3] ?? '';
  const defaultPort = scheme === 'https' ? '443' : '80';
  const portMatch = /^(.*):(\d+)$/.exec(authority);
  if (portMatch && !authority.endsWith(']')) {
    if (portMatch[2] === defaultPort) return [url, `${m[1]}://${portMatch[1]}${rest}`];
    return [url];
  }
  return [url, `${m[1]}://${authority}:${defaultPort}${rest}`];
}

export function verifyTwilioSignature(
  authToken: string,
  url: string,
  params: FormParams,
  signature: string | undefined,
): boolean {
  if (!signature) return false;
  let ok = false;
  // Check every variant (no early exit) so timing does not reveal which one matched.
  for (const candidate of urlVariants(url)) {
    if (safeEqual(computeTwilioSignature(authToken, candidate, params), signature)) ok = true;
  }
  return ok;
}

/** PUBLIC_URL (possibly with a path prefix or trailing slash) + the path and query Twilio called. */
export function publicRequestUrl(publicUrl: string, originalUrl: string): string {
  return publicUrl.replace(/\/+$/, '') + originalUrl;
}
