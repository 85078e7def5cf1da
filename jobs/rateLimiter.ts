// Carrier throughput per sending number, counted in segments and shared by every worker and
// process through Redis (issue 4, behaviour 5).
//
// Algorithm: GCRA with reservations ("virtual scheduling"). Per number Redis keeps `tat`, the
// time the number is free again. A send of `cost` segments at `rate` segments/s takes the slot
// start = max(tat, now) and moves tat to start + cost/rate. When start is in the future the job
// is held back until then (moved to delayed, never failed) and the slot is remembered under the
// message id, so the woken job uses its own slot instead of queueing again: every held message
// wakes exactly once, at its turn, with no thundering herd. One Lua call per decision, clocked by
// Redis TIME so workers on different machines agree. Each number has its own key: a busy number
// never slows another.
import type { Redis } from 'ioredis';
import type { NumberType, Policy, ProvisionedNumber } from '../src/core/types.js';
import { defineScript, type ScriptCall } from './redisScript.js';

// KEYS[1] tat of the number, KEYS[2] reservation of this message
// ARGV[1] cost (segments), ARGV[2] rate (segments/s)
// Returns {delayMs, slotMs, nowMs}.
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local held = redis.call('GET', KEYS[2])
if held then
  held = tonumber(held)
  if held <= now then redis.call('DEL', KEYS[2]) return {0, held, now} end
  return {held - now, held, now}
end
local cost = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(tat, now)
local nextFree = start + math.ceil(cost * 1000 / rate)
redis.call('SET', KEYS[1], nextFree, 'PX', nextFree - now + 1000)
if start > now then
  redis.call('SET', KEYS[2], start, 'PX', start - now + 3600000)
  return {start - now, start, now}
end
return {0, start, now}`;

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
  const call: ScriptCall<[number, number, number]> = defineScript(redis, 'smsbRateReserve', 2, RESERVE);
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
