// Rule 9 (clickable): where the URLs and phone numbers are in a text that came in by SMS, so each
// chat platform can turn them into links it builds itself (never from markup in the text).
// Platform-neutral: the Slack and Teams formatters escape and render the pieces their own way.
import { findPhoneNumbersInText } from 'libphonenumber-js';

export interface TextPiece {
  kind: 'text' | 'url' | 'phone';
  /** The characters as they appear in the text. */
  value: string;
  /** For url: the URL; for phone: a tel: URI with the E.164 number. */
  href?: string;
}

const URL_RE = /\bhttps?:\/\/[^\s<>"']+/gi;
// A sentence's closing punctuation is not part of the URL before it.
const TRAILING_PUNCT = /[.,;:!?)\]}]+$/;

function splitUrls(text: string): TextPiece[] {
  const out: TextPiece[] = [];
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    let url = m[0];
    const trail = TRAILING_PUNCT.exec(url)?.[0] ?? '';
    url = url.slice(0, url.length - trail.length);
    const start = m.index;
    if (start > last) out.push({ kind: 'text', value: text.slice(last, start) });
    out.push({ kind: 'url', value: url, href: url });
    last = start + url.length;
  }
  if (last < text.length) out.push({ kind: 'text', value: text.slice(last) });
  return out;
}

const MIN_PHONE_DIGITS = 7;

/** Phone numbers as written in texts from US/Canadian contacts ("212-555-0123", "+44 20 ..."). */
function splitPhones(piece: TextPiece): TextPiece[] {
  if (piece.kind !== 'text') return [piece];
  // No phone number has fewer than 7 digits: most texts skip the (costly) search entirely.
  if ((piece.value.match(/\d/g)?.length ?? 0) < MIN_PHONE_DIGITS) return [piece];
  let found;
  try {
    found = findPhoneNumbersInText(piece.value, 'US');
  } catch {
    return [piece];
  }
  if (found.length === 0) return [piece];
  const out: TextPiece[] = [];
  let last = 0;
  for (const f of found) {
    if (f.startsAt > last) out.push({ kind: 'text', value: piece.value.slice(last, f.startsAt) });
    out.push({ kind: 'phone', value: piece.value.slice(f.startsAt, f.endsAt), href: `tel:${f.number.number}` });
    last = f.endsAt;
  }
  if (last < piece.value.length) out.push({ kind: 'text', value: piece.value.slice(last) });
  return out;
}

/** The text cut into plain text, URLs and phone numbers, in order; joined values give it back. */
export function linkPieces(text: string): TextPiece[] {
  return splitUrls(text).flatMap(splitPhones);
}
