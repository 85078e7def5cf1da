// Express plumbing shared by the provider webhooks: the raw body (signatures are computed over
// exact bytes/params, so no global parser may touch it), a 1 MB cap, and an error handler that
// answers bad input with 4xx and never lets it become a 5xx.
import express from 'express';
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { BridgeError } from '../../../src/core/errors.js';
import type { SmsMetrics } from './metrics.js';

export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

/** Buffers any content type into req.body (Buffer), up to `limit` bytes; over it -> 413. */
export function rawBody(limit: number = WEBHOOK_BODY_LIMIT): RequestHandler {
  return express.raw({ type: () => true, limit });
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
