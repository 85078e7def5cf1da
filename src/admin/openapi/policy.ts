// Company-wide policy (src/admin/policy.ts), with its ETag / If-Match.

import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { platformSchema } from '../mappings.js';
import { policyPatch } from '../policy.js';
import { ADMIN, errors, json, jsonBody, registerAdmin } from './common.js';
import { z } from './zod.js';

export const policyResource = z
  .object({
    smsEnabled: z.boolean(),
    maxSegments: z.number().int(),
    internalNotePrefix: z.string(),
    tollFreeSmsCapable: z.boolean(),
    virtualSmsCapable: z.boolean(),
    mms: z.object({ maxFiles: z.number().int(), maxTotalBytes: z.number().int(), allowedTypes: z.array(z.string()) }).strict(),
    throughput: z.object({ local: z.number(), tollFree: z.number() }).strict(),
    fallback: z.object({ platform: platformSchema, channel: z.string() }).strict().nullable(),
  })
  .strict()
  .openapi('Policy');

const etag = z.object({ ETag: z.string().openapi({ description: 'Strong tag of this version; send it back in If-Match.', example: '"q1w2e3"' }) });

export function registerPolicy(r: OpenAPIRegistry): void {
  const tags = ['policy'];
  registerAdmin(r, {
    method: 'get',
    path: `${ADMIN}/policy`,
    operationId: 'getPolicy',
    tags,
    summary: 'The company-wide policy',
    responses: { 200: json('The policy, with its ETag.', policyResource, etag) },
  });
  registerAdmin(r, {
    method: 'put',
    path: `${ADMIN}/policy`,
    operationId: 'updatePolicy',
    tags,
    summary: 'Change the policy (only the fields given; mms and throughput merge field by field)',
    request: {
      headers: z.object({
        'If-Match': z.string().optional().openapi({ description: 'The ETag read; refused with 412 when the policy changed since. Without it the write is not checked.' }),
      }),
      body: jsonBody(policyPatch),
    },
    responses: { 200: json('The policy after the change, with its new ETag.', policyResource, etag), ...errors(400, 412, 413, 422) },
  });
}
