// The admin API under /admin/api: every route behind the bearer token, JSON in and out.
// Other parts add admin routes through a Mount guarded by `adminGuard(ctx)` (re-exported here),
// the same guard, so failed sign-ins are counted once per address across every admin route.

import { Router } from 'express';
import type { AppContext } from '../app.js';
import { auditRouter } from './audit.js';
import { adminGuard } from './auth.js';
import { channelsRouter } from './channels.js';
import { historyRouter } from './history.js';
import { mappingsRouter } from './mappings.js';
import { numberCheckRouter } from './numberCheck.js';
import { numbersRouter } from './numbers.js';
import { adminOpenApiDocument } from './openapi/document.js';
import { optOutsRouter } from './optOuts.js';
import { policyRouter } from './policy.js';
import { usersRouter } from './users.js';
import { sendError } from '../http/errors.js';

export { adminGuard, requireAdmin } from './auth.js';

export function adminApiRouter(ctx: AppContext): Router {
  const router = Router();
  router.use(adminGuard(ctx));
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  router.use('/numbers/check', numberCheckRouter(ctx));
  router.use('/numbers', numbersRouter(ctx));
  router.use('/mappings', mappingsRouter(ctx));
  router.use('/policy', policyRouter(ctx));
  router.use('/users', usersRouter(ctx));
  router.use('/channels', channelsRouter(ctx));
  router.use('/optouts', optOutsRouter(ctx));
  // History search and export (rule 10). GET /conversations, /conversations/{id},
  // /conversations/{id}/messages and /unrouted are the web inbox's (adapters/chat/web/routes.ts,
  // mounted before this router).
  router.use(historyRouter(ctx));
  router.use('/audit', auditRouter(ctx));
  // This API described (OpenAPI 3.1), behind the guard like the rest: the admin API stays closed
  // without a token, and the document names this bridge's version of every route.
  router.get('/openapi.json', (_req, res) => {
    res.json(adminOpenApiDocument());
  });
  // Keep last: an admin path no route above (nor an adapter's, mounted before this router)
  // answers. Its message tells it apart from a resource's 404 ("No mapping x.").
  router.use((_req, res) => {
    sendError(res, 404, 'not_found', 'no such admin route');
  });
  return router;
}
