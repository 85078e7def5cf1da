// What every admin operation shares: the error body, the guard's 401/429, paging and the
// `registerAdmin` helper that adds them, so each area file only says what is its own.

import type { OpenAPIRegistry, ResponseConfig, RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { ZodTypeAny } from 'zod';
import { z } from './zod.js';

export const ADMIN = '/admin/api';

/** `{error: {code, message, field?, details?, reasons?}}`: src/http/errors.ts and src/admin/jobs.ts. */
export const errorBody = z
  .object({
    error: z
      .object({
        code: z.string().openapi({ description: 'Stable code for programs: invalid_input, not_found, conflict, refused, ...', example: 'invalid_input' }),
        message: z.string().openapi({ description: 'What went wrong, for a person.' }),
        field: z.string().optional().openapi({ description: 'The request field that is wrong (dotted path), when one is.', example: 'number' }),
        details: z.unknown().optional().openapi({ description: 'Structured detail of a refusal.' }),
        reasons: z
          .array(z.object({ code: z.string(), message: z.string() }).strict())
          .optional()
          .openapi({ description: 'One entry per refusal (a message the rules stop).' }),
        reason: z.string().optional().openapi({ description: 'Jobs routes: why a resend or retry was refused (not_outbound, not_failed, outcome_unknown, job_pending).' }),
      })
      .strict(),
  })
  .strict()
  .openapi('Error');

const ERROR_TEXT: Record<number, string> = {
  400: 'The request could not be read: a body that is not JSON, or a phone number that does not parse.',
  401: 'No token or session, or a wrong one (always this bare answer).',
  403: "A console-session request that changes something came from another origin (its Origin, or Referer, is not the console's); nothing was changed.",
  404: 'No such resource (a route that does not exist answers the same code with the message "no such admin route").',
  409: 'Conflicts with the current state.',
  412: 'If-Match named a version that is no longer current; nothing was changed.',
  413: 'The body is larger than the route accepts.',
  422: 'A field is invalid; `field` names it and `message` says why. Nothing was changed.',
  429: 'Too many failed sign-ins from this address; Retry-After says when to try again.',
  502: 'The chat platform or SMS provider answered with an error.',
  503: 'A dependency is not reachable right now; Retry-After says when to try again.',
};

const ERROR_HEADERS: Record<number, ResponseConfig['headers']> = {
  401: z.object({ 'WWW-Authenticate': z.string().openapi({ example: 'Bearer' }) }),
  429: z.object({ 'Retry-After': z.string().openapi({ description: 'Seconds to wait.', example: '42' }) }),
};

export function errors(...statuses: number[]): Record<number, ResponseConfig> {
  const out: Record<number, ResponseConfig> = {};
  for (const s of statuses) {
    out[s] = { description: ERROR_TEXT[s] ?? 'Error.', ...(ERROR_HEADERS[s] ? { headers: ERROR_HEADERS[s] } : {}), content: { 'application/json': { schema: errorBody } } };
  }
  return out;
}

export function json(description: string, schema: ZodTypeAny, headers?: ResponseConfig['headers']): ResponseConfig {
  return { description, ...(headers ? { headers } : {}), content: { 'application/json': { schema } } };
}

export function jsonBody(schema: ZodTypeAny, description?: string): NonNullable<RouteConfig['request']>['body'] {
  return { required: true, ...(description ? { description } : {}), content: { 'application/json': { schema } } };
}

export const noContent: ResponseConfig = { description: 'Done; no body.' };

/** `Link: <...?cursor=...>; rel="next"` when another page exists (the body stays a bare array). */
export const linkHeader = z.object({
  Link: z
    .string()
    .optional()
    .openapi({ description: 'Present when more exist: `<URL of the next page>; rel="next"` (follow it as is).', example: '</admin/api/conversations?cursor=abc&limit=200>; rel="next"' }),
});

/**
 * `?limit=` as src/admin/validate.ts limitParam reads it (the routes check it there, not in their
 * zod schema): an integer 1..max; anything else is a 422 naming `limit`.
 */
export function limitQuery(fallback: number, max = 1000) {
  return z.number().int().min(1).max(max).optional().openapi({ description: `How many at most (default ${fallback}).`, example: fallback });
}

/** The guard answers these on every admin route... */
const GUARD = [401, 429];
/** ...and this one too on those that change something (a cookie request from another origin). */
const GUARD_CHANGES = [403];

/** registerPath with the answers of the guard in front of every admin route added. */
export function registerAdmin(r: OpenAPIRegistry, route: RouteConfig): void {
  const guard = route.method === 'get' || route.method === 'head' ? GUARD : [...GUARD, ...GUARD_CHANGES];
  r.registerPath({ ...route, responses: { ...route.responses, ...errors(...guard) } });
}
