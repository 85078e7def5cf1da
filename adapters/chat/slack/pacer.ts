// Slack allows about one message per second per channel, with short bursts. The budget is taken
// from the PaceBudget port (Redis across instances), so two bridges posting into one channel share
// it: a short wait happens inline; a long one becomes a retryable PlatformError with retryAfterMs,
// so the delivery job is delayed (order kept) rather than holding a worker.

import type { PaceBudget, RateWindow } from '../../../src/core/coordination.js';
import { PlatformError } from '../../../src/core/errors.js';
import { PLATFORM_ID } from './format.js';

export interface PacerOptions {
  burst: number;
  perSecond: number;
  /** Longest wait done inline; longer ones are handed back to the job as retryAfterMs. */
  maxInlineWaitMs?: number;
  /** Tests: a fake clock's sleep. */
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_PACE: PacerOptions = { burst: 10, perSecond: 1, maxInlineWaitMs: 1500 };

/** The longest window: past a minute, the sustained rate is what counts. */
const LONGEST_WINDOW_MS = 60_000;

/**
 * A token bucket (`burst` at once, `perSecond` after) as sliding windows, which is what the shared
 * budget keeps. The bucket lets at most burst + n - 1 calls through within any n refill intervals,
 * so each window below is a limit the bucket has too (nothing it would let through is held back):
 * every n up to `burst` (over the time a drained channel takes to refill, the windows are the
 * bucket: one call per interval after a burst, no second burst), then doubling n up to a minute,
 * which bounds the sustained rate (burst 10, 1/s: 69 per minute). Two windows only (e.g. `burst`
 * per burst/perSecond s and 2 per s) would make a drained channel wait the whole refill time, or
 * forbid the burst Slack allows.
 */
export function bucketWindows(burst: number, perSecond: number): RateWindow[] {
  const interval = 1000 / perSecond;
  const windows: RateWindow[] = [];
  for (let n = 1; n * interval < LONGEST_WINDOW_MS; n = n < burst ? n + 1 : n * 2) windows.push({ limit: burst + n - 1, ms: n * interval });
  windows.push({ limit: burst + Math.floor(LONGEST_WINDOW_MS / interval) - 1, ms: LONGEST_WINDOW_MS });
  return windows;
}

export class ChannelPacer {
  private readonly windows: RateWindow[];
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly opts: PacerOptions,
    private readonly budget: PaceBudget,
  ) {
    this.windows = bucketWindows(opts.burst, opts.perSecond);
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** Takes one slot for `channel`, waiting briefly when needed. */
  async take(channel: string): Promise<void> {
    for (;;) {
      const waitMs = await this.budget.take([{ key: `slack:channel:${channel}`, windows: this.windows }]);
      if (waitMs <= 0) return;
      if (waitMs > (this.opts.maxInlineWaitMs ?? 1500)) {
        throw new PlatformError({ platform: PLATFORM_ID, message: `pacing channel ${channel}`, retryable: true, retryAfterMs: waitMs, platformCode: 'paced' });
      }
      // Nothing is reserved while waiting (another caller may take the slot first): take again.
      await this.sleep(waitMs);
    }
  }
}
