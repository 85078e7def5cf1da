// Optimistic concurrency for admin documents edited as a whole (the policy): GET hands out a
// strong entity tag of the document, and a write that sends it back in If-Match is refused if
// the document changed in between (RFC 9110 13.1.1). A write without If-Match is not checked,
// so scripts that only PUT keep working.
import { createHash } from 'node:crypto';

/** A strong entity tag of a JSON-serialisable document: same content, same tag. */
export function entityTag(document: unknown): string {
  return `"${createHash('sha256').update(JSON.stringify(document)).digest('base64url').slice(0, 27)}"`;
}

/**
 * Whether an If-Match header lets a write to the document tagged `current` go ahead: no header,
 * `*`, or a list holding `current`. Strong comparison: a weak tag (W/"...") never matches.
 */
export function ifMatchAllows(header: string | undefined, current: string): boolean {
  if (header === undefined) return true;
  const value = header.trim();
  if (value === '*') return true;
  return (value.match(/(?:W\/)?"[^"]*"/g) ?? []).some((tag) => tag === current);
}
