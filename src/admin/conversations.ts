// Conversations and their history (read-only): filter by our number and/or the contact, in any
// common format; each conversation lists its chat threads.

import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { NotFoundError } from '../core/errors.js';
import { parsePhone } from '../core/phone.js';
import type { Conversation, Message } from '../core/types.js';
import { UnprocessableError } from '../http/errors.js';
import { limitParam, parseWith, phoneField } from './validate.js';

const listQuery = z
  .object({
    number: z.string().trim().min(1, 'must not be empty').optional(),
    contact: z.string().trim().min(1, 'must not be empty').optional(),
    limit: z.unknown().optional(),
    cursor: z.string().trim().min(1, 'must not be empty').max(500, 'at most 500 characters').optional(),
  })
  .strict();

/** A contact is E.164 when it is a phone number, else the sender id as received (alphanumeric). */
function contactKey(input: string): string {
  return parsePhone(input).e164 ?? input.trim();
}

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

export function conversationsRouter(ctx: AppContext): Router {
  const { store } = ctx;
  const router = Router();

  const view = async (c: Conversation) => ({
    ...c,
    threads: (await store.threads.listForConversation(c.id)).map((t) => ({ platform: t.platform, channel: t.channel, threadId: t.threadId, createdAt: t.createdAt })),
  });

  // `limit` (default 200, max 1000) at a time, oldest first (the body stays a bare array, as it
  // always was); when more exist, a `Link: <...?cursor=...>; rel="next"` header names the next page.
  router.get('/', async (req, res) => {
    const q = parseWith(listQuery, req.query);
    const number = q.number ? phoneField(q.number, 'number') : undefined;
    const contact = q.contact ? contactKey(q.contact) : undefined;
    const limit = limitParam(q.limit, 200);
    const page = await store.conversations.page({ number, contact }, { limit, cursor: q.cursor });
    if (page.next !== null) {
      const params = new URLSearchParams({ ...(number ? { number } : {}), ...(contact ? { contact } : {}), cursor: page.next, limit: String(limit) });
      res.set('Link', `<${req.baseUrl}?${params.toString()}>; rel="next"`);
    }
    const out = [];
    for (const c of page.conversations) out.push(await view(c));
    res.json(out);
  });

  router.get('/:id', async (req, res) => {
    const c = await store.conversations.get(req.params.id);
    if (!c) throw new NotFoundError(`No conversation ${req.params.id}.`);
    res.json(await view(c));
  });

  // The latest `limit` messages, oldest first (the body stays a bare array, as it always was).
  // When older ones exist, a `Link: <...?cursor=...&limit=...>; rel="next"` header names the
  // next (older) page. `cursor` pages by (created_at, rowid), so messages sharing a millisecond
  // are never skipped or repeated at a page edge; the legacy `before=<ISO time>` still works as
  // the first page of such a run (everything created strictly before it).
  router.get('/:id/messages', async (req, res) => {
    const c = await store.conversations.get(req.params.id);
    if (!c) throw new NotFoundError(`No conversation ${req.params.id}.`);
    const q = parseWith(messagesQuery, req.query);
    if (q.before !== undefined && q.cursor !== undefined) {
      throw new UnprocessableError('cursor: give either cursor or before, not both', 'cursor');
    }
    const limit = limitParam(q.limit, 200);
    const page = await store.messages.pageForConversation(c.id, { from: 'newest', limit, cursor: q.cursor, createdBefore: q.before });
    if (page.next !== null) {
      const next = `${req.baseUrl}/${encodeURIComponent(c.id)}/messages?cursor=${encodeURIComponent(page.next)}&limit=${limit}`;
      res.set('Link', `<${next}>; rel="next"`);
    }
    res.json(page.messages.map(messageView));
  });

  return router;
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
