// The local provider's dev routes (adapters/sms/local/routes.ts): play the contact's phone.

import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { inboundSchema, statusSchema } from '../../../adapters/sms/local/routes.js';
import { ADMIN, errors, json, jsonBody, registerAdmin } from './common.js';
import { z } from './zod.js';

export const devInboundResult = z
  .object({
    messageId: z.string(),
    conversationId: z.string(),
    providerMessageId: z.string().nullable(),
    duplicate: z.boolean().openapi({ description: 'The same id was injected before (answered 200, nothing new stored).' }),
    routed: z.boolean().openapi({ description: 'The number is mapped to a chat channel.' }),
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

export function registerDevPhone(r: OpenAPIRegistry): void {
  const tags = ['dev phone'];
  registerAdmin(r, {
    method: 'post',
    path: `${ADMIN}/dev/inbound`,
    operationId: 'devInbound',
    tags,
    summary: 'A contact texts a local (or unprovisioned) number, through the real ingest path',
    request: { body: jsonBody(inboundSchema) },
    responses: {
      201: json('Stored (and routed when mapped).', devInboundResult),
      200: json('A duplicate of an earlier injected id; nothing new stored.', devInboundResult),
      ...errors(400, 413, 503),
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
}
