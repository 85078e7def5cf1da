// History search and export (rule 10: every message is kept and can be browsed, searched and
// exported). Read-only: nothing here writes, and nothing anywhere deletes a message.
//
//   GET /admin/api/messages?q=&number=&contact=&direction=&limit=
//       newest first; numbers in any common format; each hit names its conversation's number and
//       contact so a result can be opened without a second lookup.
//   GET /admin/api/conversations/:id/export?format=csv|json
//       every message of the conversation, oldest first, streamed page by page: history is never
//       deleted, so a conversation can hold far more than fits comfortably in one response body
//       built in memory. The export stops at the last message that existed when it began, so an
//       export of a busy conversation always ends.

import { Router, type Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { NotFoundError } from '../core/errors.js';
import { parsePhone } from '../core/phone.js';
import type { Conversation, Message } from '../core/types.js';
import { messageView } from './conversations.js';
import { limitParam, parseWith, phoneField } from './validate.js';

/** Messages read (and written out) per step of an export. */
export const EXPORT_PAGE_SIZE = 500;

// An empty query parameter (`?q=&number=`) means "no filter", as in a search form left blank.
const optionalText = z.preprocess(
  (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
  z.string().trim().max(500, 'at most 500 characters').optional(),
);

export const searchQuery = z
  .object({
    q: optionalText,
    number: optionalText,
    contact: optionalText,
    direction: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z.enum(['inbound', 'outbound', 'internal']).optional(),
    ),
    limit: z.unknown().optional(),
  })
  .strict();

export const exportQuery = z
  .object({ format: z.enum(['csv', 'json']).default('json') })
  .strict();

/** A contact is E.164 when it is a phone number, else the sender id as received (alphanumeric). */
function contactKey(input: string): string {
  return parsePhone(input).e164 ?? input.trim();
}

export function historyRouter(ctx: AppContext): Router {
  const { store } = ctx;
  const router = Router();

  router.get('/messages', async (req, res) => {
    const q = parseWith(searchQuery, req.query);
    const limit = limitParam(q.limit, 100, 1000);
    const number = q.number ? phoneField(q.number, 'number') : undefined;
    const contact = q.contact ? contactKey(q.contact) : undefined;
    // Every filter, direction included, is applied by the store: the limit counts real hits.
    const hits = await store.messages.search({ text: q.q, number, contact, direction: q.direction, limit });
    const conversations = new Map<string, Conversation | null>();
    const conversationOf = async (id: string) => {
      if (!conversations.has(id)) conversations.set(id, await store.conversations.get(id));
      return conversations.get(id) ?? null;
    };
    const out = [];
    for (const m of hits) {
      const c = await conversationOf(m.conversationId);
      out.push({ ...messageView(m), number: c?.number ?? null, contact: c?.contact ?? null });
    }
    res.json(out);
  });

  router.get('/conversations/:id/export', async (req, res) => {
    const { format } = parseWith(exportQuery, req.query);
    const conversation = await store.conversations.get(req.params.id);
    if (!conversation) throw new NotFoundError(`No conversation ${req.params.id}.`);
    const pages = messagePages(ctx, conversation.id);
    const name = `conversation-${safeFileName(conversation.number)}-${safeFileName(conversation.contact)}.${format}`;
    res.status(200);
    res.set('Content-Disposition', `attachment; filename="${name}"`);
    if (format === 'csv') {
      res.type('text/csv; charset=utf-8');
      await streamOut(res, pages, {
        head: `${CSV_COLUMNS.join(',')}\r\n`,
        row: (m) => `${csvRow(m, conversation)}\r\n`,
        separator: '',
        tail: '',
      });
    } else {
      res.type('application/json; charset=utf-8');
      await streamOut(res, pages, {
        head: `{"conversation":${JSON.stringify(conversation)},"messages":[`,
        row: (m) => JSON.stringify(messageView(m)),
        separator: ',',
        tail: ']}',
      });
    }
  });

  return router;
}

// ---------------------------------------------------------------------------------------------
// Paging

/**
 * The conversation's messages oldest first, EXPORT_PAGE_SIZE at a time, through the message
 * repository's keyset pages on (created_at, rowid): never skipping or repeating messages that
 * share a timestamp, each message built (media included) exactly as the rest of the admin API
 * shows it. The paging run is bounded by what existed when the export began, so it always ends.
 */
export async function* messagePages(ctx: Pick<AppContext, 'store'>, conversationId: string): AsyncGenerator<Message[]> {
  let cursor: string | undefined;
  for (;;) {
    const page = await ctx.store.messages.pageForConversation(conversationId, { cursor, limit: EXPORT_PAGE_SIZE });
    if (page.messages.length > 0) yield page.messages;
    if (page.next === null) return;
    cursor = page.next;
  }
}

interface Shape {
  head: string;
  row: (m: Message) => string;
  separator: string;
  tail: string;
}

/**
 * Writes page after page, waiting for the socket to drain between pages (so a slow client holds
 * one page in memory, not the whole history) and stopping if the client goes away.
 */
async function streamOut(res: Response, pages: AsyncIterable<Message[]>, shape: Shape): Promise<void> {
  // The response's 'close' (not the request's, which may close as soon as its empty body is
  // read) tells that the client went away before the end.
  let gone = false;
  const onClose = () => {
    gone = true;
  };
  res.on('close', onClose);
  try {
    res.write(shape.head);
    let first = true;
    for await (const messages of pages) {
      if (gone || res.destroyed) return;
      let chunk = '';
      for (const m of messages) {
        chunk += (first ? '' : shape.separator) + shape.row(m);
        first = false;
      }
      if (!res.write(chunk)) await drained(res);
    }
    if (gone || res.destroyed) return;
    res.end(shape.tail);
  } catch (err) {
    // Headers are out already: the only honest signal left is a cut-off response.
    res.destroy(err instanceof Error ? err : new Error(String(err)));
  } finally {
    res.off('close', onClose);
  }
}

function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function safeFileName(value: string): string {
  return value.replace(/[^A-Za-z0-9+._-]/g, '_').slice(0, 64);
}

// ---------------------------------------------------------------------------------------------
// CSV (RFC 4180)

export const CSV_COLUMNS = [
  'id',
  'createdAt',
  'updatedAt',
  'direction',
  'status',
  'statusReason',
  'errorCode',
  'number',
  'contact',
  'authorPlatform',
  'authorUserId',
  'authorName',
  'body',
  'mediaIds',
  'mediaTypes',
  'otherRecipients',
  'provider',
  'providerMessageId',
  'segments',
  'encoding',
] as const;

/**
 * One CSV field: quoted when it holds a comma, a quote, CR or LF (quotes doubled), so bodies with
 * any of them come back intact in any RFC 4180 reader.
 */
export function csvField(value: string | number | null | undefined): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Characters that make a spreadsheet read a cell as a formula (= + - @, tab, CR, and their
 * full-width forms, which Excel takes as the same in East Asian locales), or that it skips before
 * looking (a leading space or line break: " =1+1" is still a formula in some).
 */
const FORMULA_START = /^[=+\-@\t\r\n \u00a0\u3000\uff1d\uff0b\uff0d\uff20]/;

/**
 * Text that came from outside (SMS bodies, display names, provider ids and reasons, media types)
 * and starts like a formula would run in the admin's spreadsheet: a contact could text
 * `=HYPERLINK(...)`. Such cells get a leading apostrophe, which spreadsheets show as text. The
 * JSON export stays verbatim.
 */
export function neutraliseFormula(text: string | null | undefined): string | null {
  if (text === null || text === undefined) return null;
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/**
 * A CSV cell: every text goes through neutraliseFormula (values the bridge writes itself never
 * start like a formula, so nothing is missed by asking which column came from where), except one
 * E.164 number, which is a number to a spreadsheet and shown as such.
 */
function csvCell(value: string | number | null | undefined): string | number | null {
  if (typeof value !== 'string') return value ?? null;
  return /^\+\d+$/.test(value) ? value : neutraliseFormula(value);
}

function csvRow(m: Message, c: Conversation): string {
  const cells: Record<(typeof CSV_COLUMNS)[number], string | number | null | undefined> = {
    id: m.id,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    direction: m.direction,
    status: m.status,
    statusReason: m.statusReason,
    errorCode: m.errorCode,
    number: c.number,
    contact: c.contact,
    authorPlatform: m.author?.platform,
    authorUserId: m.author?.userId,
    authorName: m.author?.name,
    body: m.body,
    mediaIds: m.media.map((x) => x.id).join(' '),
    mediaTypes: m.media.map((x) => x.contentType).join(' '),
    otherRecipients: m.otherRecipients.join(' '),
    provider: m.provider,
    providerMessageId: m.providerMessageId,
    segments: m.segments,
    encoding: m.encoding,
  };
  return CSV_COLUMNS.map((k) => csvField(csvCell(cells[k]))).join(',');
}
