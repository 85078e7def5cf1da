// Structured logs with pino. Two rules are enforced here rather than trusted to every call site:
// secrets (authorization headers, tokens, passwords, signing secrets) are always redacted, and
// message bodies (SMS text, chat text) only appear in debug/trace lines; above debug they are
// replaced by their length. Lines are JSON unless LOG_FORMAT=pretty asks for a terminal's.

import { createRequire } from 'node:module';
import { pino } from 'pino';
import type { DestinationStream, Logger as PinoLogger, LoggerOptions as PinoOptions } from 'pino';
import type { PrettyOptions } from 'pino-pretty';
import type { LogFormat, LogLevel } from './config.js';

export type Logger = PinoLogger;

/** Keys whose values are secrets wherever they appear (top level and one or two levels down). */
const SECRET_KEYS = [
  'authorization',
  'Authorization',
  'cookie',
  'token',
  'accessToken',
  'botToken',
  'appToken',
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

const SECRETS = new Set(SECRET_KEYS);
const CENSOR = '[redacted]';

/**
 * Exact paths handed to pino's redactor: the secret keys at top level (this also covers child
 * logger bindings) and the usual header paths. Secrets one and two levels down (what the
 * wildcard paths `*.key` and `*.*.key` used to cover) are censored by `scrub` in the logMethod
 * hook instead: pino's wildcard redaction re-parses every path on every line and cost ~55 us per
 * info line (measured: 59 us with wildcards, 2 us without), more than storing an inbound SMS.
 */
export const REDACT_PATHS = [
  ...SECRET_KEYS,
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-twilio-signature"]',
  'headers["x-slack-signature"]',
];

/** Keys that carry message text; kept only in debug and trace lines. */
const BODY_KEYS = new Set(['body', 'text', 'Body']);
const DEBUG_LEVEL = 20;

/** A shallow copy to write censored values into; an Error stays an Error (pino's err serializer). */
function copyOf(value: object): Record<string, unknown> {
  if (value instanceof Error) {
    const e = Object.create(Object.getPrototypeOf(value) as object) as Record<string, unknown>;
    for (const k of Object.getOwnPropertyNames(value)) e[k] = (value as unknown as Record<string, unknown>)[k];
    return e;
  }
  return { ...(value as Record<string, unknown>) };
}

/**
 * Censors secret keys (any level up to two below the log object) and, when `bodies`, replaces
 * message text by its length. Copy on write: an object with nothing to censor is returned as is,
 * so the common log line allocates nothing here.
 */
function scrub(value: unknown, depth: number, bodies: boolean): unknown {
  if (value === null || typeof value !== 'object' || depth > 2 || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const nv = scrub(v, depth + 1, bodies);
      if (nv !== v) (out ??= value.slice())[i] = nv;
    }
    return out ?? value;
  }
  const src = value as Record<string, unknown>;
  let out: Record<string, unknown> | null = null;
  for (const k of Object.keys(src)) {
    const v = src[k];
    let nv: unknown;
    if (SECRETS.has(k) && v !== undefined) nv = CENSOR;
    else if (bodies && BODY_KEYS.has(k) && typeof v === 'string') nv = `[${v.length} chars]`;
    else nv = scrub(v, depth + 1, bodies);
    if (nv !== v) (out ??= copyOf(src))[k] = nv;
  }
  return out ?? value;
}

export interface LoggerOptions {
  level: LogLevel;
  /** `json` (default) or `pretty` (pino-pretty: one colored line per entry, for a terminal). */
  format?: LogFormat;
  /** Where lines go; stdout by default. Tests pass a stream to read the lines back. */
  destination?: DestinationStream;
  name?: string;
}

export function createLogger(opts: LoggerOptions): Logger {
  const options: PinoOptions = {
    name: opts.name ?? 'sms-bridge',
    level: opts.level,
    redact: { paths: REDACT_PATHS, censor: CENSOR },
    hooks: {
      // Only called for enabled levels: a disabled level is a no-op in pino, nothing is formatted.
      logMethod(args, method, level) {
        if (args.length > 0 && typeof args[0] === 'object' && args[0] !== null) {
          const first = args[0] as object;
          const scrubbed = scrub(first, 0, level > DEBUG_LEVEL) as object;
          if (scrubbed !== first) {
            const [, ...rest] = args;
            return method.apply(this, [scrubbed, ...(rest as [])]);
          }
        }
        return method.apply(this, args);
      },
    },
  };
  // pino's default destination is synchronous stdout: no line lost when the process exits.
  if (opts.format === 'pretty') return pino(options, prettyStream(opts.destination));
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/**
 * pino-pretty as a synchronous stream in this thread (not a transport worker): like JSON lines,
 * no line is lost when the process exits at once. Loaded only when asked for, so JSON logging
 * (the default) never pays for it. Redaction and body hiding happen before it formats.
 */
function prettyStream(destination?: DestinationStream): DestinationStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as (o: PrettyOptions) => DestinationStream;
  return pretty({ sync: true, destination: destination ?? 1, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' });
}
