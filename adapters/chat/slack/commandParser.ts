// `/sms` command text -> what the user asked for. Pure, so every form is unit-tested.
//
//   /sms help                      /sms history <number>
//   /sms map <number>              /sms unmap <number>          /sms numbers
//   /sms <number> <text>           number in any common format: "+1 415 555 2671", "(415) 555-2671",
//                                  "415.555.2671"; several recipients "a,b" are kept (and refused).

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
 * number +14155552671 and the text "2 apples".
 */
export function splitRecipient(input: string): { to: string[]; text: string } | null {
  const trimmed = input.trim();
  if (trimmed.length === 0) return null;
  const tokens = trimmed.split(/\s+/);
  // Several recipients written "a,b" or "a;b" in the first token.
  const first = tokens[0] ?? '';
  if (/[,;]/.test(first)) {
    const to = first.split(/[,;]/).filter((t) => t.length > 0);
    return { to, text: trimmed.slice(first.length).trim() };
  }
  let run = 0;
  while (run < tokens.length && run < 6 && NUMBERISH.test(tokens[run] ?? '')) run++;
  for (let n = run; n >= 1; n--) {
    const candidate = tokens.slice(0, n).join(' ');
    const info = parsePhone(candidate);
    if (info.e164 !== null) {
      const rest = restAfterTokens(trimmed, n);
      return { to: [candidate], text: rest };
    }
  }
  if (run === 0) return null;
  // Number-like but not a phone number: keep it so the rules name the problem.
  return { to: [tokens[0] ?? ''], text: restAfterTokens(trimmed, 1) };
}

/** The text after the first n whitespace-separated tokens, with its own spacing kept. */
function restAfterTokens(text: string, n: number): string {
  const re = /\S+/g;
  let m: RegExpExecArray | null = null;
  for (let i = 0; i < n; i++) m = re.exec(text);
  return m ? text.slice(m.index + m[0].length).replace(/^\s+/, '') : text;
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
