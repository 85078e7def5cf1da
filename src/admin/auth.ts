// Bearer-token check for every admin route. The comparison runs in constant time over SHA-256
// digests (equal length whatever the input), and every failure is the same bare 401, so a caller
// learns nothing about the token. With no ADMIN_TOKEN configured, nobody gets in.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { closeAfterResponse } from '../http/body.js';
import { sendError } from '../http/errors.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** True when `presented` equals `expected`, in time independent of where they differ. */
export function tokenMatches(expected: string, presented: string): boolean {
  return timingSafeEqual(digest(expected), digest(presented));
}

/** Middleware for /admin/api routes (and any admin route an adapter adds). */
export function requireAdmin(token: string | null | undefined): RequestHandler {
  const expected = token ? token : null;
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    const presented = match?.[1] ?? '';
    // Hash even when nothing is configured, so both paths take the same time.
    const ok = tokenMatches(expected ?? '\u0000no-token', presented) && expected !== null && presented !== '';
    if (!ok) {
      res.set('WWW-Authenticate', 'Bearer');
      closeAfterResponse(res); // a body is never read from a refused caller
      sendError(res, 401, 'unauthorized', 'Unauthorized.');
      return;
    }
    next();
  };
}
