// One JSON error shape for every route: `{error: {code, message, field?}}`. BridgeError codes map
// to HTTP statuses here, body-parser failures (malformed JSON, too large) are recognised, and
// anything unexpected becomes a bare 500 with no stack trace or internal message.

import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { BridgeError, InvalidInputError } from '../core/errors.js';
import type { ErrorCode } from '../core/errors.js';
import type { Logger } from '../logger.js';

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  invalid_input: 400,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  unauthorized: 401,
  forbidden: 403,
  payload_too_large: 413,
  refused: 422,
  provider_error: 502,
  platform_error: 502,
  unavailable: 503,
  config_invalid: 500,
};

export interface ErrorBody {
  error: { code: string; message: string; field?: string; details?: unknown };
}

/** "64 KB", "1 MB": how a body cap is named in an error message. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KB`;
  return `${bytes} bytes`;
}

export function sendError(res: Response, status: number, code: string, message: string, extra: { field?: string; details?: unknown } = {}): void {
  const body: ErrorBody = { error: { code, message } };
  if (extra.field !== undefined) body.error.field = extra.field;
  if (extra.details !== undefined) body.error.details = extra.details;
  res.status(status).json(body);
}

/**
 * Validation failure of a well-formed request: 422 with the field that is wrong. (A body that is
 * not JSON at all, or a number that does not parse, is a plain 400.)
 */
export class UnprocessableError extends InvalidInputError {
  readonly status = 422;
}

/** Shape of the errors body-parser raises (http-errors with a `type`). */
interface ParserError {
  type?: string;
  status?: number;
  statusCode?: number;
  /** The cap, on 'entity.too.large'. */
  limit?: number;
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    if (err instanceof BridgeError) {
      const status = err instanceof UnprocessableError ? 422 : STATUS_BY_CODE[err.code];
      const field = err instanceof InvalidInputError ? err.field : undefined;
      const details = err.code === 'refused' ? err.details : undefined;
      if (status >= 500) logger.error({ err, path: req.path }, 'request failed');
      return sendError(res, status, err.code, err.message, { field, details });
    }
    const pe = (err ?? {}) as ParserError;
    switch (pe.type) {
      case 'entity.parse.failed':
        return sendError(res, 400, 'invalid_input', 'The request body is not valid JSON.');
      case 'entity.too.large':
        return sendError(res, 413, 'payload_too_large', typeof pe.limit === 'number' ? `The request body is larger than ${formatBytes(pe.limit)}.` : 'The request body is too large.');
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return sendError(res, 415, 'invalid_input', 'Unsupported body encoding.');
      case 'request.aborted':
        return sendError(res, 400, 'invalid_input', 'The request was aborted.');
    }
    const status = pe.status ?? pe.statusCode;
    // Other client errors raised by express itself (a path that does not URL-decode, ...).
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return sendError(res, status, 'invalid_input', 'The request could not be read.');
    }
    logger.error({ err, method: req.method, path: req.path }, 'unexpected error');
    return sendError(res, 500, 'internal', 'Internal error.');
  };
}

export const notFound: RequestHandler = (req, res) => {
  sendError(res, 404, 'not_found', `No route for ${req.method} ${req.path}.`);
};
