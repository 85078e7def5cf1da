// Provisioned numbers (src/admin/numbers.ts).

import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { createNumberSchema as createSchema, numberStatus, numberType, patchNumberSchema as patchSchema, provider } from '../numbers.js';
import { ADMIN, errors, json, jsonBody, noContent, registerAdmin } from './common.js';
import { z } from './zod.js';

export const refusal = z
  .object({ code: z.string().openapi({ example: 'sender_toll_free' }), reason: z.string() })
  .strict()
  .openapi('Refusal');

/** numberView: the stored number, plus whether it can carry SMS and every reason why not. */
export const numberResource = z
  .object({
    number: z.string().openapi({ description: 'E.164; same as e164.', example: '+14155552671' }),
    e164: z.string(),
    provider,
    type: numberType,
    status: numberStatus,
    country: z.string().nullable().openapi({ description: 'ISO 3166 alpha-2 region, derived from the number.', example: 'US' }),
    segmentsPerSecond: z.number().nullable().openapi({ description: 'Per-number throughput override; null follows the policy.' }),
    createdAt: z.string(),
    updatedAt: z.string(),
    smsCapable: z.boolean(),
    reasons: z.array(refusal).openapi({ description: 'Every reason the number cannot send SMS; empty when it can.' }),
  })
  .strict()
  .openapi('Number');

export const numberPath = z.object({
  number: z.string().openapi({ description: 'The number in any common format, URL-encoded.', example: '+14155552671' }),
});

export function registerNumbers(r: OpenAPIRegistry): void {
  const tags = ['numbers'];
  registerAdmin(r, {
    method: 'get',
    path: `${ADMIN}/numbers`,
    operationId: 'listNumbers',
    tags,
    summary: 'Provisioned numbers, each with whether it can carry SMS',
    responses: { 200: json('Every provisioned number.', z.array(numberResource)) },
  });
  registerAdmin(r, {
    method: 'post',
    path: `${ADMIN}/numbers`,
    operationId: 'createNumber',
    tags,
    summary: 'Provision a number (any common format in, E.164 out; type derived when omitted)',
    request: { body: jsonBody(createSchema) },
    responses: {
      201: json('Created.', numberResource, z.object({ Location: z.string().openapi({ example: '/admin/api/numbers/%2B14155552671' }) })),
      ...errors(400, 409, 413, 422),
    },
  });
  registerAdmin(r, {
    method: 'get',
    path: `${ADMIN}/numbers/{number}`,
    operationId: 'getNumber',
    tags,
    summary: 'One provisioned number',
    request: { params: numberPath },
    responses: { 200: json('The number.', numberResource), ...errors(400, 404) },
  });
  registerAdmin(r, {
    method: 'patch',
    path: `${ADMIN}/numbers/{number}`,
    operationId: 'updateNumber',
    tags,
    summary: 'Change a number (only the fields given)',
    request: { params: numberPath, body: jsonBody(patchSchema) },
    responses: { 200: json('The number after the change.', numberResource), ...errors(400, 404, 413, 422) },
  });
  registerAdmin(r, {
    method: 'delete',
    path: `${ADMIN}/numbers/{number}`,
    operationId: 'deleteNumber',
    tags,
    summary: 'Remove a number and its mappings (kept in the audit log)',
    request: { params: numberPath },
    responses: { 204: noContent, ...errors(400, 404) },
  });
}
