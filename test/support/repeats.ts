// A post whose chat call completed just before a kill -9, but whose record did not commit, is
// posted again after the restart: Slack's chat.postMessage has no idempotency key. Crash tests
// allow that one post in flight to show twice, next to itself, and nothing else.

/** The list with each run of equal neighbours collapsed, and how many extra copies there were. */
export function collapseRepeats(items: readonly string[]): { items: string[]; repeats: number } {
  const out: string[] = [];
  for (const item of items) if (out.at(-1) !== item) out.push(item);
  return { items: out, repeats: items.length - out.length };
}
