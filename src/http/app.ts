// The express app: health, readiness and metrics, whatever the modules mount (webhooks, extra
// admin routes), the admin API and console, then JSON 404 and the JSON error handler.
// No global body parser: each route mounts its own (see ./body.ts), because webhook signatures
// are computed over the raw bytes.

import express from 'express';
import type { Express } from 'express';
import type { AppContext, Mount } from '../app.js';
import { adminConsoleRouter } from '../admin/console.js';
import { adminApiRouter } from '../admin/index.js';
import { sessionRouter } from '../admin/session.js';
import { errorHandler, notFound } from './errors.js';
import { healthRouter } from './health.js';

export function createHttpApp(ctx: AppContext, mounts: Mount[] = []): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // req.ip (admin sign-in throttling and its logs) from X-Forwarded-For only as TRUST_PROXY says.
  app.set('trust proxy', ctx.config.trustProxy);

  app.use(healthRouter(ctx));
  // Adapters' routes (webhooks, /slack/events, /api/messages, extra /admin/api routes guarded by
  // requireAdmin). Mounted before the admin API so they can extend it.
  for (const mount of mounts) mount(app);
  app.use(sessionRouter(ctx));
  app.use('/admin/api', adminApiRouter(ctx));
  app.use(adminConsoleRouter());

  app.use(notFound);
  app.use(errorHandler(ctx.logger));
  return app;
}
