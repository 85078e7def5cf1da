// Per-user (chat profile) policy (src/admin/users.ts).

import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { userParams as params, userPatchSchema as patchSchema, usersQuery } from '../users.js';
import { ADMIN, errors, json, jsonBody, limitQuery, linkHeader, registerAdmin } from './common.js';
import { z } from './zod.js';

export const userResource = z
  .object({
    platform: z.string(),
    userId: z.string(),
    smsEnabled: z.boolean(),
    admin: z.boolean(),
    updatedAt: z.string(),
  })
  .strict()
  .openapi('UserPolicy');

export function registerUsers(r: OpenAPIRegistry): void {
  const tags = ['users'];
  registerAdmin(r, {
    method: 'get',
    path: `${ADMIN}/users`,
    operationId: 'listUsers',
    tags,
    summary: 'People with a stored policy and their send rights (others have the defaults: may send, not admin), by platform and user id, paged',
    request: { query: usersQuery.extend({ limit: limitQuery(100) }) },
    responses: { 200: json('One page of user policies; Link names the next.', z.array(userResource), linkHeader), ...errors(422) },
  });
  registerAdmin(r, {
    method: 'get',
    path: `${ADMIN}/users/{platform}/{userId}`,
    operationId: 'getUser',
    tags,
    summary: "One chat user's policy",
    request: { params },
    responses: { 200: json('The stored policy.', userResource), ...errors(404, 422) },
  });
  registerAdmin(r, {
    method: 'put',
    path: `${ADMIN}/users/{platform}/{userId}`,
    operationId: 'updateUser',
    tags,
    summary: "Set a chat user's send right and/or admin flag",
    request: { params, body: jsonBody(patchSchema) },
    responses: { 200: json('The policy after the change.', userResource), ...errors(400, 413, 422) },
  });
}
