// A deterministic clock for store tests: every reading is one second after the previous one, so
// "newest first" / "oldest first" orderings are meaningful without sleeping.
import type { Clock } from '../../src/core/ports.js';

export function steppingClock(start = '2026-01-01T00:00:00.000Z', stepMs = 1000): Clock & { peek(): string } {
  let t = Date.parse(start);
  return {
    now() {
      const d = new Date(t);
      t += stepMs;
      return d;
    },
    peek: () => new Date(t).toISOString(),
  };
}
