// The request schemas of the web inbox's routes (adapters/chat/web/routes.ts), here so the API
// description (src/admin/openapi) reads the very schemas the routes validate with without
// loading the chat adapter (chat adapters load lazily: test/architecture/lazyPlatforms.test.ts).

import { z } from 'zod';
import { nonEmpty } from './validate.js';

/** Longest composer text (a JSON field or a multipart field). */
export const MAX_TEXT_CHARS = 20_000;

const listQuery = z
  .object({
    number: z.string().trim().min(1, 'must not be empty').optional(),
    contact: z.string().trim().min(1, 'must not be empty').optional(),
    q: z.string().trim().max(200, 'at most 200 characters').optional(),
    order: z.enum(['created', 'activity'], { message: 'expected "created" (default) or "activity"' }).optional(),
    limit: z.unknown().optional(),
    cursor: z.string().trim().min(1, 'must not be empty').max(500, 'at most 500 characters').optional(),
  })
  .strict();

const textSchema = z.string().max(MAX_TEXT_CHARS, `at most ${MAX_TEXT_CHARS} characters`);
const sendSchema = z.object({ text: textSchema }).strict();
const startSchema = z.object({ number: nonEmpty(64), contact: nonEmpty(64), text: textSchema }).strict();

/** GET /conversations query, POST /conversations/{id}/messages body, POST /conversations body. */
export const inboxSchemas = { list: listQuery, send: sendSchema, start: startSchema };
