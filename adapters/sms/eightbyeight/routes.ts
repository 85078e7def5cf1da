// POST /webhooks/8x8: inbound messages and delivery receipts. Authorization must equal
// EIGHTX8_WEBHOOK_AUTH (401 before the body is read, nothing stored, otherwise); 8x8 retries any
// non-2xx at 1, 10, 30 and 90 s, so a stored message is acknowledged and a retry changes nothing.
import { Router } from 'express';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Ingest } from '../shared/ingest.js';
import type { SmsMetrics } from '../shared/metrics.js';
import { bodyText, rawBody, refuseBeforeBody, webhookErrorHandler } from '../shared/webhookHttp.js';
import { EIGHTX8_PROVIDER_ID, parseEightByEightEvent, parseEightByEightJson } from './parse.js';
import { verifyEightByEightAuth } from './verify.js';

export const EIGHTX8_WEBHOOK_PATH = '/webhooks/8x8';

/**
 * Largest body taken. 8x8's webhooks are small JSON: one message of at most 1,600 characters
 * (6 bytes each when escaped) and its media links, a few KB, 20 KB at the very most.
 */
export const EIGHTX8_BODY_LIMIT = 64 * 1024;

export interface EightByEightRoutesOptions {
  webhookAuth: string;
  ingest: Ingest;
  logger: Logger;
  metrics: SmsMetrics;
}

export function createEightByEightRouter(opts: EightByEightRoutesOptions): Router {
  const router = Router();
  const { logger: log, metrics } = opts;

  // The credential is a header: checked before a byte of the body is read.
  const authorized: RequestHandler = (req, res, next) => {
    if (verifyEightByEightAuth(opts.webhookAuth, req.get('authorization'))) return next();
    metrics.webhookRejected(EIGHTX8_PROVIDER_ID, 'rejected');
    log.warn('8x8 webhook with a wrong Authorization header refused');
    refuseBeforeBody(res, 401, { error: { code: 'unauthorized', message: 'Unauthorized.' } });
  };

  const body = rawBody(EIGHTX8_BODY_LIMIT, () => metrics.webhookRejected(EIGHTX8_PROVIDER_ID, 'invalid'));

  router.post(EIGHTX8_WEBHOOK_PATH, authorized, ...body, async (req, res) => {
    const event = parseEightByEightEvent(parseEightByEightJson(bodyText(req)));
    if (event.kind === 'inbound') await opts.ingest.inbound(event.sms);
    else if (event.kind === 'status') await opts.ingest.status(event.update);
    else log.info({ reason: event.reason }, '8x8 webhook ignored');
    res.status(200).json({ ok: true });
  });

  router.use(EIGHTX8_WEBHOOK_PATH, webhookErrorHandler(EIGHTX8_PROVIDER_ID, log, metrics));
  return router;
}
