// What the admin API's conversation routes share: the messages page query and the message view
// (the routes themselves are the web inbox's, adapters/chat/web/routes.ts; history.ts exports).

import { z } from 'zod';
import type { Message } from '../core/types.js';

// Unknown parameters are refused (422, named), as everywhere in the admin API: a misspelt filter
// (?contcat=) must not answer the unfiltered list as if it had been applied.
export const messagesQuery = z
  .object({
    limit: z.unknown().optional(),
    // Stored times are UTC ISO strings compared as text: anything else (a date word, epoch ms, an
    // offset like +01:00) would compare wrongly, so it must parse and is normalised to UTC.
    before: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .refine(isIsoTime, 'expected an ISO 8601 time with Z or an offset (or a date alone), e.g. 2026-11-26T09:30:00Z')
      .transform((v) => new Date(v).toISOString())
      .optional(),
    cursor: z.string().trim().min(1, 'must not be empty').max(500, 'at most 500 characters').optional(),
  })
  .strict();

/**
 * A real calendar date, alone (UTC midnight) or with a time that says its zone (Z or an offset: a
 * bare time would be read in the server's zone). JavaScript's Date rolls 2026-02-31 over to
 * March; that is refused, not silently moved.
 */
function isIsoTime(v: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):?(\d{2})))?$/.exec(v);
  if (!m) return false;
  const [year, month, day, hour = 0, minute = 0, second = 0, offH = 0, offM = 0] = m.slice(1).map((x) => (x === undefined ? undefined : Number(x)));
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  return month! >= 1 && month! <= 12 && day! >= 1 && day! <= daysInMonth && hour < 24 && minute < 60 && second < 60 && offH < 24 && offM < 60;
}

/** Oldest first; `author` only for messages written in chat. */
export function messageView(m: Message) {
  return {
    id: m.id,
    conversationId: m.conversationId,
    direction: m.direction,
    body: m.body,
    media: m.media.map((x) => ({ id: x.id, contentType: x.contentType, size: x.size, status: x.status, reason: x.reason })),
    status: m.status,
    statusReason: m.statusReason,
    errorCode: m.errorCode,
    ...(m.author ? { author: m.author } : {}),
    provider: m.provider,
    providerMessageId: m.providerMessageId,
    segments: m.segments,
    encoding: m.encoding,
    otherRecipients: m.otherRecipients,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
  };
}
