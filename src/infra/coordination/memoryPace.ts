// The sliding-window budget of redisPace.ts for one process (tests, single instance).
import type { PaceBudget, RateWindow } from '../../core/coordination.js';

export class MemoryPaceBudget implements PaceBudget {
  /** Call times (ms) per key, oldest first, kept only as long as the key's longest window. */
  private readonly calls = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  async take(budgets: ReadonlyArray<{ key: string; windows: readonly RateWindow[] }>): Promise<number> {
    const now = this.now();
    let wait = 0;
    for (const { key, windows } of budgets) {
      const times = (this.calls.get(key) ?? []).filter((t) => t > now - longest(windows));
      this.calls.set(key, times);
      for (const w of windows) {
        const inside = times.filter((t) => t > now - w.ms);
        // The call `limit` places back must leave the window before one more fits.
        const blocking = inside[inside.length - w.limit];
        if (blocking !== undefined) wait = Math.max(wait, blocking + w.ms - now);
      }
    }
    if (wait > 0) return wait;
    for (const { key } of budgets) this.calls.get(key)?.push(now);
    this.forgetIdle(now);
    return 0;
  }

  /** Keeps memory flat with many channels: drops keys with no call in the last minute. */
  private forgetIdle(now: number): void {
    if (this.calls.size < 1_000) return;
    for (const [key, times] of this.calls) if ((times.at(-1) ?? 0) <= now - 60_000) this.calls.delete(key);
  }
}

function longest(windows: readonly RateWindow[]): number {
  return Math.max(0, ...windows.map((w) => w.ms));
}
