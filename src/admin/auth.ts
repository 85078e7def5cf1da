// Bearer-token check for every admin route. The comparison runs in constant time over SHA-256
// digests (equal length whatever the input), and every failure is the same bare 401, so a caller
// learns nothing about the token. With no ADMIN_TOKEN configured, nobody gets in.
// Failed sign-ins are logged (address and route, never the token) and counted per client
// address: after SIGN_IN_FAILURES_PER_MINUTE an address is answered 429 with Retry-After, before
// its token is even looked at, while the right token from any other address still gets in.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { AppContext } from '../app.js';
import { closeAfterResponse } from '../http/body.js';
import { sendError } from '../http/errors.js';
import { memoryFailureLimiter, type FailureLimiter } from '../http/failureLimiter.js';
import type { Logger } from '../logger.js';

/** Wrong tokens one address may present per minute before it must wait. */
export const SIGN_IN_FAILURES_PER_MINUTE = 20;

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** True when `presented` equals `expected`, in time independent of where they differ. */
export function tokenMatches(expected: string, presented: string): boolean {
  return timingSafeEqual(digest(expected), digest(presented));
}

/** Failed sign-ins per address in one process (a shared store comes with several instances). */
export function signInLimiter(): FailureLimiter {
  return memoryFailureLimiter({ limit: SIGN_IN_FAILURES_PER_MINUTE, windowMs: 60_000 });
}

export interface RequireAdminOptions {
  /** Where refusals are logged (warn). */
  logger?: Logger;
  /** Failed sign-ins per address; share one across every admin route of a bridge. */
  failures?: FailureLimiter;
}

/** Middleware for /admin/api routes (and any admin route an adapter adds). */
export function requireAdmin(token: string | null | undefined, opts: RequireAdminOptions = {}): RequestHandler {
  const expected = token ? token : null;
  const failures = opts.failures ?? signInLimiter();
  const log = opts.logger;
  return async (req, res, next) => {
    // req.ip: the socket's address, or the client's as TRUST_PROXY allows X-Forwarded-For to say.
    const address = req.ip ?? 'unknown';
    const route = req.baseUrl + req.path; // no query string: it is the caller's, not ours to log
    const waitMs = await failures.retryAfterMs(address);
    if (waitMs > 0) {
      // Not a guess (the token was not looked at): debug only, so a flood cannot flood the log.
      log?.debug({ address, method: req.method, route }, 'admin sign-in refused: too many failures from this address');
      res.set('Retry-After', String(Math.ceil(waitMs / 1000)));
      closeAfterResponse(res); // a body is never read from a refused caller
      sendError(res, 429, 'too_many_requests', 'Too many failed sign-ins from this address; try again later.');
      return;
    }
    const header = req.get('authorization') ?? '';
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    const presented = match?.[1] ?? '';
    // Hash even when nothing is configured, so both paths take the same time.
    const ok = tokenMatches(expected ?? '\u0000no-token', presented) && expected !== null && presented !== '';
    if (!ok) {
      await failures.recordFailure(address);
      log?.warn({ address, method: req.method, route }, 'admin sign-in refused: missing or wrong token');
      const nowWaitMs = await failures.retryAfterMs(address);
      if (nowWaitMs > 0) {
        log?.warn({ address, retryAfterSeconds: Math.ceil(nowWaitMs / 1000) }, `admin sign-in: ${SIGN_IN_FAILURES_PER_MINUTE} failures within a minute, address refused until then`);
      }
      res.set('WWW-Authenticate', 'Bearer');
      closeAfterResponse(res);
      sendError(res, 401, 'unauthorized', 'Unauthorized.');
      return;
    }
    next();
  };
}

// One guard per bridge, so a failure counts once whichever admin route (API, jobs, dev provider,
// Teams channels) it was made on.
const guards = new WeakMap<object, RequestHandler>();

/** The admin guard of this bridge: ADMIN_TOKEN, logging to its logger, one failure count. */
export function adminGuard(ctx: Pick<AppContext, 'config' | 'logger'>): RequestHandler {
  let guard = guards.get(ctx);
  if (!guard) {
    guard = requireAdmin(ctx.config.adminToken, { logger: ctx.logger });
    guards.set(ctx, guard);
  }
  return guard;
}
