// Conversations as the web inbox serves them (adapters/chat/web/routes.ts and events.ts: list,
// one, messages, read, reply, start, live events), history search and export
// (src/admin/history.ts), and the message shape the rest of the admin API reuses.

import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { messagesQuery } from '../conversations.js';
import { inboxSchemas } from '../inboxSchemas.js';
import { exportQuery, searchQuery } from '../history.js';
import { ADMIN, errors, json, jsonBody, limitQuery, linkHeader, noContent, registerAdmin } from './common.js';
import { z } from './zod.js';

/** messageView (src/admin/conversations.ts). */
export const messageResource = z
  .object({
    id: z.string(),
    conversationId: z.string(),
    direction: z.enum(['inbound', 'outbound', 'internal']),
    body: z.string(),
    media: z.array(
      z
        .object({
          id: z.string(),
          contentType: z.string(),
          size: z.number().int(),
          status: z.enum(['stored', 'refused', 'failed', 'pending']),
          reason: z.string().nullable(),
        })
        .strict(),
    ),
    status: z.enum(['received', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'refused']),
    statusReason: z.string().nullable().openapi({ description: 'Why it failed, was refused or undelivered.' }),
    errorCode: z.string().nullable().openapi({ example: 'opted_out' }),
    author: z
      .object({ platform: z.string(), userId: z.string(), name: z.string().nullable().optional() })
      .strict()
      .optional()
      .openapi({ description: 'Only for messages written in chat.' }),
    provider: z.string().nullable(),
    providerMessageId: z.string().nullable(),
    segments: z.number().int(),
    encoding: z.enum(['GSM-7', 'UCS-2']),
    otherRecipients: z.array(z.string()).openapi({ description: 'Other recipients of an inbound group text.' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .strict()
  .openapi('Message');

/** inboxMessageView (adapters/chat/web/views.ts): what the web inbox draws as a chat bubble. */
export const inboxMessage = messageResource
  .extend({
    media: z.array(
      z
        .object({
          id: z.string(),
          contentType: z.string(),
          size: z.number().int(),
          status: z.enum(['stored', 'refused', 'failed', 'pending']),
          reason: z.string().nullable(),
          url: z.string().nullable().openapi({ description: 'A signed link an <img> can load (no token needed), valid 24 h; null unless stored.' }),
        })
        .strict(),
    ),
    notices: z.array(z.string()).openapi({ description: 'What chat shows with it: keyword meanings (STOP, HELP), group sends, refusals with their reasons.' }),
  })
  .openapi('InboxMessage');

/** A message with its conversation's bridge number and contact (search hits, unrouted). */
export const messageWithParties = messageResource
  .extend({ number: z.string().nullable(), contact: z.string().nullable() })
  .openapi('MessageWithParties');

const conversationFields = {
  id: z.string(),
  number: z.string().openapi({ description: 'The bridge number (E.164).', example: '+14155552671' }),
  contact: z.string().openapi({ description: 'E.164, or the sender id as received for alphanumeric senders.', example: '+14155550123' }),
  createdAt: z.string(),
};

/** A conversation as stored (POST /conversations answers it). */
export const conversationRecord = z.object(conversationFields).strict().openapi('ConversationRecord');

/** listItem (adapters/chat/web/routes.ts): the conversation, its chat threads and what the inbox list shows. */
export const conversationResource = z
  .object({
    ...conversationFields,
    threads: z.array(z.object({ platform: z.string(), channel: z.string(), threadId: z.string(), createdAt: z.string() }).strict()),
    lastMessage: z
      .object({
        id: z.string(),
        direction: z.enum(['inbound', 'outbound', 'internal']),
        body: z.string().openapi({ description: 'Preview, at most 140 characters.' }),
        status: z.string(),
        createdAt: z.string(),
        media: z.number().int().openapi({ description: 'How many pictures it carries.' }),
      })
      .strict()
      .nullable(),
    lastActivityAt: z.string().openapi({ description: 'When its last message was written (its creation when it has none).' }),
    unread: z.number().int().openapi({ description: 'Texts in since this console session last read it; 0 without a session (bearer token).' }),
    web: z.boolean().openapi({ description: 'Shown in the web inbox (mapped to web, or every number while no Slack or Teams runs).' }),
  })
  .strict()
  .openapi('Conversation');

export const conversationExport = z
  .object({ conversation: z.object(conversationFields).strict(), messages: z.array(messageResource) })
  .strict()
  .openapi('ConversationExport');

const idPath = z.object({ id: z.string() });

/** A web inbox send answered: accepted (202), or refused with one reason per rule (422 `refused`). */
const sendErrors = errors(400, 404, 413, 422);
const idempotencyKey = z.object({
  'Idempotency-Key': z.string().optional().openapi({ description: 'The same key again (a double click, a retried request) sends once and answers the first message.' }),
});

export function registerConversations(r: OpenAPIRegistry): void {
  const tags = ['conversations'];
  registerAdmin(r, {
    method: 'get',
    path: `${ADMIN}/conversations`,
    operationId: 'listConversations',
    tags,
    summary: 'Conversations, oldest first (or newest activity first with order=activity), paged; filter by bridge number, contact (any format) and text',
    request: { query: inboxSchemas.list.extend({ limit: limitQuery(200) }) },
    responses: { 200: json('One page of conversations; Link names the next.', z.array(conversationResource), linkHeader), ...errors(400, 422) },
  });
  registerAdmin(r, {
    method: 'get',
    path: `${ADMIN}/conversations/{id}`,
    operationId: 'getConversation',
    tags,
    summary: 'One conversation with its chat threads, last message and unread count',
    request: { params: idPath },
    responses: { 200: json('The conversation.', conversationResource), ...errors(404) },
  });
  registerAdmin(r, {
    method: 'get',
    path: `${ADMIN}/conversations/{id}/messages`,
    operationId: 'listConversationMessages',
    tags,
    summary: "A conversation's latest messages, oldest first; Link pages to older ones",
    request: { params: idPath, query: messagesQuery.extend({ limit: limitQuery(200) }) },
    responses: { 200: json('One page of messages.', z.array(inboxMessage), linkHeader), ...errors(404, 422) },
  });
  registerAdmin(r, {
    method: 'post',
    path: `${ADMIN}/conversations/{id}/read`,
    operationId: 'markConversationRead',
    tags,
    summary: 'Mark it read for this console session (a bearer-token caller has none: nothing to mark)',
    request: { params: idPath },
    responses: { 204: noContent, ...errors(404) },
  });
  registerAdmin(r, {
    method: 'post',
    path: `${ADMIN}/conversations/{id}/messages`,
    operationId: 'sendMessage',
    tags,
    summary: 'Reply from the web inbox (JSON text, or multipart with pictures as MMS), through the same rules and lanes as chat replies; a text starting with `//` is kept as an internal note, never sent',
    request: {
      params: idPath,
      headers: idempotencyKey,
      body: {
        required: true,
        content: {
          'application/json': { schema: inboxSchemas.send },
          'multipart/form-data': {
            schema: z.object({ text: z.string().optional(), files: z.array(z.string().openapi({ format: 'binary' })).optional() }).openapi({ description: 'Pictures within the MMS limits of the policy.' }),
          },
        },
      },
    },
    responses: { 202: json('Accepted (or kept, for a note); its status follows.', z.object({ message: inboxMessage }).strict()), ...sendErrors },
  });
  registerAdmin(r, {
    method: 'post',
    path: `${ADMIN}/conversations`,
    operationId: 'startConversation',
    tags,
    summary: 'Start a conversation with a first text (numbers in any format)',
    request: { headers: idempotencyKey, body: jsonBody(inboxSchemas.start) },
    responses: {
      202: json('Accepted for sending.', z.object({ conversation: conversationRecord, message: inboxMessage }).strict(), z.object({ Location: z.string() })),
      ...errors(400, 413, 422),
    },
  });
  registerAdmin(r, {
    method: 'get',
    path: `${ADMIN}/events`,
    operationId: 'inboxEvents',
    tags,
    summary: 'Live updates (Server-Sent Events), from every instance; works with the session cookie',
    responses: {
      200: {
        description:
          '`event: message` (a new message in any conversation, any direction) and `event: status` (a status changed), each with `data: {"conversationId", "message": InboxMessage}`; a `: keep-alive` comment every 15 s.',
        content: { 'text/event-stream': { schema: z.string().openapi({ example: 'event: message\ndata: {"conversationId":"...","message":{...}}\n\n' }) } },
      },
      ...errors(503),
    },
  });
  registerAdmin(r, {
    method: 'get',
    path: `${ADMIN}/conversations/{id}/export`,
    operationId: 'exportConversation',
    tags: ['history'],
    summary: 'Every message of a conversation, oldest first, as JSON or CSV (RFC 4180, formula-safe)',
    request: { params: idPath, query: exportQuery },
    responses: {
      200: {
        description: 'An attachment (Content-Disposition), streamed.',
        headers: z.object({ 'Content-Disposition': z.string().openapi({ example: 'attachment; filename="conversation-+14155552671-+14155550123.json"' }) }),
        content: {
          'application/json': { schema: conversationExport },
          'text/csv': { schema: z.string().openapi({ description: 'Header row then one row per message.' }) },
        },
      },
      ...errors(404, 422),
    },
  });
  registerAdmin(r, {
    method: 'get',
    path: `${ADMIN}/messages`,
    operationId: 'searchMessages',
    tags: ['history'],
    summary: 'Search every message, newest first (text, number, contact, direction)',
    request: { query: searchQuery.extend({ limit: limitQuery(100) }) },
    responses: { 200: json('The hits, each with its conversation number and contact.', z.array(messageWithParties)), ...errors(400, 422) },
  });
}
