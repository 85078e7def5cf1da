// Body parsers are mounted per route, never globally: webhook routes need the raw bytes to check
// signatures, so each route picks its own parser. Every parser caps bodies at 1 MB (413 above).

import express from 'express';
import type { RequestHandler } from 'express';
import { InvalidInputError } from '../core/errors.js';

export const BODY_LIMIT = '1mb';

/** JSON body (application/json or +json); 400 when it does not parse, 413 over 1 MB. */
export function jsonBody(): RequestHandler[] {
  return [
    express.json({ limit: BODY_LIMIT, type: ['application/json', 'application/*+json'] }),
    (req, _res, next) => {
      // express.json leaves req.body undefined when the content type is not JSON.
      if (req.body === undefined) {
        return next(new InvalidInputError('Expected a JSON body (Content-Type: application/json).'));
      }
      next();
    },
  ];
}

/** application/x-www-form-urlencoded body (Twilio webhooks), 1 MB cap. */
export function formBody(): RequestHandler {
  return express.urlencoded({ extended: false, limit: BODY_LIMIT, parameterLimit: 1000 });
}

/** The raw bytes as a Buffer in req.body, for signature checks over the exact payload. */
export function rawBody(type: string | string[] = '*/*'): RequestHandler {
  return express.raw({ type, limit: BODY_LIMIT });
}
