// The local provider's dev routes (adapters/sms/local/routes.ts): play the contact's phone.

import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { devPhoneQuery, inboundSchema, statusSchema } from '../../../adapters/sms/local/routes.js';
import { ADMIN, errors, json, jsonBody, registerAdmin } from './common.js';
import { z } from './zod.js';

export const devInboundResult = z
  .object({
    messageId: z.string(),
    conversationId: z.string(),
    providerMessageId: z.string().nullable(),
    duplicate: z.boolean().openapi({ description: 'The same id was injected before (answered 200, nothing new stored).' }),
    routed: z.boolean().openapi({ description: 'Shown in a chat: the number is mapped to a channel, or the web inbox shows it (then not listed as unrouted).' }),
    webInbox: z.boolean().openapi({ description: 'Shown in the web inbox (mapped to web, or every number while no Slack or Teams runs).' }),
  })
  .strict()
  .openapi('DevInbound');

export const devOutboxEntry = z
  .object({
    providerMessageId: z.string(),
    messageId: z.string(),
    from: z.string(),
    to: z.string(),
    body: z.string(),
    mediaUrls: z.array(z.string()),
    at: z.string(),
  })
  .strict()
  .openapi('DevOutboxEntry');

export const devPhoneThread = z
  .object({
    number: z.string(),
    contact: z.string(),
    messages: z.array(
      z
        .object({
          id: z.string(),
          from: z.enum(['contact', 'bridge']),
          body: z.string(),
          media: z.array(z.object({ url: z.string().openapi({ description: 'A signed link on this bridge, valid an hour.' }), contentType: z.string() }).strict()),
          status: z.string(),
          at: z.string(),
        })
        .strict(),
    ),
  })
  .strict()
  .openapi('DevPhone');

export function registerDevPhone(r: OpenAPIRegistry): void {
  const tags = ['dev phone'];
  registerAdmin(r, {
    method: 'post',
    path: `${ADMIN}/dev/inbound`,
    operationId: 'devInbound',
    tags,
    summary: 'A contact texts a local (or unprovisioned) number, through the real ingest path',
    request: {
      body: {
        required: true,
        content: {
          'application/json': { schema: inboundSchema },
          'multipart/form-data': {
            schema: z
              .object({ from: z.string(), to: z.string(), body: z.string().optional(), id: z.string().optional(), files: z.array(z.string().openapi({ format: 'binary' })).optional() })
              .openapi({ description: 'The same text with pictures as files (within the MMS limits of the policy).' }),
          },
        },
      },
    },
    responses: {
      201: json('Stored (and routed when mapped).', devInboundResult),
      200: json('A duplicate of an earlier injected id; nothing new stored.', devInboundResult),
      ...errors(400, 413, 422, 503),
    },
  });
  registerAdmin(r, {
    method: 'post',
    path: `${ADMIN}/dev/status`,
    operationId: 'devStatus',
    tags,
    summary: 'A delivery receipt for something the local provider sent',
    request: { body: jsonBody(statusSchema) },
    responses: {
      200: json('changed: whether the message status moved (a receipt never moves it backwards).', z.object({ changed: z.boolean(), messageId: z.string().nullable(), status: z.string().nullable() }).strict()),
      ...errors(400, 413, 503),
    },
  });
  registerAdmin(r, {
    method: 'get',
    path: `${ADMIN}/dev/outbox`,
    operationId: 'devOutbox',
    tags,
    summary: 'What the bridge "sent" through the local provider, oldest first',
    responses: { 200: json('The latest sends.', z.array(devOutboxEntry)) },
  });
  registerAdmin(r, {
    method: 'get',
    path: `${ADMIN}/dev/phone`,
    operationId: 'devPhone',
    tags,
    summary: "The contact's phone: their texts and what the bridge sent them, with each one's delivery state, oldest first",
    request: { query: devPhoneQuery },
    responses: { 200: json('The thread as the phone shows it.', devPhoneThread), ...errors(400) },
  });
}
