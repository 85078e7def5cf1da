// Failed work and its resend / retry (src/admin/jobs.ts), and the health of the queues
// (src/admin/queues.ts). The jobs routes read their one optional input (`force`) by hand, not
// through a zod schema; it is described here as they read it.

import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { queuesQuery } from '../queues.js';
import { ADMIN, errors, json, registerAdmin } from './common.js';
import { z } from './zod.js';

const lane = z.enum(['send', 'deliver']);

export const failedJob = z
  .object({
    id: z.string().openapi({ description: '`<lane>-<messageId>`', example: 'send-0192f0c4-...' }),
    queue: lane,
    name: lane,
    messageId: z.string(),
    conversationId: z.string(),
    failedReason: z.string(),
    attemptsMade: z.number().int(),
    createdAt: z.string(),
    failedAt: z.string(),
    number: z.string().nullable(),
    contact: z.string().nullable(),
    text: z.string().nullable().openapi({ description: 'The whole text.' }),
    preview: z.string().nullable().openapi({ description: 'The text cut at 140 characters, for lists.' }),
    mediaCount: z.number().int().openapi({ description: 'How many pictures it carries.' }),
  })
  .strict()
  .openapi('FailedJob');

export const resendResult = z
  .object({
    messageId: z.string(),
    conversationId: z.string(),
    status: z.literal('queued'),
    jobId: z.string(),
    previous: z.object({ status: z.string(), reason: z.string().nullable(), errorCode: z.string().nullable() }).strict(),
    possibleDuplicate: z.boolean().openapi({ description: 'True when the previous send may have reached the contact and the resend was forced.' }),
    warning: z.string().optional(),
    note: z.string().optional(),
  })
  .strict()
  .openapi('Resend');

const redeliverResult = z
  .object({ id: z.string(), queue: z.literal('deliver'), state: z.literal('waiting') })
  .strict()
  .openapi('Redelivery');

/** `{force: true}` (or ?force=true) resends a message whose previous send may have reached the contact. */
const forceBody = z.object({ force: z.boolean().optional() }).openapi({ description: 'Optional; no body at all is fine.' });
const forceQuery = z.object({ force: z.enum(['true', '1']).optional().openapi({ description: 'Same as {"force": true}.' }) });
const optionalForce = { required: false, content: { 'application/json': { schema: forceBody } } };

const laneCounts = z
  .object({
    queue: lane,
    waiting: z.number().int().openapi({ description: 'Ready to be handled (held ones included).' }),
    preparing: z.number().int().openapi({ description: 'Chat replies holding their place while their files download.' }),
    active: z.number().int().nullable().openapi({ description: 'Conversations a worker handles now; null when Redis does not answer.' }),
    delayed: z.number().int().nullable().openapi({ description: 'Waiting for a retry or a rate limit; null when Redis does not answer.' }),
    failed: z.number().int().openapi({ description: 'Failed for good (GET /admin/api/jobs/failed lists them).' }),
    oldestPendingSeconds: z.number().int().openapi({ description: 'How long the longest-waiting one has been due; 0 when none.' }),
  })
  .strict();

export const queuesHealth = z
  .object({
    queues: z.array(laneCounts).openapi({ description: '`send` (SMS going out) and `deliver` (posts into chat).' }),
    redis: z.string().nullable().openapi({ description: 'Why active and delayed are unknown (Redis did not answer); null when it did.' }),
  })
  .strict()
  .openapi('Queues');

export function registerJobs(r: OpenAPIRegistry): void {
  const tags = ['jobs'];
  registerAdmin(r, {
    method: 'get',
    path: `${ADMIN}/queues`,
    operationId: 'listQueues',
    tags,
    summary: 'Per queue: waiting, preparing, active, delayed, failed, and the oldest pending age in seconds (counts from the store answer even while Redis is away)',
    request: { query: queuesQuery },
    responses: { 200: json('The queues.', queuesHealth), ...errors(422) },
  });
  registerAdmin(r, {
    method: 'get',
    path: `${ADMIN}/jobs/failed`,
    operationId: 'listFailedJobs',
    tags,
    summary: 'Sends and chat deliveries that failed for good, with contact, number and text',
    responses: { 200: json('The failed jobs.', z.object({ jobs: z.array(failedJob) }).strict()) },
  });
  registerAdmin(r, {
    method: 'post',
    path: `${ADMIN}/messages/{id}/resend`,
    operationId: 'resendMessage',
    tags,
    summary: 'Resend a failed or undelivered outbound message (audited; at the end of its conversation order)',
    request: { params: z.object({ id: z.string() }), query: forceQuery, body: optionalForce },
    responses: { 200: json('Queued again.', resendResult), ...errors(400, 404, 409) },
  });
  registerAdmin(r, {
    method: 'post',
    path: `${ADMIN}/jobs/{id}/retry`,
    operationId: 'retryJob',
    tags,
    summary: 'Retry a failed job: send-<messageId> resends, deliver-<messageId> posts into chat again',
    request: { params: z.object({ id: z.string().openapi({ example: 'deliver-0192f0c4-...' }) }), query: forceQuery, body: optionalForce },
    responses: { 200: json('Queued again.', z.union([resendResult, redeliverResult])), ...errors(400, 404, 409) },
  });
}
