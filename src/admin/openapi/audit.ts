// The audit log (src/admin/audit.ts) and unrouted inbound messages (adapters/chat/web/routes.ts).

import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { auditQuery } from '../audit.js';
import { ADMIN, errors, json, limitQuery, registerAdmin } from './common.js';
import { messageWithParties } from './conversations.js';
import { z } from './zod.js';

export const auditEntry = z
  .object({
    id: z.number().int(),
    at: z.string(),
    actor: z.string().openapi({ description: 'Who: the name given at console sign-in; for the bearer token its X-Admin-Name header, else "admin".', example: 'Dana Reyes' }),
    action: z.string().openapi({ example: 'number.create' }),
    target: z.string(),
    targetLabel: z.string().openapi({ description: 'The target as a person reads it.', example: '(415) 555-2671 → slack C0123ABC' }),
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
    request: { query: auditQuery.extend({ limit: limitQuery(100) }) },
    responses: { 200: json('The latest entries.', z.array(auditEntry)), ...errors(422) },
  });
}

export function registerUnrouted(r: OpenAPIRegistry): void {
  registerAdmin(r, {
    method: 'get',
    path: `${ADMIN}/unrouted`,
    operationId: 'listUnrouted',
    tags: ['conversations'],
    summary: 'Inbound messages shown in no chat (kept, never dropped); while the web inbox shows every number, only those every channel refused',
    request: { query: limitOnly(100) },
    responses: { 200: json('Each with its bridge number and contact.', z.array(messageWithParties)), ...errors(422) },
  });
}
