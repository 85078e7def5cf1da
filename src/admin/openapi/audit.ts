// The audit log (src/admin/audit.ts) and unrouted inbound messages (src/admin/index.ts).

import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { ADMIN, errors, json, limitQuery, registerAdmin } from './common.js';
import { messageWithParties } from './conversations.js';
import { z } from './zod.js';

export const auditEntry = z
  .object({
    id: z.number().int(),
    at: z.string(),
    actor: z.string().openapi({ example: 'admin-api' }),
    action: z.string().openapi({ example: 'number.create' }),
    target: z.string(),
    before: z.unknown().openapi({ description: 'The record before the change (null when created).' }),
    after: z.unknown().openapi({ description: 'The record after the change (null when deleted).' }),
  })
  .strict()
  .openapi('AuditEntry');

// These routes read ?limit= with limitParam and take no other parameter.
const limitOnly = (fallback: number) => z.object({ limit: limitQuery(fallback) });

export function registerAudit(r: OpenAPIRegistry): void {
  registerAdmin(r, {
    method: 'get',
    path: `${ADMIN}/audit`,
    operationId: 'listAudit',
    tags: ['audit'],
    summary: 'Every change made through the admin API, newest first, with before and after',
    request: { query: limitOnly(100) },
    responses: { 200: json('The latest entries.', z.array(auditEntry)), ...errors(422) },
  });
}

export function registerUnrouted(r: OpenAPIRegistry): void {
  registerAdmin(r, {
    method: 'get',
    path: `${ADMIN}/unrouted`,
    operationId: 'listUnrouted',
    tags: ['conversations'],
    summary: 'Inbound messages for numbers with no mapping (kept, never dropped)',
    request: { query: limitOnly(100) },
    responses: { 200: json('Each with its bridge number and contact.', z.array(messageWithParties)), ...errors(422) },
  });
}
