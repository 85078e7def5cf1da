// Slack signs every request together with its X-Slack-Request-Timestamp and asks receivers to
// refuse a request more than five minutes from their clock, so a captured request cannot be
// replayed later. Bolt refuses only old ones: a request stamped an hour ahead (signed by someone
// who once held the secret, or captured from a sender with a broken clock) would stay replayable
// for that hour. This check sits in front of the inbox and Bolt and refuses those too.
import type { RequestHandler } from 'express';

/** How far a request's timestamp may be from our clock, either way (Slack's own rule). */
export const MAX_REQUEST_SKEW_SEC = 5 * 60;

/** True when the timestamp header is a number more than MAX_REQUEST_SKEW_SEC ahead of `nowMs`. */
export function stampedInTheFuture(header: string | string[] | undefined, nowMs: number): boolean {
  const ts = Number(Array.isArray(header) ? header[0] : header);
  // Missing or malformed: Bolt's own check answers those (401) with the signature.
  return Number.isFinite(ts) && ts > Math.floor(nowMs / 1000) + MAX_REQUEST_SKEW_SEC;
}

export function refuseFutureSlackRequests(now: () => number = Date.now): RequestHandler {
  return (req, res, next) => {
    if (!stampedInTheFuture(req.headers['x-slack-request-timestamp'], now())) return next();
    res.status(401).json({ error: { code: 'unauthorized', message: 'request timestamp is more than 5 minutes in the future' } });
  };
}
