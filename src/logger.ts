// Structured logs with pino. Two rules are enforced here rather than trusted to every call site:
// secrets (authorization headers, tokens, passwords, signing secrets) are always redacted, and
// message bodies (SMS text, chat text) only appear in debug/trace lines; above debug they are
// replaced by their length.

import { pino } from 'pino';
import type { DestinationStream, Logger as PinoLogger, LoggerOptions as PinoOptions } from 'pino';
import type { LogLevel } from './config.js';

export type Logger = PinoLogger;

/** Keys whose values are secrets wherever they appear (top level and one or two levels down). */
const SECRET_KEYS = [
  'authorization',
  'Authorization',
  'cookie',
  'token',
  'accessToken',
  'botToken',
  'adminToken',
  'authToken',
  'apiKey',
  'password',
  'appPassword',
  'secret',
  'signingSecret',
  'webhookAuth',
  'x-twilio-signature',
  'x-slack-signature',
];

export const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.${k}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-twilio-signature"]',
  'headers["x-slack-signature"]',
];

/** Keys that carry message text; kept only in debug and trace lines. */
const BODY_KEYS = new Set(['body', 'text', 'Body']);
const DEBUG_LEVEL = 20;

function stripBodies(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object' || depth > 2 || value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((v) => stripBodies(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = BODY_KEYS.has(k) && typeof v === 'string' ? `[${v.length} chars]` : stripBodies(v, depth + 1);
  }
  return out;
}

export interface LoggerOptions {
  level: LogLevel;
  /** Where lines go; stdout by default. Tests pass a stream to read the lines back. */
  destination?: DestinationStream;
  name?: string;
}

export function createLogger(opts: LoggerOptions): Logger {
  const options: PinoOptions = {
    name: opts.name ?? 'sms-bridge',
    level: opts.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    hooks: {
      logMethod(args, method, level) {
        if (level > DEBUG_LEVEL && args.length > 0 && typeof args[0] === 'object' && args[0] !== null) {
          const [first, ...rest] = args;
          return method.apply(this, [stripBodies(first, 0) as object, ...(rest as [])]);
        }
        return method.apply(this, args);
      },
    },
  };
  // pino's default destination is synchronous stdout: no line lost when the process exits.
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
