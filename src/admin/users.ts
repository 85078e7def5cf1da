// Per-user (profile) policy: may this chat user send SMS, are they a bridge admin (rule 7).

import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { NotFoundError } from '../core/errors.js';
import { jsonBody } from '../http/body.js';
import { recordAudit } from './audit.js';
import { platformSchema } from './mappings.js';
import { objectBody, parseWith } from './validate.js';

export const params = z.object({
  platform: platformSchema,
  userId: z.string().trim().min(1, 'must not be empty').max(256, 'at most 256 characters'),
});

export const patchSchema = z
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

  router.get('/', async (_req, res) => {
    res.json(await store.users.list());
  });

  router.get('/:platform/:userId', async (req, res) => {
    const p = parseWith(params, req.params);
    const user = await store.users.get(p.platform, p.userId);
    if (!user) throw new NotFoundError(`No policy stored for ${p.platform} user ${p.userId} (defaults apply).`);
    res.json(user);
  });

  router.put('/:platform/:userId', ...jsonBody(), async (req, res) => {
    const p = parseWith(params, req.params);
    const patch = parseWith(patchSchema, objectBody(req.body));
    const after = await store.transaction(async () => {
      const before = await store.users.get(p.platform, p.userId);
      const updated = await store.users.upsert(p.platform, p.userId, patch);
      await recordAudit(ctx, 'user.update', `${p.platform}:${p.userId}`, before, updated);
      return updated;
    });
    res.json(after);
  });

  return router;
}
