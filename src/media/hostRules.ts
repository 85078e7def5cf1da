// Which hosts a provider's media links may point at. A rule is an exact host (optionally with a
// port), a "*.suffix" wildcard, or "*" (any public host name); anything else is refused.

export interface HostRule {
  /** Lower-case hostname, IP literal (IPv6 without brackets) or "*.suffix". */
  host: string;
  /** Required port; null means the scheme's default port only. */
  port: number | null;
  protocols: Array<'https:' | 'http:'>;
  /**
   * May resolve to private / loopback addresses. Only for hosts an operator configured
   * explicitly as an IP literal or localhost (the local fakes in tests, a dev proxy).
   */
  allowPrivate: boolean;
}

/** What a provider's media may be fetched from, and which of those hosts get its credentials. */
export interface MediaSourcePolicy {
  allowed: HostRule[];
  /** Authorization header sent only to hosts matching `authHosts` (never forwarded elsewhere). */
  authorization?: string;
  authHosts?: HostRule[];
  /**
   * Accept base64 data: URLs (the bytes are in the link; nothing is fetched). Only the local dev
   * provider, whose inbound texts come from the admin's dev phone, sets it.
   */
  dataUrls?: boolean;
}

function stripBrackets(h: string): string {
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

function isIpLiteral(h: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(h) || h.includes(':');
}

/** A rule matching exactly the scheme, host and port of a configured base URL. */
export function ruleFromUrl(base: string): HostRule {
  const u = new URL(base);
  const host = stripBrackets(u.hostname.toLowerCase());
  const protocol = u.protocol === 'http:' ? 'http:' : 'https:';
  return {
    host,
    port: u.port === '' ? null : Number(u.port),
    protocols: [protocol],
    allowPrivate: isIpLiteral(host) || host === 'localhost',
  };
}

/**
 * Any host name over HTTPS on the default port, public addresses only (never an IP literal): for
 * a provider that hands out pre-signed links to storage it does not name (8x8). The links come in
 * an authenticated webhook; credentials are never sent with them.
 */
export const ANY_PUBLIC_HTTPS_HOST: HostRule = { host: '*', port: null, protocols: ['https:'], allowPrivate: false };

/** "api.twilio.com", "*.twiliocdn.com": HTTPS on the default port, public addresses only. */
export function httpsHostRule(pattern: string): HostRule {
  return { host: pattern.toLowerCase(), port: null, protocols: ['https:'], allowPrivate: false };
}

export function ruleMatches(rule: HostRule, url: URL): boolean {
  if (!rule.protocols.includes(url.protocol as 'https:' | 'http:')) return false;
  const host = stripBrackets(url.hostname.toLowerCase());
  const port = url.port === '' ? null : Number(url.port);
  if (port !== rule.port) return false;
  if (rule.host === '*') return !isIpLiteral(host);
  if (rule.host.startsWith('*.')) {
    const suffix = rule.host.slice(1); // ".twiliocdn.com"
    return host.endsWith(suffix) && host.length > suffix.length && !isIpLiteral(host);
  }
  return host === rule.host;
}

export function matchingRule(rules: HostRule[], url: URL): HostRule | null {
  return rules.find((r) => ruleMatches(r, url)) ?? null;
}
