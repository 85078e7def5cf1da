// The OpenAPI 3.1 document of the admin API (and the console sign-in at /admin/session), generated from the zod schemas the routes validate
// requests with (imported from the route files) and the response schemas of this folder, which
// test/admin/openapi.test.ts checks against real answers. Served at GET /admin/api/openapi.json,
// behind the admin guard like the rest of the admin API.

import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { ADMIN, json, registerAdmin } from './common.js';
import { registerAudit, registerUnrouted } from './audit.js';
import { registerChannels } from './channels.js';
import { registerConversations } from './conversations.js';
import { registerDevPhone } from './devPhone.js';
import { registerJobs } from './jobs.js';
import { registerMappings } from './mappings.js';
import { registerNumbers } from './numbers.js';
import { registerPolicy } from './policy.js';
import { registerSession } from './session.js';
import { registerTeams } from './teams.js';
import { registerUsers } from './users.js';
import { z } from './zod.js';

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

/** The document's own shape, as far as a reader relies on it. */
export const openApiDocumentShape = z
  .object({ openapi: z.string().regex(/^3\.1\.\d+$/), info: z.object({ title: z.string(), version: z.string() }).passthrough(), paths: z.record(z.unknown()) })
  .passthrough()
  .openapi('OpenApiDocument');

/** Every operation, with its zod schemas (tests read them from here). */
export function adminApiRegistry(): OpenAPIRegistry {
  const r = new OpenAPIRegistry();
  r.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'ADMIN_TOKEN. Wrong tokens are counted per address; too many in a minute answer 429.',
  });
  r.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'cookie',
    name: 'smsb_session',
    description: 'Console session from POST /admin/session. Requests that change state must come from the console origin (Origin or Referer), else 403.',
  });
  registerSession(r);
  registerNumbers(r);
  registerMappings(r);
  registerChannels(r);
  registerPolicy(r);
  registerUsers(r);
  registerConversations(r);
  registerAudit(r);
  registerUnrouted(r);
  registerJobs(r);
  registerDevPhone(r);
  registerTeams(r);
  registerAdmin(r, {
    method: 'get',
    path: `${ADMIN}/openapi.json`,
    operationId: 'openApiDocument',
    tags: ['meta'],
    summary: 'This document',
    responses: { 200: json('OpenAPI 3.1.', openApiDocumentShape) },
  });
  return r;
}

export function generateAdminOpenApi(r: OpenAPIRegistry = adminApiRegistry()): OpenApiDocument {
  return new OpenApiGeneratorV31(r.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'sms-bridge admin API',
      version: '1',
      description:
        'Manage numbers, mappings, policy and people, read conversations and history, and retry failed work. ' +
        'JSON in and out; phone numbers accepted in any common format and returned in E.164. ' +
        'Errors are `{error: {code, message, field?, details?, reasons?}}`. Lists that page answer a bare array and a `Link: <...>; rel="next"` header.',
    },
    security: [{ bearer: [] }, { session: [] }],
  });
}

let cached: OpenApiDocument | null = null;

/** Built once: the document depends on the code only, never on configuration or data. */
export function adminOpenApiDocument(): OpenApiDocument {
  cached ??= generateAdminOpenApi();
  return cached;
}
