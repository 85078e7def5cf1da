// Teams throttles bots per thread (documented: 7 messages per second, 8 per 2 s, 60 per 30 s)
// and per app per tenant (50 requests per second), and answers 429 past that. Posting under
// those limits up front keeps a burst of SMS from one contact, or a busy channel, from hitting
// 429 at all. Sliding windows, because Teams' limits are several windows at once (a token bucket
// fits only one). A short wait happens inline; a long one becomes a retryable PlatformError with
// retryAfterMs, so the delivery job is delayed (order kept) instead of holding a worker.
// 429s still happen (the limits may change, other apps share the tenant's budget): the
// connector reports them with Retry-After as before.

import type { PaceBudget, RateWindow } from '../../../src/core/coordination.js';
import { PlatformError } from '../../../src/core/errors.js';
import { TEAMS_PLATFORM } from './connector.js';

export type { RateWindow } from '../../../src/core/coordination.js';

export interface TeamsPaceOptions {
  /** Limits per conversation (a channel, or a thread "<channel>;messageid=<root>"). */
  perThread: RateWindow[];
  /** Limits across every call of this bot. */
  global: RateWindow[];
  /** Longest wait done inline; longer ones are handed back to the job as retryAfterMs. */
  maxInlineWaitMs?: number;
  /** Tests: a fake clock's sleep. */
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

/** The bot's budget across every thread (one bot per bridge deployment). */
const GLOBAL_KEY = 'teams:bot';

/**
 * The windows live in the PaceBudget port (Redis across instances): every bridge instance posting
 * as this bot spends one budget, per thread and for the bot.
 */
export class TeamsPacer {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly opts: TeamsPaceOptions,
    private readonly budget: PaceBudget,
  ) {
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** Takes a slot for a call in `conversationId`, waiting briefly when needed. */
  async take(conversationId: string): Promise<void> {
    for (;;) {
      // The thread's windows and the bot's, all or nothing: a call held back spends neither.
      const wait = await this.budget.take([
        { key: `teams:thread:${conversationId}`, windows: this.opts.perThread },
        { key: GLOBAL_KEY, windows: this.opts.global },
      ]);
      if (wait <= 0) return;
      if (wait > (this.opts.maxInlineWaitMs ?? 1_500)) {
        throw new PlatformError({ platform: TEAMS_PLATFORM, message: `pacing Teams conversation ${conversationId}`, retryable: true, retryAfterMs: wait, platformCode: 'paced' });
      }
      await this.sleep(wait);
    }
  }
}
