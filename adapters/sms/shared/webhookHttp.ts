// Express plumbing shared by the provider webhooks: the raw body (signatures are computed over
// exact bytes/params, so no global parser may touch it) under each provider's own cap, the
// refusal of a request before its body is read, and an error handler that answers bad input
// with 4xx and never lets it become a 5xx.
import type { ErrorRequestHandler, Request, Response } from 'express';
import type { Logger } from 'pino';
import { BridgeError } from '../../../src/core/errors.js';
import { closeAfterResponse } from '../../../src/http/body.js';
import type { SmsMetrics } from './metrics.js';

export { rawBody } from '../../../src/http/body.js';

/**
 * Answers a request refused on its headers alone (no or wrong credentials), without reading its
 * body, and closes the connection so an unauthenticated upload is never read on.
 */
export function refuseBeforeBody(res: Response, status: 401 | 403, body: string | { error: { code: string; message: string } }): void {
  closeAfterResponse(res);
  if (typeof body === 'string') res.status(status).type('text/plain').send(body);
  else res.status(status).json(body);
}

/** The body as text; '' when absent. */
export function bodyText(req: Request): string {
  const b: unknown = req.body;
  if (Buffer.isBuffer(b)) return b.toString('utf8');
  if (typeof b === 'string') return b;
  return '';
}

interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
}

export function webhookErrorHandler(provider: string, log: Logger, metrics: SmsMetrics): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    if (res.headersSent) return;
    if (err instanceof BridgeError) {
      if (err.code === 'invalid_input') {
        metrics.webhookRejected(provider, 'invalid');
        res.status(400).json({ error: { code: err.code, message: err.message, ...err.details } });
        return;
      }
      if (err.code === 'unavailable') {
        res.status(503).set('Retry-After', '5').json({ error: { code: err.code, message: err.message } });
        return;
      }
    }
    // body-parser errors: 413 too large, 400 aborted/bad encoding, 415 charset...
    const h = (err ?? {}) as HttpishError;
    const status = h.status ?? h.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      metrics.webhookRejected(provider, 'invalid');
      res.status(status).json({ error: { code: status === 413 ? 'payload_too_large' : 'invalid_input', message: h.type ?? 'bad request' } });
      return;
    }
    metrics.webhookRejected(provider, 'error');
    log.error({ err, provider }, 'webhook failed');
    res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
  };
}
