// Opt-out keywords (product rule 12). The keyword must be the whole message: trimmed, any case.
// "Stop please" is a conversation, not an opt-out, and is left to the people in the thread.

export type KeywordFamily = 'stop' | 'start' | 'help' | null;

export const STOP_KEYWORDS: readonly string[] = [
  'STOP',
  'STOPALL',
  'UNSUBSCRIBE',
  'END',
  'QUIT',
  'CANCEL',
  'REVOKE',
  'OPTOUT',
];
export const START_KEYWORDS: readonly string[] = ['START', 'YES', 'UNSTOP'];
export const HELP_KEYWORDS: readonly string[] = ['HELP', 'INFO'];

const FAMILY = new Map<string, Exclude<KeywordFamily, null>>([
  ...STOP_KEYWORDS.map((k) => [k, 'stop'] as const),
  ...START_KEYWORDS.map((k) => [k, 'start'] as const),
  ...HELP_KEYWORDS.map((k) => [k, 'help'] as const),
]);

/**
 * Which keyword family an inbound body belongs to, or null. Only ASCII letters match:
 * full-width "ＳＴＯＰ" or a keyword inside a sentence is not a keyword (carriers match the same
 * way, and a false opt-out silently cuts a customer off).
 */
export function classifyKeyword(body: string): KeywordFamily {
  const word = body.trim();
  if (!/^[A-Za-z]+$/.test(word)) return null;
  return FAMILY.get(word.toUpperCase()) ?? null;
}
