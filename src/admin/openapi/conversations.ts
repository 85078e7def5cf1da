// Conversations, their messages, history search and export (src/admin/conversations.ts and
// src/admin/history.ts), and the message shape the rest of the admin API reuses.

import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { listQuery, messagesQuery } from '../conversations.js';
import { exportQuery, searchQuery } from '../history.js';
import { ADMIN, errors, json, limitQuery, linkHeader, registerAdmin } from './common.js';
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

export const conversationResource = z
  .object({
    ...conversationFields,
    threads: z.array(z.object({ platform: z.string(), channel: z.string(), threadId: z.string(), createdAt: z.string() }).strict()),
  })
  .strict()
  .openapi('Conversation');

export const conversationExport = z
  .object({ conversation: z.object(conversationFields).strict(), messages: z.array(messageResource) })
  .strict()
  .openapi('ConversationExport');

const idPath = z.object({ id: z.string() });

export function registerConversations(r: OpenAPIRegistry): void {
  const tags = ['conversations'];
  registerAdmin(r, {
    method: 'get',
    path: `${ADMIN}/conversations`,
    operationId: 'listConversations',
    tags,
    summary: 'Conversations, oldest first, paged (filter by bridge number and/or contact, any format)',
    request: { query: listQuery.extend({ limit: limitQuery(200) }) },
    responses: { 200: json('One page of conversations; Link names the next.', z.array(conversationResource), linkHeader), ...errors(400, 422) },
  });
  registerAdmin(r, {
    method: 'get',
    path: `${ADMIN}/conversations/{id}`,
    operationId: 'getConversation',
    tags,
    summary: 'One conversation with its chat threads',
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
    responses: { 200: json('One page of messages.', z.array(messageResource), linkHeader), ...errors(404, 422) },
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
