// The web inbox's API under /admin/api, behind the admin guard (bearer token or console session):
//   GET  /conversations            list with lastMessage, lastActivityAt, unread, web; order, q
//   GET  /conversations/{id}       one of them, with the same fields
//   GET  /conversations/{id}/messages   chat view (media links, notices, author)
//   POST /conversations/{id}/read  marks it read for the console session (204)
//   POST /conversations/{id}/messages   JSON {text} or multipart (text, files): 202 {message},
//        or 422 {error:{code:"refused", message, reasons:[{code,message}]}}; `//` = internal note
//   POST /conversations            {number, contact, text}: starts one, 202 {conversation, message}
//   GET  /unrouted                 as before, without the numbers the web inbox shows anyway
// Mounted before the admin API's own routers, so these answer those paths (it extends them).
// Sends go through checkOutbound/requestOutbound like Slack and Teams replies: same rules, same
// lanes, same order per conversation.
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { AppContext } from '../../../src/app.js';
import { messagesQuery } from '../../../src/admin/conversations.js';
import { recordAudit } from '../../../src/admin/audit.js';
import { adminIdentity } from '../../../src/admin/identity.js';
import { inboxSchemas } from '../../../src/admin/inboxSchemas.js';
import { messageView } from '../../../src/admin/conversations.js';
import { limitParam, objectBody, parseWith, phoneField } from '../../../src/admin/validate.js';
import { checkOutbound, requestOutbound } from '../../../src/app/requestOutbound.js';
import { isInternalNote } from '../../../src/chat/handleReply.js';
import { NotFoundError, type Refusal } from '../../../src/core/errors.js';
import { parsePhone } from '../../../src/core/phone.js';
import type { InboxEvents, SmsProviderCapabilities, TurnQueue } from '../../../src/core/ports.js';
import { countSegments } from '../../../src/core/segments.js';
import { NOT_POSTED_ERROR_CODE } from '../../../src/core/status.js';
import type { Author, Conversation, Message, OutboundMedia } from '../../../src/core/types.js';
import type { ChatRegistry } from '../../../src/delivery/registry.js';
import { declaredLengthWithin, jsonBody } from '../../../src/http/body.js';
import { UnprocessableError } from '../../../src/http/errors.js';
import { createStoredMedia } from '../../../src/media/storedMedia.js';
import type { MediaUrlSigner } from '../../../src/media/signedUrls.js';
import { WEB_PLATFORM_ID } from './platform.js';
import { isMultipart, readMultipart, type ComposerInput } from './upload.js';
import { inboxMessageView, lastMessagePreview } from './views.js';

export interface InboxRoutesDeps {
  ctx: Pick<AppContext, 'store' | 'clock' | 'logger'>;
  registry: ChatRegistry;
  queue: TurnQueue;
  providerCaps: (provider: string) => SmsProviderCapabilities | null;
  signer: MediaUrlSigner;
  events: InboxEvents;
  /** The admin guard plus no-store, in front of every route here. */
  guard: RequestHandler[];
}

/** A whole composer request at most (pictures included); each file is held to the MMS rules after. */
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
const MAX_UPLOAD_FILES = 20;

const { list: listQuery, send: sendSchema, start: startSchema } = inboxSchemas;

function contactKey(input: string): string {
  return parsePhone(input).e164 ?? input.trim();
}

/** The 422 every refusal answers: one reason per rule that refused. */
function refused(res: Response, refusals: Refusal[]): void {
  res.status(422).json({
    error: { code: 'refused', message: refusals.map((r) => r.reason).join(' '), reasons: refusals.map((r) => ({ code: r.code, message: r.reason })) },
  });
}

