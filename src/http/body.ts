// Body parsers are mounted per route, never globally: webhook routes need the raw bytes to check
// signatures, so each route picks its own parser and its own cap, sized to what its sender really
// sends (see the README's HTTP routes). A declared Content-Length over the cap is refused before
// a byte of the body is read; a route that refuses a request before reading its body closes the
// connection, so the rest of the upload is neither read nor kept.

import express from 'express';
import type { RequestHandler, Response } from 'express';
import { InvalidInputError } from '../core/errors.js';
import { formatBytes, sendError } from './errors.js';

/** The admin API and any route that does not name its own cap: its JSON bodies are a few KB. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

/**
 * Makes the answer the last one on this connection, for a request whose body was not (or not
 * wholly) read: Node would otherwise read and discard the rest of the upload, to keep the
 * connection alive or until its close is flushed. The socket is dropped as soon as the answer is
 * handed to it, so a refused upload costs no more than the one read that brought its headers.
 */
export function closeAfterResponse(res: Response): void {
  res.set('Connection', 'close');
  res.once('finish', () => res.req.socket.destroy());
}

/**
 * 413 before reading, when the declared Content-Length is over `limit` (answered here, so it
 * never waits on an error handler that would read the body first). A body sent without a length
 * is counted by the parser instead. `onRefused` counts the refusal (webhook metrics).
 */
export function declaredLengthWithin(limit: number, onRefused?: () => void): RequestHandler {
  return (req, res, next) => {
    const declared = Number(req.get('content-length'));
    if (Number.isFinite(declared) && declared > limit) {
      onRefused?.();
      closeAfterResponse(res);
      sendError(res, 413, 'payload_too_large', `The request body is larger than ${formatBytes(limit)}.`);
      return;
    }
    next();
  };
}

/** JSON body (application/json or +json); 400 when it does not parse, 413 over `limit`. */
export function jsonBody(limit: number = DEFAULT_BODY_LIMIT): RequestHandler[] {
  return [
    declaredLengthWithin(limit),
    express.json({ limit, type: ['application/json', 'application/*+json'] }),
    (req, _res, next) => {
      // express.json leaves req.body undefined when the content type is not JSON.
      if (req.body === undefined) {
        return next(new InvalidInputError('Expected a JSON body (Content-Type: application/json).'));
      }
      next();
    },
  ];
}

/** The raw bytes of any content type as a Buffer in req.body (signature checks), 413 over `limit`. */
export function rawBody(limit: number = DEFAULT_BODY_LIMIT, onRefused?: () => void): RequestHandler[] {
  return [declaredLengthWithin(limit, onRefused), express.raw({ type: () => true, limit })];
}
