// Provisioned numbers (src/admin/numbers.ts), the live check of a number before adding it
// (src/admin/numberCheck.ts) and the contacts opted out per number (src/admin/optOuts.ts).

import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { createNumberSchema as createSchema, numberStatus, numberType, patchNumberSchema as patchSchema, provider } from '../numbers.js';
import { numberCheckSchema } from '../numberCheck.js';
import { optOutsQuery } from '../optOuts.js';
import { ADMIN, errors, json, jsonBody, limitQuery, linkHeader, noContent, registerAdmin } from './common.js';
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

export const numberCheckResult = z
  .object({
    e164: z.string().nullable().openapi({ description: 'null when it is no phone number (the reason says why).', example: '+18005550100' }),
    display: z.string().openapi({ example: '(800) 555-0100' }),
    type: numberType.nullable(),
    smsCapable: z.boolean(),
    reasons: z.array(z.string()).openapi({ description: 'Why it could not carry SMS (or why adding it would be refused); empty when it can.' }),
    provisioned: z.boolean().openapi({ description: 'Already on this bridge (adding it again would be a 409).' }),
  })
  .strict()
  .openapi('NumberCheck');

export const optOutResource = z
  .object({
    number: z.string().openapi({ description: 'The bridge number (E.164).' }),
    contact: z.string(),
    keyword: z.string().nullable().openapi({ description: 'What they texted to opt out, when known.', example: 'STOP' }),
    since: z.string(),
  })
  .strict()
  .openapi('OptOut');

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
  registerAdmin(r, {
    method: 'post',
    path: `${ADMIN}/numbers/check`,
    operationId: 'checkNumber',
    tags,
    summary: 'What adding a number would make of it, without storing anything: can it carry SMS, and why not',
    request: { body: jsonBody(numberCheckSchema) },
    responses: { 200: json('The check (a number that does not parse answers 200 too, with the reason).', numberCheckResult), ...errors(400, 413, 422) },
  });
  registerAdmin(r, {
    method: 'get',
    path: `${ADMIN}/optouts`,
    operationId: 'listOptOuts',
    tags,
    summary: 'Contacts opted out now (STOP and the like, until START), per bridge number when given, by number then contact, paged',
    request: { query: optOutsQuery.extend({ limit: limitQuery(100) }) },
    responses: { 200: json('One page of opt-outs; Link names the next.', z.array(optOutResource), linkHeader), ...errors(400, 422) },
  });
}
