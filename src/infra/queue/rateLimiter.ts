// Carrier throughput per sending number, counted in segments and shared by every worker and
// process through Redis (issue 4, behaviour 5).
//
// Algorithm (lua/rate-reserve.lua): GCRA with reservations ("virtual scheduling"). Per number
// Redis keeps `tat`, the time the number is free again. A send of `cost` segments at `rate`
// segments/s takes the slot start = max(tat, now) and moves tat to start + cost/rate. When start
// is in the future the message is held back until then (never failed; its conversation waits)
// and the slot is remembered under the message id, so the held message uses its own slot when it
// comes back instead of queueing again: every held message goes exactly once, at its turn, with
// no thundering herd. One Lua call per decision, clocked by Redis TIME so workers on different
// machines agree. Each number has its own key: a busy number never slows another.
import type { Redis } from 'ioredis';
import type { NumberType, Policy, ProvisionedNumber } from '../../core/types.js';
import { defineScript, type ScriptCall } from './script.js';

export interface RateDecision {
  number: string;
  messageId: string;
  segments: number;
  /** Segments per second applied. */
  rate: number;
  /** 0: send now; otherwise hold the job back this long. */
  delayMs: number;
  /** Redis time (ms) of the slot this send was given. */
  slotAt: number;
  /** Redis time (ms) of the decision. */
  decidedAt: number;
}

/** Segments per second for a number: its own override, else the policy's cap for its type. */
export function segmentsPerSecond(number: ProvisionedNumber, policy: Policy): number {
  if (number.segmentsPerSecond !== null && number.segmentsPerSecond > 0) return number.segmentsPerSecond;
  const byType: Record<NumberType, number> = {
    local: policy.throughput.local,
    'toll-free': policy.throughput.tollFree,
    // Virtual numbers carry SMS only when an admin allows it; they get the long-code cap.
    virtual: policy.throughput.local,
  };
  return byType[number.type] > 0 ? byType[number.type] : 1;
}

export interface RateLimiter {
  /** Takes a slot for `segments` of the message on `number` (idempotent per message while held). */
  reserve(number: string, rate: number, segments: number, messageId: string): Promise<RateDecision>;
}

export function createRateLimiter(
  redis: Redis,
  keyPrefix: string,
  onDecision?: (d: RateDecision) => void,
): RateLimiter {
  const call: ScriptCall<[number, number, number]> = defineScript(redis, 'rate-reserve.lua', 2);
  return {
    async reserve(number, rate, segments, messageId) {
      const cost = Math.max(1, segments);
      const [delayMs, slotAt, decidedAt] = await call(
        [`${keyPrefix}:tat:${number}`, `${keyPrefix}:held:${messageId}`],
        [cost, rate],
      );
      const decision = { number, messageId, segments: cost, rate, delayMs, slotAt, decidedAt };
      onDecision?.(decision);
      return decision;
    },
  };
}
