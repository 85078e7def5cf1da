// Retry-After is either a number of seconds or an HTTP date (RFC 9110 10.2.3).

/** Milliseconds to wait, or null when the header is absent or unusable. */
export function parseRetryAfter(value: string | string[] | undefined | null, now: Date = new Date()): number | null {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw === null) return null;
  const text = raw.trim();
  if (text === '') return null;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now.getTime());
}