export function inboxRouter(deps: InboxRoutesDeps): Router {
  const { store } = deps.ctx;
  const core = { store, clock: deps.ctx.clock, queue: deps.queue, providerCaps: deps.providerCaps };
  const router = Router();
  const view = (m: Message) => inboxMessageView(m, deps.signer);

  /** True when the number's conversations show in the web inbox. */
  const webShows = async (number: string): Promise<boolean> => {
    if (deps.registry.catchAll()?.platform === WEB_PLATFORM_ID) return true;
    return (await store.mappings.list({ number, platform: WEB_PLATFORM_ID })).length > 0;
  };

  const listItem = async (c: Conversation, sessionId: string | null, web: Map<string, boolean>, activity?: string) => {
    const last = (await store.messages.pageForConversation(c.id, { from: 'newest', limit: 1 })).messages[0] ?? null;
    if (!web.has(c.number)) web.set(c.number, await webShows(c.number));
    return {
      ...c,
      threads: (await store.threads.listForConversation(c.id)).map((t) => ({ platform: t.platform, channel: t.channel, threadId: t.threadId, createdAt: t.createdAt })),
      lastMessage: last ? lastMessagePreview(last) : null,
      lastActivityAt: activity ?? last?.createdAt ?? c.createdAt,
      unread: sessionId ? await store.inbox.unreadCount(sessionId, c.id) : 0,
      web: web.get(c.number) ?? false,
    };
  };

  router.get('/conversations', ...deps.guard, async (req, res) => {
    const q = parseWith(listQuery, req.query);
    const number = q.number ? phoneField(q.number, 'number') : undefined;
    const contact = q.contact ? contactKey(q.contact) : undefined;
    const limit = limitParam(q.limit, 200);
    const { sessionId } = adminIdentity(res);
    const web = new Map<string, boolean>();
    const order = q.order ?? 'created';
    const text = q.q && q.q !== '' ? q.q : undefined;
    let rows: Array<{ conversation: Conversation; lastActivityAt?: string }>;
    let next: string | null;
    if (order === 'created' && text === undefined) {
      // The documented default order and paging, unchanged.
      const page = await store.conversations.page({ number, contact }, { limit, cursor: q.cursor });
      rows = page.conversations.map((conversation) => ({ conversation }));
      next = page.next;
    } else {
      const page = await store.inbox.list({ number, contact, q: text }, { order, limit, cursor: q.cursor });
      rows = page.items;
      next = page.next;
    }
    if (next !== null) {
      const params = new URLSearchParams({
        ...(number ? { number } : {}),
        ...(contact ? { contact } : {}),
        ...(text ? { q: text } : {}),
        ...(q.order ? { order: q.order } : {}),
        cursor: next,
        limit: String(limit),
      });
      res.set('Link', `<${req.baseUrl}/conversations?${params.toString()}>; rel="next"`);
    }
    const out = [];
    for (const r of rows) out.push(await listItem(r.conversation, sessionId, web, r.lastActivityAt));
    res.json(out);
  });

  const conversationOr404 = async (id: string): Promise<Conversation> => {
    const c = await store.conversations.get(id);
    if (!c) throw new NotFoundError(`No conversation ${id}.`);
    return c;
  };

  router.get('/conversations/:id', ...deps.guard, async (req, res) => {
    const c = await conversationOr404(String(req.params.id));
    res.json(await listItem(c, adminIdentity(res).sessionId, new Map()));
  });

  router.get('/conversations/:id/messages', ...deps.guard, async (req, res) => {
    const c = await conversationOr404(String(req.params.id));
    const q = parseWith(messagesQuery, req.query);
    if (q.before !== undefined && q.cursor !== undefined) throw new UnprocessableError('cursor: give either cursor or before, not both', 'cursor');
    const limit = limitParam(q.limit, 200);
    const page = await store.messages.pageForConversation(c.id, { from: 'newest', limit, cursor: q.cursor, createdBefore: q.before });
    if (page.next !== null) {
      res.set('Link', `<${req.baseUrl}/conversations/${encodeURIComponent(c.id)}/messages?cursor=${encodeURIComponent(page.next)}&limit=${limit}>; rel="next"`);
    }
    res.json(page.messages.map(view));
  });

  router.post('/conversations/:id/read', ...deps.guard, async (req, res) => {
    const c = await conversationOr404(String(req.params.id));
    const { sessionId } = adminIdentity(res);
    // Unread counts are per console session; a bearer-token script has none to mark.
    if (sessionId) await store.inbox.markRead(sessionId, c.id);
    res.status(204).end();
  });

  /** JSON {text} or multipart (text, files). */
  const composerInput = async (req: Request): Promise<ComposerInput> => {
    if (isMultipart(req)) {
      const input = await readMultipart(req, { maxFileBytes: (await store.policy.get()).mms.maxTotalBytes, maxFiles: MAX_UPLOAD_FILES });
      return { text: parseWith(sendSchema, { text: input.text }).text, files: input.files };
    }
    return { text: parseWith(sendSchema, objectBody(req.body)).text, files: [] };
  };

  /** Sends (or keeps as a note) a composer text from the person signed in; null when refused (answered). */
  const compose = async (
    req: Request,
    res: Response,
    number: string,
    contact: string,
    input: ComposerInput,
  ): Promise<{ message: Message; conversation: Conversation } | null> => {
    const identity = adminIdentity(res);
    // A retried request (double click, a dropped answer) with the same Idempotency-Key sends once.
    const key = req.get('idempotency-key')?.trim();
    if (key !== undefined && (key.length === 0 || key.length > 200)) throw new UnprocessableError('Idempotency-Key: 1 to 200 characters', 'Idempotency-Key');
    const platformMessageId = key ? `web:${identity.sessionId ?? identity.name}:${key}` : null;
    const author: Author = { platform: WEB_PLATFORM_ID, userId: identity.name, name: identity.name };
    const policy = await store.policy.get();
    if (isInternalNote(input.text, policy.internalNotePrefix)) return { ...(await keepNote(number, contact, input, author)) };
    const request = { fromNumber: number, to: [contact], body: input.text, author };
    const { eligibility } = await checkOutbound(core, { ...request, media: input.files.map((f) => ({ contentType: f.contentType, size: f.size })) });
    if (!eligibility.allowed) {
      refused(res, eligibility.refusals);
      return null;
    }
    const media: OutboundMedia[] = [];
    for (const f of input.files) {
      if (!f.bytes) continue; // over the cap: the check above refused it already
      const row = await createStoredMedia(store, { messageId: null, contentType: f.contentType, sourceUrl: null }, f.bytes);
      media.push({ contentType: f.contentType, size: f.size, mediaId: row.id, name: f.name });
    }
    const outcome = await requestOutbound(core, { ...request, media, platformMessageId });
    if (!outcome.ok) {
      refused(res, outcome.refusals);
      return null;
    }
    const message = (await store.messages.get(outcome.message.id)) ?? outcome.message;
    // Who sent what to whom, as for every change made through the admin API (not the text: the
    // conversation keeps it). A repeat of the same Idempotency-Key sent nothing new.
    if (!outcome.duplicate) {
      await recordAudit(deps.ctx, res, 'message.send', message.id, null, { conversationId: message.conversationId, number, contact, media: media.length });
    }
    return { message, conversation: await conversationOr404(message.conversationId) };
  };

  /** A `//` note: kept in the conversation for colleagues, never sent; shown live. */
  const keepNote = async (number: string, contact: string, input: ComposerInput, author: Author) => {
    if (!(await store.numbers.get(number))) throw new UnprocessableError(`number: ${number} is not a provisioned number`, 'number');
    const segments = countSegments(input.text);
    const stored = await store.transaction(async () => {
      const { conversation } = await store.conversations.getOrCreate(number, contact);
      const { message } = await store.messages.insert({
        conversationId: conversation.id,
        direction: 'internal',
        body: input.text,
        status: 'delivered',
        author,
        encoding: segments.encoding,
        segments: segments.segments,
        createdAt: deps.ctx.clock.now().toISOString(),
      });
      for (const f of input.files) {
        if (f.bytes) await createStoredMedia(store, { messageId: message.id, contentType: f.contentType, sourceUrl: null }, f.bytes);
      }
      return { conversation, id: message.id };
    });
    const message = await store.messages.get(stored.id);
    if (!message) throw new Error(`note ${stored.id} vanished after insert`);
    await deps.events.publish({ type: 'message', conversationId: message.conversationId, message });
    return { message, conversation: stored.conversation };
  };

  const uploadCap = declaredLengthWithin(MAX_UPLOAD_BYTES);
  const json = jsonBody();
  // JSON or multipart: the JSON parser only for JSON (busboy reads multipart itself).
  const bodyFor: typeof uploadCap = (req, res, next) => {
    if (isMultipart(req)) {
      next();
      return;
    }
    const [cap, parse, check] = json;
    cap!(req, res, (e?: unknown) => (e ? next(e) : parse!(req, res, (e2?: unknown) => (e2 ? next(e2) : check!(req, res, next)))));
  };

  router.post('/conversations/:id/messages', ...deps.guard, uploadCap, bodyFor, async (req, res) => {
    const c = await conversationOr404(String(req.params.id));
    const input = await composerInput(req);
    const done = await compose(req, res, c.number, c.contact, input);
    if (done) res.status(202).json({ message: view(done.message) });
  });

  router.post('/conversations', ...deps.guard, uploadCap, bodyFor, async (req, res) => {
    if (isMultipart(req)) {
      throw new UnprocessableError('body: start a conversation with JSON {number, contact, text}; add pictures to it afterwards', 'body');
    }
    const body = parseWith(startSchema, objectBody(req.body));
    const done = await compose(req, res, phoneField(body.number, 'number'), contactKey(body.contact), { text: body.text, files: [] });
    if (done) res.status(202).location(`/admin/api/conversations/${done.conversation.id}`).json({ conversation: done.conversation, message: view(done.message) });
  });

  // Inbound texts shown in no chat. With the web inbox showing every number (no Slack, no Teams),
  // an unmapped number is not "unrouted": only texts every channel refused for good are listed.
  router.get('/unrouted', ...deps.guard, async (req, res) => {
    const everything = deps.registry.catchAll() !== null;
    const unrouted = await store.messages.listUnrouted(limitParam(req.query.limit));
    const out = [];
    for (const m of unrouted) {
      if (everything && m.errorCode !== NOT_POSTED_ERROR_CODE) continue;
      const conversation = await store.conversations.get(m.conversationId);
      out.push({ ...messageView(m), number: conversation?.number ?? null, contact: conversation?.contact ?? null });
    }
    res.json(out);
  });

  return router;
}
