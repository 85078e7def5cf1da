// Forward-only message status (product rule: a status never moves backwards, e.g. a late
// 'sent' callback never overwrites 'delivered'). The store implements `messages.advanceStatus`
// in SQL with the same ranks, so both sides import them from here.

import type { MessageStatus } from './types.js';

/**
 * Rank of each status along received/queued -> sending -> sent -> final. A move is allowed only to
 * a strictly higher rank. All final statuses share the top rank, so one final status never
 * replaces another: a late 'delivered' after 'undelivered' is a carrier contradiction and the
 * first final word is kept (the record shows what we were told first; nothing flips back and
 * forth in the thread).
 */
export const STATUS_RANK: Readonly<Record<MessageStatus, number>> = Object.freeze({
  received: 0,
  queued: 0,
  sending: 1,
  sent: 2,
  delivered: 3,
  undelivered: 3,
  failed: 3,
  refused: 3,
});

/** Statuses a message never leaves. */
export const FINAL_STATUSES: readonly MessageStatus[] = Object.freeze([
  'delivered',
  'undelivered',
  'failed',
  'refused',
]);

export function isFinalStatus(status: MessageStatus): boolean {
  return STATUS_RANK[status] === 3;
}

/** True when a message in status `from` may move to `to` (strictly forward; same status = no move). */
export function canAdvance(from: MessageStatus, to: MessageStatus): boolean {
  return STATUS_RANK[to] > STATUS_RANK[from];
}

/**
 * Error code kept on an inbound message that every chat target refused for good (channel gone,
 * bot removed): it is then listed with the unrouted messages, so nothing drops out of sight.
 */
export const NOT_POSTED_ERROR_CODE = 'not_posted';
