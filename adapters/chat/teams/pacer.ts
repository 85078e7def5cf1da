// Teams throttles bots per thread (documented: 7 messages per second, 8 per 2 s, 60 per 30 s)
// and per app per tenant (50 requests per second), and answers 429 past that. Posting under
// those limits up front keeps a burst of SMS from one contact, or a busy channel, from hitting
// 429 at all. Sliding windows, because Teams' limits are several windows at once (a token bucket
// fits only one). A short wait happens inline; a long one becomes a retryable PlatformError with
// retryAfterMs, so the delivery job is delayed (order kept) instead of holding a worker.
// 429s still happen (the limits may change, other instances share the tenant's budget): the
// connector reports them with Retry-After as before.

import { PlatformError } from '../../../src/core/errors.js';
import { TEAMS_PLATFORM } from './connector.js';

export interface RateWindow {
  /** Requests allowed within `ms`. */
  limit: number;
  ms: number;
}

export interface TeamsPaceOptions {
  /** Limits per conversation (a channel, or a thread "<channel>;messageid=<root>"). */
  perThread: RateWindow[];
  /** Limits across every call of this bot. */
  global: RateWindow[];
  /** Longest wait done inline; longer ones are handed back to the job as retryAfterMs. */
  maxInlineWaitMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_TEAMS_PACE: TeamsPaceOptions = {
  perThread: [
    { limit: 7, ms: 1_000 },
    { limit: 8, ms: 2_000 },
    { limit: 60, ms: 30_000 },
  ],
  global: [{ limit: 50, ms: 1_000 }],
  maxInlineWaitMs: 1_500,
};

const GLOBAL = '\u0000global';

export class TeamsPacer {
  /** Send times (ms) per key, oldest first, kept only as long as the longest window. */
  private readonly sent = new Map<string, number[]>();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly opts: TeamsPaceOptions) {
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** How long until one more call for `key` fits every window (0: now). */
  private waitFor(key: string, windows: RateWindow[], now: number): number {
    const times = this.sent.get(key) ?? [];
    let wait = 0;
    for (const w of windows) {
      // The call `limit` places back must have left the window before one more fits.
      const blocking = times[times.length - w.limit];
      if (blocking !== undefined && blocking > now - w.ms) wait = Math.max(wait, blocking + w.ms - now);
    }
    return wait;
  }

  private record(key: string, windows: RateWindow[], at: number): void {
    const keep = Math.max(...windows.map((w) => w.ms));
    const times = (this.sent.get(key) ?? []).filter((t) => t > at - keep);
    times.push(at);
    this.sent.set(key, times);
  }

  /** Takes a slot for a call in `conversationId`, waiting briefly when needed. */
  async take(conversationId: string): Promise<void> {
    for (;;) {
      const now = this.now();
      const wait = Math.max(this.waitFor(conversationId, this.opts.perThread, now), this.waitFor(GLOBAL, this.opts.global, now));
      if (wait <= 0) {
        this.record(conversationId, this.opts.perThread, now);
        this.record(GLOBAL, this.opts.global, now);
        this.forgetIdle(now);
        return;
      }
      if (wait > (this.opts.maxInlineWaitMs ?? 1_500)) {
        throw new PlatformError({ platform: TEAMS_PLATFORM, message: `pacing Teams conversation ${conversationId}`, retryable: true, retryAfterMs: wait, platformCode: 'paced' });
      }
      await this.sleep(wait);
    }
  }

  /** Drops keys whose last call left every window (keeps memory flat with many threads). */
  private forgetIdle(now: number): void {
    if (this.sent.size < 1_000) return;
    const keep = Math.max(...this.opts.perThread.map((w) => w.ms));
    for (const [key, times] of this.sent) if ((times.at(-1) ?? 0) <= now - keep) this.sent.delete(key);
  }
}
