// Slack allows about one message per second per channel, with short bursts. A token bucket per
// channel keeps the bridge under that: a short wait happens inline; a long one becomes a
// retryable PlatformError with retryAfterMs, so the delivery job is delayed (order kept) rather
// than holding a worker.

import { PlatformError } from '../../../src/core/errors.js';
import { PLATFORM_ID } from './format.js';

export interface PacerOptions {
  burst: number;
  perSecond: number;
  /** Longest wait done inline; longer ones are handed back to the job as retryAfterMs. */
  maxInlineWaitMs?: number;
  now?: () => number;
}

export const DEFAULT_PACE: PacerOptions = { burst: 10, perSecond: 1, maxInlineWaitMs: 1500 };

export class ChannelPacer {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly now: () => number;
  private sweptAt = -Infinity;

  constructor(private readonly opts: PacerOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Channels with a bucket in memory (tests: it stays flat however many channels were posted to). */
  get size(): number {
    return this.buckets.size;
  }

  /** Takes one slot for `channel`, waiting briefly when needed. */
  async take(channel: string): Promise<void> {
    const now = this.now();
    this.forgetFull(now);
    const b = this.buckets.get(channel) ?? { tokens: this.opts.burst, at: now };
    b.tokens = Math.min(this.opts.burst, b.tokens + ((now - b.at) / 1000) * this.opts.perSecond);
    b.at = now;
    this.buckets.set(channel, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return;
    }
    const waitMs = Math.ceil(((1 - b.tokens) / this.opts.perSecond) * 1000);
    if (waitMs > (this.opts.maxInlineWaitMs ?? 1500)) {
      throw new PlatformError({ platform: PLATFORM_ID, message: `pacing channel ${channel}`, retryable: true, retryAfterMs: waitMs, platformCode: 'paced' });
    }
    // Reserve the slot now so concurrent callers queue up behind it.
    b.tokens -= 1;
    await new Promise((r) => setTimeout(r, waitMs));
  }

  /**
   * Drops buckets that have refilled (a full bucket is what a channel without one gets), so
   * memory follows the channels posted to lately, not every channel ever posted to. Swept at
   * most once per refill time, so a take stays O(1) on average.
   */
  private forgetFull(now: number): void {
    const refillMs = (this.opts.burst / this.opts.perSecond) * 1000;
    if (now - this.sweptAt < refillMs) return;
    this.sweptAt = now;
    for (const [channel, b] of this.buckets) if (b.tokens + ((now - b.at) / 1000) * this.opts.perSecond >= this.opts.burst) this.buckets.delete(channel);
  }
}
