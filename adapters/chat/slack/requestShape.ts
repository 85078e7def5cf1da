// The body of a POST /slack/events, read once and checked before the inbox and Bolt see it: when
// Slack's signature is valid, its shape must be one the bridge and Bolt can read (payloadShapes.ts);
// otherwise it is answered here (400 with the reason, or 200 and ignored) and nothing is stored or
// handled. An unsigned body is passed on untouched: Bolt refuses it (401), as before. The bytes
// are left in req.rawBody, where the inbox and Bolt read them.
import { isValidSlackRequest } from '@slack/bolt';
import type { Request, RequestHandler, Response } from 'express';
import getRawBody from 'raw-body';
import { closeAfterResponse } from '../../../src/http/body.js';
import type { ChatLogger } from '../../../src/delivery/logger.js';
import { checkSlackBody } from './payloadShapes.js';
import { SLACK_BODY_LIMIT } from './requestGuard.js';

/** Where the bytes of a body already read are kept (Bolt's ExpressReceiver looks there first). */
type WithRawBody = Request & { rawBody?: Buffer };

function signedBySlack(req: Request, body: string, signingSecret: string): boolean {
  return isValidSlackRequest({
    signingSecret,
    body,
    headers: {
      'x-slack-signature': String(req.headers['x-slack-signature'] ?? ''),
      'x-slack-request-timestamp': Number(req.headers['x-slack-request-timestamp']),
    },
  });
}

function refuseUnreadable(res: Response, err: unknown, logger: ChatLogger): void {
  // Over the limit or a broken upload: answered here, nothing stored or handled.
  const status = (err as { status?: number }).status ?? 400;
  logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'slack request body refused');
  closeAfterResponse(res); // the rest of an oversized upload is not read
  res.status(status === 413 ? 413 : 400).json({ error: { code: status === 413 ? 'payload_too_large' : 'bad_request', message: 'unreadable request body' } });
}

export function slackRequestShape(opts: { signingSecret: string; logger: ChatLogger }): RequestHandler {
  const { logger } = opts;
  const check = (req: WithRawBody, res: Response, raw: Buffer): boolean => {
    req.rawBody = raw;
    const body = raw.toString('utf8');
    if (!signedBySlack(req, body, opts.signingSecret)) return true;
    const verdict = checkSlackBody(req.headers['content-type'], body);
    if (verdict.action === 'pass') return true;
    if (verdict.action === 'ignore') {
      logger.warn({ reason: verdict.reason }, 'slack request acknowledged and ignored: the bridge cannot read it');
      res.status(200).end();
    } else {
      logger.warn({ reason: verdict.reason }, 'slack request refused: the bridge cannot read it');
      res.status(400).json({ error: { code: 'invalid_input', message: `Not a Slack request the bridge can read: ${verdict.reason}.` } });
    }
    return false;
  };
  return (req: WithRawBody, res, next) => {
    const read = req.rawBody ? Promise.resolve(req.rawBody) : getRawBody(req, { limit: SLACK_BODY_LIMIT });
    read
      .then(
        (raw) => {
          if (check(req, res, raw)) next();
        },
        (err: unknown) => refuseUnreadable(res, err, logger),
      )
      .catch(next); // a bug above, not the sender's fault: the error handler answers
  };
}
