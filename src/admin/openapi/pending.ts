// PENDING: the operations issue 15's other branches (web, auth, adminapi) add, written from
// /work/wt/CONTRACT15.md before their code exists on this branch. Request schemas here are
// PLACEHOLDERS: once a branch is merged, replace each with the schema its route validates with
// (exported as `export const ...` from the route file, as the other area files do), move the
// operation into its area file, and drop its key from PENDING_OPERATIONS. When the list is
// empty, delete this file and its call in document.ts; test/admin/openapi.test.ts then checks
// these operations like every other. That test fails, naming them, as soon as the source
// registers a route still listed here, so none stays a placeholder after its merge.
// Changes to EXISTING operations the contract announces (strict response schemas fail the
// response test until they are written in):
//  - web: GET /conversations items gain pendingConversationFields (below); message items gain
//    `notices: string[]` and media items a signed `url` (conversations.ts messageResource);
//    POST /dev/inbound also takes multipart (`files`): add 'multipart/form-data' in devPhone.ts.
//  - adminapi: GET /users may change shape ("people with their send rights"): users.ts.
//  - request schemas imported from route files (mappings platform "web", conversations `order`
//    and `q`, dev inbound `media[].dataUrl`) follow the merged code by themselves.

import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { ADMIN, errors, json, jsonBody, noContent, registerAdmin } from './common.js';
import { conversationResource, messageResource } from './conversations.js';
import { z } from './zod.js';

/** "METHOD /path" of every operation below: the coverage test does not require them to exist yet. */
export const PENDING_OPERATIONS: ReadonlySet<string> = new Set([
  'POST /admin/session',
  'GET /admin/session',
  'DELETE /admin/session',
  `GET ${ADMIN}/dev/phone`,
  `POST ${ADMIN}/conversations`,
  `POST ${ADMIN}/conversations/{id}/read`,
  `POST ${ADMIN}/conversations/{id}/messages`,
  `GET ${ADMIN}/events`,
  `GET ${ADMIN}/channels`,
  `POST ${ADMIN}/numbers/check`,
  `GET ${ADMIN}/optouts`,
  `GET ${ADMIN}/queues`,
]);

/**
 * web branch: fields GET /conversations items gain. After merging it, extend conversationResource
 * (conversations.ts) with `.extend(pendingConversationFields.shape)`; the response test fails
 * until then, naming the new fields.
 */
export const pendingConversationFields = z.object({
  lastMessage: z
    .object({
      id: z.string(),
      direction: z.enum(['inbound', 'outbound', 'internal']),
      body: z.string().openapi({ description: 'Preview, at most 140 characters.' }),
      status: z.string(),
      createdAt: z.string(),
    })
    .strict()
    .nullable(),
  lastActivityAt: z.string(),
  unread: z.number().int().openapi({ description: 'Per console session; 0 without one.' }),
  web: z.boolean().openapi({ description: 'Shown in the web inbox.' }),
});

// PLACEHOLDER request schemas (see the header).
const sessionBody = z.union([z.object({ token: z.string(), name: z.string() }).strict(), z.object({ code: z.string(), name: z.string() }).strict()]);
const devPhoneQuery = z.object({ number: z.string(), contact: z.string() });
const sendBody = z.object({ text: z.string() }).strict();
const startBody = z.object({ number: z.string(), contact: z.string(), text: z.string() }).strict();
const numberCheckBody = z.object({ number: z.string(), provider: z.enum(['twilio', '8x8', 'local']).optional(), type: z.enum(['local', 'toll-free', 'virtual']).optional() }).strict();
const optoutsQuery = z.object({ number: z.string().optional() });

const session = z.object({ name: z.string(), expiresAt: z.string() }).strict().openapi('Session');
const idPath = z.object({ id: z.string() });

