// Per-user (profile) policy: may this chat user send SMS, are they a bridge admin (rule 7).
// GET lists the people with a stored policy (others have the defaults: may send, not admin),
// ordered by platform and user id, `?limit=` (default 100) at a time with a Link rel="next".

import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { NotFoundError } from '../core/errors.js';
import { jsonBody } from '../http/body.js';
import { recordAudit } from './audit.js';
import { platformSchema } from './mappings.js';
import { cursorParam, decodeKey, encodeKey, linkNext } from './paging.js';
import { limitParam, objectBody, parseWith } from './validate.js';

export const usersQuery = z.object({ limit: z.string().optional(), cursor: cursorParam.optional() }).strict();

export const userParams = z.object({
  platform: platformSchema,
  userId: z.string().trim().min(1, 'must not be empty').max(256, 'at most 256 characters'),
});

export const userPatchSchema = z
  .object({
    smsEnabled: z.boolean({ message: 'expected true or false' }),
    admin: z.boolean({ message: 'expected true or false' }),
  })
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, { message: 'nothing to change: give smsEnabled and/or admin' });

export function usersRouter(ctx: AppContext): Router {
  const { store } = ctx;
  const router = Router();

  router.get('/', async (req, res) => {
    const q = parseWith(usersQuery, req.query);
    const limit = limitParam(q.limit);
    const after = q.cursor ? decodeKey(q.cursor, 2) : null;
    // One more than asked tells whether there is a next page.
    const rows = await store.users.page({ limit: limit + 1, after: after ? { platform: after[0]!, userId: after[1]! } : undefined });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    if (rows.length > limit && last) linkNext(req, res, { limit: String(limit) }, encodeKey([last.platform, last.userId]));
    res.json(page);
  });

  router.get('/:platform/:userId', async (req, res) => {
    const p = parseWith(userParams, req.params);
    const user = await store.users.get(p.platform, p.userId);
    if (!user) throw new NotFoundError(`No policy stored for ${p.platform} user ${p.userId} (defaults apply).`);
    res.json(user);
  });

  router.put('/:platform/:userId', ...jsonBody(), async (req, res) => {
    const p = parseWith(userParams, req.params);
    const patch = parseWith(userPatchSchema, objectBody(req.body));
    const after = await store.transaction(async () => {
      const before = await store.users.get(p.platform, p.userId);
      const updated = await store.users.upsert(p.platform, p.userId, patch);
      await recordAudit(ctx, res, 'user.update', `${p.platform}:${p.userId}`, before, updated);
      return updated;
    });
    res.json(after);
  });

  return router;
}
