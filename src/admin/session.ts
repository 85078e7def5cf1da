// Console sign-in: the admin token (or a one-time code the trial start-up printed) is exchanged
// for an HttpOnly, SameSite=Strict session cookie, so the console's script never holds a secret.
//   POST   /admin/session  {token, name} | {code, name} -> 200 {name, expiresAt} + Set-Cookie
//   GET    /admin/session  -> 200 {name, expiresAt} of the cookie's session, or 401
//   DELETE /admin/session  -> 204, session ended and cookie cleared
// A wrong token or code is counted by the same failure limiter as a wrong bearer token.

import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { jsonBody } from '../http/body.js';
import { sendError } from '../http/errors.js';
import { adminFailures, checkToken, refuseSignIn } from './auth.js';
import { crossOriginRefusal } from './sameOrigin.js';
import {
  readSessionCookie,
  SESSION_COOKIE,
  SESSION_IDLE_MS,
  SESSION_MAX_MS,
  SESSION_TOUCH_AFTER_MS,
  sessionCookieOptions,
} from './sessionCookie.js';
import { objectBody, parseWith } from './validate.js';

export const SESSION_PATH = '/admin/session';

const secret = z.string().min(1).max(1000);
/** The sign-in body (also the API description's, src/admin/openapi/session.ts). */
export const signInSchema = z
  .object({ token: secret.optional(), code: secret.optional(), name: z.string().trim().min(1, 'give your name').max(100) })
  .strict()
  .refine((b) => (b.token === undefined) !== (b.code === undefined), { message: 'give either token or code', path: ['token'] });

export function sessionRouter(ctx: AppContext): Router {
  const { store, config, logger } = ctx;
  const failures = adminFailures(ctx);
  const cookieOptions = sessionCookieOptions(config.publicUrl);
  const router = Router();
  const where = (req: Request) => ({ address: req.ip ?? 'unknown', method: req.method, route: SESSION_PATH });

  const unauthorized = (res: Response) => sendError(res, 401, 'unauthorized', 'Unauthorized.');

  router.post(
    SESSION_PATH,
    async (req, res, next) => {
      const waitMs = await failures.retryAfterMs(req.ip ?? 'unknown');
      if (waitMs > 0) {
        res.set('Retry-After', String(Math.ceil(waitMs / 1000)));
        sendError(res, 429, 'too_many_requests', 'Too many failed sign-ins from this address; try again later.');
        return;
      }
      // A page elsewhere must not sign a browser in (to a session of someone else's choosing).
      const refusal = req.get('origin') !== undefined ? crossOriginRefusal(req, config.publicUrl) : null;
      if (refusal) {
        sendError(res, 403, 'forbidden', refusal);
        return;
      }
      next();
    },
    ...jsonBody(),
    async (req, res) => {
      const input = parseWith(signInSchema, objectBody(req.body));
      const ok = input.token !== undefined ? checkToken(config.adminToken, input.token) : await store.consoleSessions.consumeCode(input.code ?? '');
      if (!ok) {
        await refuseSignIn(failures, logger, where(req));
        unauthorized(res);
        return;
      }
      // Signing in again replaces this browser's session rather than leaving the old one alive.
      const previous = readSessionCookie(req.get('cookie'));
      if (previous) await store.consoleSessions.end(previous);
      const value = randomBytes(32).toString('base64url');
      const session = await store.consoleSessions.create({ secret: value, name: input.name, idleMs: SESSION_IDLE_MS, maxMs: SESSION_MAX_MS });
      logger.info({ sessionId: session.id, name: session.name, with: input.token !== undefined ? 'token' : 'code' }, 'console sign-in');
      res.set('Cache-Control', 'no-store');
      res.cookie(SESSION_COOKIE, value, { ...cookieOptions, maxAge: SESSION_MAX_MS });
      res.status(200).json({ name: session.name, expiresAt: session.expiresAt });
    },
  );

  router.get(SESSION_PATH, async (req, res) => {
    const value = readSessionCookie(req.get('cookie'));
    const session = value ? await store.consoleSessions.use(value, { idleMs: SESSION_IDLE_MS, touchAfterMs: SESSION_TOUCH_AFTER_MS }) : null;
    res.set('Cache-Control', 'no-store');
    if (!session) return unauthorized(res);
    res.json({ name: session.name, expiresAt: session.expiresAt });
  });

  router.delete(SESSION_PATH, async (req, res) => {
    const value = readSessionCookie(req.get('cookie'));
    if (value) {
      // Signing out is a change: a page elsewhere must not sign a console out either.
      const refusal = crossOriginRefusal(req, config.publicUrl);
      if (refusal) return sendError(res, 403, 'forbidden', refusal);
      await store.consoleSessions.end(value);
    }
    res.clearCookie(SESSION_COOKIE, cookieOptions);
    res.status(204).end();
  });

  return router;
}
