// `/sms` command text -> what the user asked for. Pure, so every form is unit-tested.
//
//   /sms help                      /sms history <number>
//   /sms map <number>              /sms unmap <number>          /sms numbers
//   /sms <number> <text>           number in any common format: "+1 415 555 2671", "(415) 555-2671",
//                                  "415.555.2671"; several recipients ("a,b", "a b") are kept (and
//                                  refused by the rules: one recipient per SMS).

import { parsePhone } from '../../../src/core/phone.js';

export type SmsCommand =
  | { kind: 'help' }
  | { kind: 'history'; number: string }
  | { kind: 'map'; number: string }
  | { kind: 'unmap'; number: string }
  | { kind: 'numbers' }
  | { kind: 'send'; to: string[]; text: string }
  | { kind: 'invalid'; problem: string };

const SUBCOMMANDS_WITH_NUMBER = new Set(['history', 'map', 'unmap']);
/** A token that can be part of a written phone number. */
const NUMBERISH = /^[+(]?[\d()+.-]+$/;

/**
 * Splits "<number words> <text>": the longest run of leading number-like tokens that parses as
 * a phone number is the recipient, the rest is the text. "+1 415 555 2671 2 apples" gives the
 * number +14155552671 and the text "2 apples". Every further recipient is collected too, so that
 * a request naming several is refused (rule 3) instead of texting the first one the others'
 * numbers: "a,b", "a, b", "a; b" and "a b" (when b is a whole phone number) all name two. A
 * separator followed by no number is punctuation: "+1 415 555 2671, hi" is one recipient.
 */
export function splitRecipient(input: string): { to: string[]; text: string } | null {
  const text = input.trim();
  const first = leadingNumber(text, false);
  if (!first) return null;
  const to = [first.number];
  let pos = first.end;
  for (;;) {
    const sep = /^\s*[,;]\s*/.exec(text.slice(pos));
    if (sep) {
      const next = leadingNumber(text.slice(pos + sep[0].length), false);
      if (!next) {
        pos += sep[0].length;
        break;
      }
      to.push(next.number);
      pos += sep[0].length + next.end;
      continue;
    }
    const gap = /^\s*/.exec(text.slice(pos))?.[0].length ?? 0;
    const next = leadingNumber(text.slice(pos + gap), true);
    if (!next) break;
    to.push(next.number);
    pos += gap + next.end;
  }
  return { to, text: text.slice(pos).replace(/^\s+/, '') };
}

/**
 * The phone number written at the start of `text`: the longest run (up to 6) of number-like
 * tokens that parses as one, with the index where it ends. With `validOnly` false, a number-like
 * first token that is no phone number is returned as it is (so the rules name the problem).
 */
function leadingNumber(text: string, validOnly: boolean): { number: string; end: number } | null {
  const tokens: Array<{ value: string; end: number }> = [];
  const re = /[^\s,;]+/y;
  let at = 0;
  while (tokens.length < 6) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m || !NUMBERISH.test(m[0])) break;
    tokens.push({ value: m[0], end: re.lastIndex });
    const ws = /^[ \t]*/.exec(text.slice(re.lastIndex))?.[0].length ?? 0;
    if (ws === 0) break;
    at = re.lastIndex + ws;
  }
  for (let n = tokens.length; n >= 1; n--) {
    const candidate = tokens
      .slice(0, n)
      .map((t) => t.value)
      .join(' ');
    if (parsePhone(candidate).e164 !== null) return { number: candidate, end: (tokens[n - 1] as { end: number }).end };
  }
  const only = tokens[0];
  return !validOnly && only ? { number: only.value, end: only.end } : null;
}

export function parseSmsCommand(text: string): SmsCommand {
  const trimmed = text.trim();
  if (trimmed === '' || /^help$/i.test(trimmed)) return { kind: 'help' };
  const [word = '', ...rest] = trimmed.split(/\s+/);
  const sub = word.toLowerCase();
  if (sub === 'numbers') return { kind: 'numbers' };
  if (SUBCOMMANDS_WITH_NUMBER.has(sub)) {
    const number = rest.join(' ').trim();
    if (!number) return { kind: 'invalid', problem: `\`/sms ${sub}\` needs a phone number, e.g. \`/sms ${sub} +1 415 555 2671\`.` };
    return { kind: sub as 'history' | 'map' | 'unmap', number };
  }
  const split = splitRecipient(trimmed);
  if (!split) {
    return { kind: 'invalid', problem: `"${word}" is not a phone number or a command. Try \`/sms help\`.` };
  }
  return { kind: 'send', to: split.to, text: split.text };
}
