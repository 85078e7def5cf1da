// What POST /slack/events checks before reading a body: Slack signs every request, so one
// without signature headers (or declaring a body larger than Slack sends) is refused on its
// headers, and the connection is closed instead of reading the upload. The signature itself
// needs the body; the inbox middleware and Bolt check it after reading at most SLACK_BODY_LIMIT.
import type { RequestHandler } from 'express';
import { closeAfterResponse, declaredLengthWithin } from '../../../src/http/body.js';
import { sendError } from '../../../src/http/errors.js';
import type { ChatLogger } from '../../../src/delivery/logger.js';

/**
 * Largest body taken. Event envelopes are a few KB; a message with blocks (Slack caps text at
 * 40,000 characters and a message at 50 blocks) fits in 256 KB, as do slash commands and
 * interactivity payloads.
 */
export const SLACK_BODY_LIMIT = 256 * 1024;

/** `v0=` and a hex HMAC-SHA256: the only signature version Slack uses and Bolt accepts. */
const SIGNATURE_SHAPE = /^v0=[0-9a-f]{64}$/;
const TIMESTAMP_SHAPE = /^\d{1,12}$/;

/** Signature headers present and well-formed (401 otherwise), declared length within the cap (413). */
export function slackRequestGuard(logger: ChatLogger): RequestHandler[] {
  const signed: RequestHandler = (req, res, next) => {
    if (SIGNATURE_SHAPE.test(req.get('x-slack-signature') ?? '') && TIMESTAMP_SHAPE.test(req.get('x-slack-request-timestamp') ?? '')) return next();
    logger.warn({ path: req.path }, 'slack request without signature headers refused');
    closeAfterResponse(res);
    sendError(res, 401, 'unauthorized', 'Slack signature required.');
  };
  return [signed, declaredLengthWithin(SLACK_BODY_LIMIT)];
}