export function registerPending(r: OpenAPIRegistry): void {
  const add = (route: RouteConfig) => registerAdmin(r, route);

  // auth branch
  add({
    method: 'post',
    path: '/admin/session',
    operationId: 'signIn',
    tags: ['session'],
    summary: 'Exchange the admin token or a one-time code for a session cookie',
    security: [],
    request: { body: jsonBody(sessionBody) },
    responses: {
      200: json('Signed in; Set-Cookie: smsb_session (HttpOnly, SameSite=Strict, Path=/admin).', session, z.object({ 'Set-Cookie': z.string() })),
      ...errors(400, 422),
    },
  });
  add({ method: 'get', path: '/admin/session', operationId: 'getSession', tags: ['session'], summary: 'The current session', security: [{ session: [] }], responses: { 200: json('The session.', session) } });
  add({ method: 'delete', path: '/admin/session', operationId: 'signOut', tags: ['session'], summary: 'Sign out (cookie cleared, session deleted)', security: [{ session: [] }], responses: { 204: noContent } });
  add({
    method: 'get',
    path: `${ADMIN}/dev/phone`,
    operationId: 'devPhone',
    tags: ['dev phone'],
    summary: "The contact's view: their texts and what the bridge sent them, oldest first",
    request: { query: devPhoneQuery },
    responses: {
      200: json(
        'The thread as the phone shows it.',
        z
          .object({
            number: z.string(),
            contact: z.string(),
            messages: z.array(
              z
                .object({
                  id: z.string(),
                  from: z.enum(['contact', 'bridge']),
                  body: z.string(),
                  media: z.array(z.object({ url: z.string(), contentType: z.string() }).strict()),
                  status: z.string(),
                  at: z.string(),
                })
                .strict(),
            ),
          })
          .strict()
          .openapi('DevPhone'),
      ),
      ...errors(400, 422),
    },
  });

  // web branch
  add({
    method: 'post',
    path: `${ADMIN}/conversations`,
    operationId: 'startConversation',
    tags: ['conversations'],
    summary: 'Start a conversation with a first text',
    request: { body: jsonBody(startBody) },
    responses: { 202: json('Accepted for sending.', z.object({ conversation: conversationResource, message: messageResource }).strict()), ...errors(400, 413, 422) },
  });
  add({
    method: 'post',
    path: `${ADMIN}/conversations/{id}/read`,
    operationId: 'markConversationRead',
    tags: ['conversations'],
    summary: 'Mark read for this console session',
    request: { params: idPath },
    responses: { 204: noContent, ...errors(404) },
  });
  add({
    method: 'post',
    path: `${ADMIN}/conversations/{id}/messages`,
    operationId: 'sendMessage',
    tags: ['conversations'],
    summary: 'Reply from the web inbox (text, or multipart with pictures); `//` makes an internal note',
    request: {
      params: idPath,
      body: {
        required: true,
        content: {
          'application/json': { schema: sendBody },
          'multipart/form-data': { schema: z.object({ text: z.string().optional(), files: z.array(z.string().openapi({ format: 'binary' })).optional() }) },
        },
      },
    },
    responses: { 202: json('Accepted, with its status.', z.object({ message: messageResource }).strict()), ...errors(400, 404, 413, 422) },
  });
  add({
    method: 'get',
    path: `${ADMIN}/events`,
    operationId: 'events',
    tags: ['conversations'],
    summary: 'Server-Sent Events: `message` and `status`, data {conversationId, message}; keep-alive every 15 s',
    responses: { 200: { description: 'An event stream.', content: { 'text/event-stream': { schema: z.string() } } } },
  });

  // adminapi branch
  add({
    method: 'get',
    path: `${ADMIN}/channels`,
    operationId: 'listChannels',
    tags: ['channels'],
    summary: 'Channels a number can be mapped to (Slack, Teams, and the web inbox)',
    responses: { 200: json('The channels.', z.array(z.object({ platform: z.string(), id: z.string(), name: z.string(), kind: z.string() }).strict().openapi('Channel'))), ...errors(502) },
  });
  add({
    method: 'post',
    path: `${ADMIN}/numbers/check`,
    operationId: 'checkNumber',
    tags: ['numbers'],
    summary: 'Validate a number without storing it (can it carry SMS, and why not)',
    request: { body: jsonBody(numberCheckBody) },
    responses: {
      200: json('What the number would be.', z.object({ e164: z.string(), display: z.string(), type: z.string(), smsCapable: z.boolean(), reasons: z.array(z.string()) }).strict().openapi('NumberCheck')),
      ...errors(400, 422),
    },
  });
  add({
    method: 'get',
    path: `${ADMIN}/optouts`,
    operationId: 'listOptOuts',
    tags: ['numbers'],
    summary: 'Contacts who opted out, per number (shape to be taken from the adminapi branch)',
    request: { query: optoutsQuery },
    responses: { 200: json('The opt-outs.', z.array(z.object({ number: z.string(), contact: z.string() }).passthrough())), ...errors(400, 422) },
  });
  add({
    method: 'get',
    path: `${ADMIN}/queues`,
    operationId: 'listQueues',
    tags: ['jobs'],
    summary: 'Per queue: waiting, active, delayed, failed, oldest pending age in seconds',
    responses: {
      200: json(
        'The queues (shape to be taken from the adminapi branch).',
        z.array(z.object({ name: z.string(), waiting: z.number().int(), active: z.number().int(), delayed: z.number().int(), failed: z.number().int(), oldestPendingAgeSeconds: z.number().nullable() }).passthrough()),
      ),
    },
  });
}
