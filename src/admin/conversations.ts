// Conversations and their history (read-only): filter by our number and/or the contact, in any
// common format; each conversation lists its chat threads.

import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { NotFoundError } from '../core/errors.js';
import { parsePhone } from '../core/phone.js';
import type { Conversation, Message } from '../core/types.js';
import { limitParam, parseWith, phoneField } from './validate.js';

const listQuery = z
  .object({
    number: z.string().trim().min(1, 'must not be empty').optional(),
    contact: z.string().trim().min(1, 'must not be empty').optional(),
  })
  .passthrough();

/** A contact is E.164 when it is a phone number, else the sender id as received (alphanumeric). */
function contactKey(input: string): string {
  return parsePhone(input).e164 ?? input.trim();
}

export function conversationsRouter(ctx: AppContext): Router {
  const { store } = ctx;
  const router = Router();

  const view = (c: Conversation) => ({
    ...c,
    threads: store.threads.listForConversation(c.id).map((t) => ({ platform: t.platform, channel: t.channel, threadId: t.threadId, createdAt: t.createdAt })),
  });

  router.get('/', (req, res) => {
    const q = parseWith(listQuery, req.query);
    const number = q.number ? phoneField(q.number, 'number') : undefined;
    const contact = q.contact ? contactKey(q.contact) : undefined;
    res.json(store.conversations.list({ number, contact }).map(view));
  });

  router.get('/:id', (req, res) => {
    const c = store.conversations.get(req.params.id);
    if (!c) throw new NotFoundError(`No conversation ${req.params.id}.`);
    res.json(view(c));
  });

  router.get('/:id/messages', (req, res) => {
    const c = store.conversations.get(req.params.id);
    if (!c) throw new NotFoundError(`No conversation ${req.params.id}.`);
    const before = typeof req.query.before === 'string' ? req.query.before : undefined;
    const messages = store.messages.listForConversation(c.id, { limit: limitParam(req.query.limit, 200), before });
    res.json(messages.map(messageView));
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
