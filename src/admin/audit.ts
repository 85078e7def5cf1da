// The audit log: every change through the admin API is recorded with what it was before and
// after. Read back with GET /admin/api/audit.

import { Router } from 'express';
import type { AppContext } from '../app.js';
import { limitParam } from './validate.js';

export const ADMIN_ACTOR = 'admin-api';

export async function recordAudit(ctx: Pick<AppContext, 'store'>, action: string, target: string, before: unknown, after: unknown): Promise<void> {
  await ctx.store.audit.record({ actor: ADMIN_ACTOR, action, target, before, after });
}

export function auditRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    res.json(await ctx.store.audit.list({ limit: limitParam(req.query.limit) }));
  });
  return router;
}
