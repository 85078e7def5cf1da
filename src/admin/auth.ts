// Sign-in check for every admin route: the bearer token, or a console session cookie (see
// session.ts; cookie requests that change something must come from the console's origin).
// The bearer check runs in constant time over SHA-256
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
import type { ConsoleSessionRepo } from '../core/ports.js';
import type { Logger } from '../logger.js';
import { setAdminIdentity } from './identity.js';
import { crossOriginRefusal } from './sameOrigin.js';
import { readSessionCookie, SESSION_IDLE_MS, SESSION_TOUCH_AFTER_MS } from './sessionCookie.js';

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
  /** Console sessions: with them, a valid session cookie lets a request in too. */
  sessions?: Pick<ConsoleSessionRepo, 'use'>;
  /** PUBLIC_URL: the console's origin, for the same-origin check of cookie requests. */
  publicUrl?: string;
}

/** X-Admin-Name of a bearer request (who a script acts for), or "admin". */
function bearerName(header: string | undefined): string {
  const name = header?.trim() ?? '';
  return name.length > 0 && name.length <= 100 ? name : 'admin';
}

/**
 * Middleware for /admin/api routes (and any admin route an adapter adds): the bearer token, or
 * a console session cookie (then a request that changes something must come from the console's
 * origin). Records who is asking (setAdminIdentity).
 */
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
    const header = req.get('authorization');
    const cookie = opts.sessions ? readSessionCookie(req.get('cookie')) : null;
    if (header === undefined && cookie !== null && opts.sessions) {
      // A stale cookie (expired, signed out) is no guess at a secret: 401 without counting it.
      const session = await opts.sessions.use(cookie, { idleMs: SESSION_IDLE_MS, touchAfterMs: SESSION_TOUCH_AFTER_MS });
      if (!session) {
        closeAfterResponse(res);
        sendError(res, 401, 'unauthorized', 'Unauthorized.');
        return;
      }
      const refusal = crossOriginRefusal(req, opts.publicUrl ?? '');
      if (refusal) {
        log?.warn({ address, method: req.method, route, origin: req.get('origin') ?? null }, 'admin request refused: cross-origin request with the session cookie');
        closeAfterResponse(res);
        sendError(res, 403, 'forbidden', refusal);
        return;
      }
      setAdminIdentity(res, { name: session.name, sessionId: session.id });
      next();
      return;
    }
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
    const presented = match?.[1] ?? '';
    if (!checkToken(expected, presented)) {
      await refuseSignIn(failures, log, { address, method: req.method, route });
      res.set('WWW-Authenticate', 'Bearer');
      closeAfterResponse(res);
      sendError(res, 401, 'unauthorized', 'Unauthorized.');
      return;
    }
    setAdminIdentity(res, { name: bearerName(req.get('x-admin-name')), sessionId: null });
    next();
  };
}

/** True when `presented` is the configured token (never when none is configured or none given). */
export function checkToken(expected: string | null, presented: string): boolean {
  // Hash even when nothing is configured, so both paths take the same time.
  return tokenMatches(expected ?? '\u0000no-token', presented) && expected !== null && presented !== '';
}

/** Counts and logs a wrong token or sign-in code from `where.address`. */
export async function refuseSignIn(failures: FailureLimiter, log: Logger | undefined, where: { address: string; method: string; route: string }): Promise<void> {
  await failures.recordFailure(where.address);
  log?.warn(where, 'admin sign-in refused: missing or wrong token');
  const nowWaitMs = await failures.retryAfterMs(where.address);
  if (nowWaitMs > 0) {
    log?.warn({ address: where.address, retryAfterSeconds: Math.ceil(nowWaitMs / 1000) }, `admin sign-in: ${SIGN_IN_FAILURES_PER_MINUTE} failures within a minute, address refused until then`);
  }
}

// One failure count and one guard per bridge, so a failure counts once whichever admin route
// (API, jobs, dev provider, Teams channels, console sign-in) it was made on.
const limiters = new WeakMap<object, FailureLimiter>();
const guards = new WeakMap<object, RequestHandler>();

/** The failed sign-ins of this bridge (the guard's and POST /admin/session's). */
export function adminFailures(ctx: object): FailureLimiter {
  let failures = limiters.get(ctx);
  if (!failures) {
    failures = signInLimiter();
    limiters.set(ctx, failures);
  }
  return failures;
}

/** The admin guard of this bridge: ADMIN_TOKEN or a console session, one failure count. */
export function adminGuard(ctx: Pick<AppContext, 'config' | 'logger'> & { store?: Pick<AppContext['store'], 'consoleSessions'> }): RequestHandler {
  let guard = guards.get(ctx);
  if (!guard) {
    guard = requireAdmin(ctx.config.adminToken, {
      logger: ctx.logger,
      failures: adminFailures(ctx),
      sessions: ctx.store?.consoleSessions,
      publicUrl: ctx.config.publicUrl,
    });
    guards.set(ctx, guard);
  }
  return guard;
}
