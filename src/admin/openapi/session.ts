// Console sign-in (src/admin/session.ts), at /admin/session: outside /admin/api, but how a person
// gets the session cookie every other operation accepts.

import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { SESSION_PATH, signInSchema } from '../session.js';
import { errors, json, jsonBody, noContent, registerAdmin } from './common.js';
import { z } from './zod.js';

export const sessionResource = z
  .object({ name: z.string().openapi({ example: 'Dana Reyes' }), expiresAt: z.string().openapi({ description: 'When the session ends unless used again (idle limit), ISO.' }) })
  .strict()
  .openapi('Session');

export function registerSession(r: OpenAPIRegistry): void {
  const tags = ['session'];
  registerAdmin(r, {
    method: 'post',
    path: SESSION_PATH,
    operationId: 'signIn',
    tags,
    summary: 'Exchange the admin token, or a one-time sign-in code, and your name for a session cookie',
    security: [],
    request: { body: jsonBody(signInSchema, '`{token, name}` or `{code, name}`.') },
    responses: {
      200: json(
        'Signed in; `Set-Cookie: smsb_session=...; HttpOnly; SameSite=Strict; Path=/admin` (Secure behind https). Wrong tokens and codes count toward the sign-in limit.',
        sessionResource,
        z.object({ 'Set-Cookie': z.string() }),
      ),
      ...errors(400, 403, 413, 422),
    },
  });
  registerAdmin(r, {
    method: 'get',
    path: SESSION_PATH,
    operationId: 'getSession',
    tags,
    summary: "The cookie's session (401 without one)",
    security: [{ session: [] }],
    responses: { 200: json('The session.', sessionResource) },
  });
  registerAdmin(r, {
    method: 'delete',
    path: SESSION_PATH,
    operationId: 'signOut',
    tags,
    summary: 'Sign out: the session ends and the cookie is cleared',
    security: [{ session: [] }, {}],
    responses: { 204: noContent },
  });
}
