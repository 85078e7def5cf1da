// Twilio webhooks: POST /webhooks/twilio/sms (inbound) and /webhooks/twilio/status.
// Order matters: a signature header at all (403 before the body is read) -> raw body (64 KB) ->
// signature (403, nothing stored) -> parse (400) -> store -> acknowledge. Twilio retries on
// non-2xx, and the store makes a retry a no-op.
import { Router } from 'express';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { Ingest } from '../shared/ingest.js';
import type { SmsMetrics } from '../shared/metrics.js';
import { bodyText, rawBody, refuseBeforeBody, webhookErrorHandler } from '../shared/webhookHttp.js';
import { formParams, parseTwilioInbound, parseTwilioStatus, TWILIO_PROVIDER_ID } from './parse.js';
import { publicRequestUrl, verifyTwilioSignature } from './verify.js';

export interface TwilioRoutesOptions {
  authToken: string;
  /** PUBLIC_URL: Twilio signs the URL it called, which is ours as the outside world sees it. */
  publicUrl: string;
  ingest: Ingest;
  logger: Logger;
  metrics: SmsMetrics;
}

export const TWILIO_SMS_PATH = '/webhooks/twilio/sms';
export const TWILIO_STATUS_PATH = '/webhooks/twilio/status';

/**
 * Largest body taken. Twilio's form posts are a few KB: an inbound SMS of 1,600 characters,
 * percent-encoded, is at most about 20 KB with its ten media URLs and every other parameter.
 */
export const TWILIO_BODY_LIMIT = 64 * 1024;

/** What X-Twilio-Signature always looks like: a base64 HMAC-SHA1 (20 bytes). */
const SIGNATURE_SHAPE = /^[A-Za-z0-9+/]{27}=$/;

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';
// The answer never changes, so its headers are built once: express's res.type().send() would look
// up the MIME type and hash an ETag for it on every webhook (~20 us of the ack's CPU).
const EMPTY_TWIML_HEADERS = {
  'Content-Type': 'text/xml; charset=utf-8',
  'Content-Length': String(Buffer.byteLength(EMPTY_TWIML)),
};

export function createTwilioRouter(opts: TwilioRoutesOptions): Router {
  const router = Router();
  const { logger: log, metrics } = opts;

  // Without a signature no body can pass: refused on the headers, before the upload is read.
  const signaturePresent: RequestHandler = (req, res, next) => {
    if (SIGNATURE_SHAPE.test(req.get('x-twilio-signature') ?? '')) return next();
    metrics.webhookRejected(TWILIO_PROVIDER_ID, 'rejected');
    log.warn({ path: req.path }, 'twilio webhook without a signature refused');
    refuseBeforeBody(res, 403, 'invalid signature');
  };

  const verified = (req: Request, res: Response) => {
    const params = formParams(bodyText(req));
    const url = publicRequestUrl(opts.publicUrl, req.originalUrl);
    if (!verifyTwilioSignature(opts.authToken, url, params, req.get('x-twilio-signature'))) {
      metrics.webhookRejected(TWILIO_PROVIDER_ID, 'rejected');
      log.warn({ path: req.path }, 'twilio webhook with a bad signature refused');
      res.status(403).type('text/plain').send('invalid signature');
      return null;
    }
    return params;
  };

  const body = rawBody(TWILIO_BODY_LIMIT, () => metrics.webhookRejected(TWILIO_PROVIDER_ID, 'invalid'));

  router.post(TWILIO_SMS_PATH, signaturePresent, ...body, async (req, res) => {
    const params = verified(req, res);
    if (!params) return;
    const sms = parseTwilioInbound(params);
    // Media are downloaded later by the delivery job (MediaFetcher), not on the webhook's clock.
    await opts.ingest.inbound(sms);
    res.writeHead(200, EMPTY_TWIML_HEADERS).end(EMPTY_TWIML);
  });

  router.post(TWILIO_STATUS_PATH, signaturePresent, ...body, async (req, res) => {
    const params = verified(req, res);
    if (!params) return;
    const update = parseTwilioStatus(params, typeof req.query.send === 'string' ? req.query.send : null);
    if (update) await opts.ingest.status(update, { optedOut: update.errorCode === '21610' });
    res.status(204).end();
  });

  // Scoped to our paths so errors of routers mounted before us are not reported as ours.
  router.use([TWILIO_SMS_PATH, TWILIO_STATUS_PATH], webhookErrorHandler(TWILIO_PROVIDER_ID, log, metrics));
  return router;
}
