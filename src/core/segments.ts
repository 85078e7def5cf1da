// SMS length as carriers count it (product rule 4).
//
// Text that fits the GSM 03.38 alphabet goes as GSM-7: 160 septets in a single SMS, 153 per part
// when concatenated (the user data header takes 7). Extension characters (^ { } \ [ ~ ] | € and
// form feed) are an escape plus a character: two septets, and the pair is never split across
// parts. One character outside the alphabet makes the whole message UCS-2: 70 UTF-16 units, 67
// per part, and a surrogate pair (an emoji, say) is never split either. Because a pair that does
// not fit moves whole to the next part, the count simulates filling the parts: dividing the
// total by 153 or 67 undercounts (152 digits + "€" + 152 digits is 3 parts, not 2).
//
// Decision: empty text is 0 units and 0 segments (a picture-only MMS has no text part); the
// "empty message" refusal is eligibility's business, not the counter's.

import type { TextEncoding } from './types.js';

export interface SegmentInfo {
  encoding: TextEncoding;
  units: number;
  segments: number;
  perSegment: number;
}

/** GSM 03.38 basic character set (default alphabet; 0x1B, the escape, is not a character). */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
/** GSM 03.38 extension table: each costs two septets (escape + character). */
const GSM_EXTENSION = '\f^{}\\[~]|€';

const BASIC = new Set(Array.from(GSM_BASIC));
const EXTENSION = new Set(Array.from(GSM_EXTENSION));

export const GSM7_SINGLE = 160;
export const GSM7_PART = 153;
export const UCS2_SINGLE = 70;
export const UCS2_PART = 67;

/** Cost of one character (code point) in GSM-7 septets, or null when it is not in the alphabet. */
export function gsm7Cost(char: string): 1 | 2 | null {
  if (BASIC.has(char)) return 1;
  if (EXTENSION.has(char)) return 2;
  return null;
}

/** True when every character of the text is in the GSM-7 alphabet (basic or extension). */
export function isGsm7(text: string): boolean {
  for (const ch of text) if (gsm7Cost(ch) === null) return false;
  return true;
}

/** The distinct characters that force UCS-2, in order of appearance (for human explanations). */
export function nonGsm7Characters(text: string): string[] {
  const seen = new Set<string>();
  for (const ch of text) if (gsm7Cost(ch) === null) seen.add(ch);
  return [...seen];
}

/** Encoding plus each character's cost in that encoding, iterating by code point. */
function costs(text: string): { encoding: TextEncoding; chars: string[]; cost: number[] } {
  const chars = Array.from(text); // code points: a surrogate pair is one element of length 2
  const gsm = chars.every((c) => gsm7Cost(c) !== null);
  const cost = chars.map((c) => (gsm ? (gsm7Cost(c) as number) : c.length));
  return { encoding: gsm ? 'GSM-7' : 'UCS-2', chars, cost };
}

/**
 * Split text into the parts a carrier sends, never splitting an escape pair or surrogate pair.
 * Joining the parts gives the text back.
 */
export function splitSegments(text: string): { info: SegmentInfo; parts: string[] } {
  const { encoding, chars, cost } = costs(text);
  const units = cost.reduce((a, b) => a + b, 0);
  const single = encoding === 'GSM-7' ? GSM7_SINGLE : UCS2_SINGLE;
  const part = encoding === 'GSM-7' ? GSM7_PART : UCS2_PART;
  if (units === 0) return { info: { encoding, units: 0, segments: 0, perSegment: single }, parts: [] };
  if (units <= single) return { info: { encoding, units, segments: 1, perSegment: single }, parts: [text] };

  const parts: string[] = [];
  let current = '';
  let used = 0;
  for (let i = 0; i < chars.length; i++) {
    const c = cost[i] as number;
    if (used + c > part) {
      // The character (an escape pair or surrogate pair when c = 2) does not fit: it opens the
      // next part whole; the unused unit at the end of this part is padding.
      parts.push(current);
      current = '';
      used = 0;
    }
    current += chars[i] as string;
    used += c;
  }
  parts.push(current);
  return { info: { encoding, units, segments: parts.length, perSegment: part }, parts };
}

/**
 * Encoding, units (GSM-7 septets or UTF-16 units, escape pairs counting two) and segment count.
 * `perSegment` is 160/70 for a single SMS and 153/67 once the text is concatenated.
 */
export function countSegments(text: string): SegmentInfo {
  return splitSegments(text).info;
}
