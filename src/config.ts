// Typed configuration from the environment. `loadConfig` is pure (env in, Config out) so every
// rule is unit-testable; `loadConfigFromProcess` adds `.env` (never overriding the real
// environment). A bad value stops start-up with ONE line naming the variable and what is
// expected; secret values are never echoed back in that line.

import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import dotenv from 'dotenv';
import { z } from 'zod';
import { ConfigError } from './core/errors.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** `json`: one JSON object a line (for log collectors); `pretty`: colored lines for a terminal. */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** TRUST_PROXY as express's `trust proxy` setting takes it. */
export type TrustProxy = boolean | number | string[];

export interface Config {
  port: number;
  /** Base URL providers and platforms call; no trailing slash. */
  publicUrl: string;
  dataDir: string;
  /** postgres:// URL of the store's database; null: the SQLite file in DATA_DIR. */
  databaseUrl: string | null;
  /** Connections the Postgres store may open at once. */
  databasePoolSize: number;
  redisUrl: string;
  queuePrefix: string;
  /** null: the admin API answers 401 to everyone. */
  adminToken: string | null;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** Largest single media file the bridge downloads or accepts. */
  mediaMaxBytes: number;
  /** How long a clean shutdown may take before the process gives up waiting. */
  shutdownTimeoutMs: number;
  /** Names this process among instances sharing Redis; null: host name plus an id kept in DATA_DIR. */
  instanceId: string | null;
  /** Key for signed media links; null: one is generated once and kept in the store's settings. */
  mediaSigningSecret: string | null;
  /**
   * Which reverse proxies' X-Forwarded-For to believe for the client address (express's
   * `trust proxy`): false (none: the socket's address), a number of proxy hops in front, or
   * the proxies' addresses and subnets.
   */
  trustProxy: TrustProxy;
  /**
   * Slack is on with a bot token and either a signing secret (events over HTTP at /slack/events)
   * or an app-level token (`appToken`: Socket Mode, events over a WebSocket the bridge opens).
   */
  slack: { enabled: boolean; botToken: string | null; signingSecret: string | null; appToken: string | null; apiUrl: string };
  teams: {
    enabled: boolean;
    appId: string | null;
    appPassword: string | null;
    tenantId: string | null;
    allowAnonymous: boolean;
    /** OpenID document for Bot Framework token keys; null: botbuilder's built-in (Microsoft's). */
    openIdMetadataUrl: string | null;
    /** TEAMS_ALLOWED_TENANTS (lower-case tenant ids); null: any tenant, or TEAMS_APP_TENANT_ID's. */
    allowedTenants: string[] | null;
    /** TEAMS_SERVICE_URL_HOSTS; null: Microsoft's Bot Framework service hosts (adapters/chat/teams/trust.ts). */
    serviceUrlHosts: string[] | null;
  };
  twilio: { enabled: boolean; accountSid: string | null; authToken: string | null; apiUrl: string };
  eightx8: {
    enabled: boolean;
    apiKey: string | null;
    subaccountId: string | null;
    apiUrl: string;
    webhookAuth: string | null;
    /** EIGHTX8_MEDIA_HOSTS; null: any public HTTPS host (see adapters/sms/eightbyeight). */
    mediaHosts: string[] | null;
  };
}

/** Variables whose values must never appear in an error line or a log. */
const SECRET_VARS = new Set([
  'ADMIN_TOKEN',
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  'TEAMS_APP_PASSWORD',
  'TWILIO_AUTH_TOKEN',
  'EIGHTX8_API_KEY',
  'EIGHTX8_WEBHOOK_AUTH',
  'MEDIA_SIGNING_SECRET',
  'REDIS_URL', // may carry a password
  'DATABASE_URL', // may carry a password
]);

// An empty value (`ADMIN_TOKEN=` in a .env file) means "not set".
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? null : v.trim()));

function integer(min: number, max: number, fallback: number) {
  const expected = `expected an integer ${min}-${max}`;
  return optionalString.pipe(
    z
      .string()
      .nullable()
      .refine((v) => v === null || (/^\d+$/.test(v) && Number(v) >= min && Number(v) <= max), expected)
      .transform((v) => (v === null ? fallback : Number(v))),
  );
}

function httpUrl(fallback: string | null, opts: { trailingSlash: boolean }) {
  return optionalString.pipe(
    z
      .string()
      .nullable()
      .refine((v) => v === null || isUrl(v, ['http:', 'https:']), 'expected an absolute http(s) URL')
      .transform((v) => {
        const url = v ?? fallback;
        if (url === null) return null;
        const bare = url.replace(/\/+$/, '');
        return opts.trailingSlash ? `${bare}/` : bare;
      }),
  );
}

function isUrl(value: string, protocols: string[]): boolean {
  try {
    const u = new URL(value);
    return protocols.includes(u.protocol) && u.hostname !== '';
  } catch {
    return false;
  }
}

/** True for a URL on this machine (localhost, 127.0.0.0/8, ::1). */
export function isLoopbackUrl(value: string): boolean {
  try {
    const host = new URL(value).hostname;
    return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
  } catch {
    return false;
  }
}

/** A comma-separated list, each entry trimmed and lower-cased; null when unset. */
function commaList(valid: (entry: string) => boolean, expected: string) {
  return optionalString.pipe(
    z
      .string()
      .nullable()
      .refine((v) => v === null || v.split(',').every((entry) => valid(entry.trim())), expected)
      .transform((v) => (v === null ? null : v.split(',').map((entry) => entry.trim().toLowerCase()))),
  );
}

/** "media.example.com", "*.example.com" (and, with `loopback`, "127.0.0.1" or "localhost"). */
function isHostPattern(entry: string, opts: { loopback: boolean } = { loopback: false }): boolean {
  if (opts.loopback && /^(localhost|127(\.\d{1,3}){3})$/i.test(entry)) return true;
  return /^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(entry);
}

/** Entra (Azure AD) tenant ids are GUIDs; a domain name here would refuse every activity. */
const TENANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Where TEAMS_ALLOW_ANONYMOUS may be on: a bridge only this machine calls, or development and tests. */
function anonymousTeamsAllowed(publicUrl: string, nodeEnv: string | undefined): boolean {
  return isLoopbackUrl(publicUrl) || nodeEnv === 'test' || nodeEnv === 'development';
}

/** Shortest ADMIN_TOKEN / MEDIA_SIGNING_SECRET accepted: 16 characters cannot be guessed. */
const MIN_SECRET_CHARS = 16;

const booleanFlag = optionalString.pipe(
  z
    .string()
    .nullable()
    .refine((v) => v === null || /^(true|false|1|0|yes|no)$/i.test(v), 'expected true or false')
    .transform((v) => v !== null && /^(true|1|yes)$/i.test(v)),
);

// The names proxy-addr (express's `trust proxy`) knows for address ranges.
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An IP address, a CIDR subnet (10.0.0.0/8, fd00::/8) or one of proxy-addr's range names. */
function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGE_NAMES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128));
}

const TRUST_PROXY_EXPECTED =
  'expected false, true, a number of proxies in front (e.g. 1), or comma-separated proxy addresses or subnets (e.g. "10.0.0.0/8,loopback")';

const trustProxy = optionalString.pipe(
  z
    .string()
    .nullable()
    .refine(
      (v) => v === null || /^(true|false)$/i.test(v) || /^\d{1,2}$/.test(v) || v.split(',').every((e) => isProxyAddress(e.trim().toLowerCase())),
      TRUST_PROXY_EXPECTED,
    )
    .transform((v): TrustProxy => {
      if (v === null || /^false$/i.test(v)) return false;
      if (/^true$/i.test(v)) return true;
      if (/^\d+$/.test(v)) return Number(v);
      return v.split(',').map((e) => e.trim().toLowerCase());
    }),
);

const envSchema = z
  .object({
    PORT: integer(0, 65535, 3000),
    PUBLIC_URL: httpUrl(null, { trailingSlash: false }),
    DATA_DIR: optionalString.transform((v) => v ?? './data'),
    DATABASE_URL: optionalString.pipe(
      z
        .string()
        .nullable()
        .refine((v) => v === null || isUrl(v, ['postgres:', 'postgresql:']), 'expected a postgres:// or postgresql:// URL'),
    ),
    DATABASE_POOL_SIZE: integer(1, 1000, 10),
    REDIS_URL: optionalString.pipe(
      z
        .string()
        .nullable()
        .refine((v) => v === null || isUrl(v, ['redis:', 'rediss:']), 'expected a redis:// or rediss:// URL')
        .transform((v) => v ?? 'redis://127.0.0.1:6379'),
    ),
    QUEUE_PREFIX: optionalString.pipe(
      z
        .string()
        .nullable()
        .refine((v) => v === null || /^[A-Za-z0-9_.-]{1,64}$/.test(v), 'expected 1-64 letters, digits, "_", "." or "-"')
        .transform((v) => v ?? 'smsb'),
    ),
    // A bearer token guards every admin route: one that can be guessed is no guard.
    ADMIN_TOKEN: optionalString.pipe(
      z
        .string()
        .nullable()
        .refine((v) => v === null || v.length >= MIN_SECRET_CHARS, `expected at least ${MIN_SECRET_CHARS} characters (e.g. openssl rand -hex 24)`)
        // It travels as "Authorization: Bearer <token>": a space or a non-ASCII character would
        // make a token that no request can ever present.
        .refine((v) => v === null || /^[\x21-\x7e]+$/.test(v), 'expected printable ASCII without spaces (e.g. openssl rand -hex 24)'),
    ),
    SLACK_BOT_TOKEN: optionalString,
    SLACK_SIGNING_SECRET: optionalString,
    // Socket Mode: an app-level token (Basic Information -> App-Level Tokens, scope
    // connections:write). A bot (xoxb-) or user token here is the usual mix-up: name it at start-up.
    SLACK_APP_TOKEN: optionalString.pipe(
      z
        .string()
        .nullable()
        .refine((v) => v === null || /^xapp-[\x21-\x7e]+$/.test(v), 'expected an app-level token (xapp-...) with the connections:write scope, not the bot token'),
    ),
    SLACK_API_URL: httpUrl('https://slack.com/api/', { trailingSlash: true }),
    TEAMS_APP_ID: optionalString,
    TEAMS_APP_PASSWORD: optionalString,
    TEAMS_APP_TENANT_ID: optionalString,
    TEAMS_ALLOW_ANONYMOUS: booleanFlag,
    // Kept exactly as given (no slash trimming): it is a document URL, not a base.
    TEAMS_OPENID_METADATA_URL: optionalString.pipe(
      z
        .string()
        .nullable()
        .refine((v) => v === null || isUrl(v, ['http:', 'https:']), 'expected an absolute http(s) URL')
        // The keys that sign Bot Framework tokens: fetched in clear, anyone on the path could mint
        // tokens. Plain http only to this machine (a local fake provider in tests).
        .refine((v) => v === null || v.startsWith('https:') || isLoopbackUrl(v), 'expected an https URL (http only for localhost)'),
    ),
    TEAMS_ALLOWED_TENANTS: commaList(
      (t) => TENANT_ID.test(t),
      'expected comma-separated tenant ids (GUIDs such as 72f988bf-86f1-41af-91ab-2d7cd011db47), not domain names',
    ),
    TEAMS_SERVICE_URL_HOSTS: commaList(
      (h) => isHostPattern(h, { loopback: true }),
      'expected comma-separated host names or *.suffix wildcards, e.g. "smba.trafficmanager.net,*.example.us" (127.0.0.1 or localhost for a local connector)',
    ),
    TWILIO_ACCOUNT_SID: optionalString,
    TWILIO_AUTH_TOKEN: optionalString,
    TWILIO_API_URL: httpUrl('https://api.twilio.com', { trailingSlash: false }),
    EIGHTX8_API_KEY: optionalString,
    EIGHTX8_SUBACCOUNT_ID: optionalString,
    EIGHTX8_API_URL: httpUrl('https://sms.us.8x8.com', { trailingSlash: false }),
    EIGHTX8_WEBHOOK_AUTH: optionalString,
    EIGHTX8_MEDIA_HOSTS: commaList(
      (h) => isHostPattern(h),
      'expected comma-separated host names or *.suffix wildcards, e.g. "media.8x8.com,*.s3.amazonaws.com"',
    ),
    LOG_LEVEL: optionalString.pipe(
      z
        .string()
        .nullable()
        .refine((v) => v === null || (LOG_LEVELS as readonly string[]).includes(v.toLowerCase()), `expected one of ${LOG_LEVELS.join(', ')}`)
        .transform((v) => (v ?? 'info').toLowerCase() as LogLevel),
    ),
    LOG_FORMAT: optionalString.pipe(
      z
        .string()
        .nullable()
        .refine((v) => v === null || (LOG_FORMATS as readonly string[]).includes(v.toLowerCase()), `expected ${LOG_FORMATS.join(' or ')}`)
        .transform((v) => (v ?? 'json').toLowerCase() as LogFormat),
    ),
    MEDIA_MAX_BYTES: integer(1, 100 * 1024 * 1024, 5 * 1024 * 1024),
    // Longer than a provider call may take (15 s): a SIGTERM lets the send in flight finish.
    SHUTDOWN_TIMEOUT_MS: integer(100, 600_000, 20_000),
    // Names this process among the instances sharing Redis (liveness of its leases).
    INSTANCE_ID: optionalString.pipe(
      z
        .string()
        .nullable()
        .refine((v) => v === null || /^[A-Za-z0-9._-]{1,64}$/.test(v), 'expected 1-64 letters, digits, dots, dashes or underscores'),
    ),
    MEDIA_SIGNING_SECRET: optionalString.pipe(
      z
        .string()
        .nullable()
        .refine((v) => v === null || v.length >= MIN_SECRET_CHARS, `expected at least ${MIN_SECRET_CHARS} characters (e.g. openssl rand -hex 24)`),
    ),
    TRUST_PROXY: trustProxy,
  })
  .superRefine((env, ctx) => {
    // A half-set credential pair is a mistake, not "off": name the missing half.
    const pairs: Array<[string, string | null, string, string | null, string]> = [
      ['TWILIO_ACCOUNT_SID', env.TWILIO_ACCOUNT_SID, 'TWILIO_AUTH_TOKEN', env.TWILIO_AUTH_TOKEN, 'Twilio'],
      ['EIGHTX8_API_KEY', env.EIGHTX8_API_KEY, 'EIGHTX8_SUBACCOUNT_ID', env.EIGHTX8_SUBACCOUNT_ID, '8x8'],
      ['TEAMS_APP_ID', env.TEAMS_APP_ID, 'TEAMS_APP_PASSWORD', env.TEAMS_APP_PASSWORD, 'Teams'],
    ];
    for (const [aName, a, bName, b, what] of pairs) {
      if ((a === null) !== (b === null)) {
        const [missing, present] = a === null ? [aName, bName] : [bName, aName];
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: [missing],
          message: `required when ${present} is set (${what} needs both)`,
        });
      }
    }
    // Slack: the bot token, and how events arrive: signed HTTP requests (SLACK_SIGNING_SECRET) or
    // Socket Mode (SLACK_APP_TOKEN; nothing arrives over HTTP, so no signing secret is needed).
    const slackBy = env.SLACK_APP_TOKEN !== null ? 'SLACK_APP_TOKEN' : env.SLACK_SIGNING_SECRET !== null ? 'SLACK_SIGNING_SECRET' : null;
    if (env.SLACK_BOT_TOKEN === null && slackBy !== null) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['SLACK_BOT_TOKEN'],
        message:
          slackBy === 'SLACK_APP_TOKEN'
            ? 'required when SLACK_APP_TOKEN is set (Socket Mode receives events with the app token; the bridge posts with the bot token)'
            : 'required when SLACK_SIGNING_SECRET is set (Slack needs both)',
      });
    }
    if (env.SLACK_BOT_TOKEN !== null && slackBy === null) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['SLACK_SIGNING_SECRET'],
        message: 'required when SLACK_BOT_TOKEN is set (Slack needs both), unless SLACK_APP_TOKEN turns Socket Mode on',
      });
    }
    // Anonymous means "no JWT checks": with real credentials configured that is never intended,
    // and it would let anyone post to /api/messages as Teams.
    if (env.TEAMS_ALLOW_ANONYMOUS && env.TEAMS_APP_ID !== null) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['TEAMS_ALLOW_ANONYMOUS'],
        message: 'must not be true when TEAMS_APP_ID is set (it turns Bot Framework token checks off; local emulator and tests only)',
      });
    }
    // Twilio signs webhooks for the URL it calls: without PUBLIC_URL every real webhook would be
    // refused as forged, and inbound SMS lost to 403s instead of one start-up error.
    if (env.TWILIO_ACCOUNT_SID !== null && env.TWILIO_AUTH_TOKEN !== null && env.PUBLIC_URL === null) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['PUBLIC_URL'],
        message: 'required when Twilio is on (webhook signatures are checked against the URL Twilio calls)',
      });
    }
    if (env.TEAMS_APP_TENANT_ID !== null && env.TEAMS_APP_ID === null) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['TEAMS_APP_ID'], message: 'required when TEAMS_APP_TENANT_ID is set' });
    }
    if (env.EIGHTX8_API_KEY !== null && env.EIGHTX8_SUBACCOUNT_ID !== null && env.EIGHTX8_WEBHOOK_AUTH === null) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['EIGHTX8_WEBHOOK_AUTH'],
        message: 'required when 8x8 is on (the exact Authorization header value 8x8 sends with webhooks)',
      });
    }
  });

/**
 * Whether the bridge has what it needs to send through this SMS provider: the local dev provider
 * always; Twilio and 8x8 when their credentials are set (loadConfig refuses half a set). The SMS
 * module builds its providers on the same flags.
 */
export function smsProviderConfigured(config: Pick<Config, 'twilio' | 'eightx8'>, provider: string): boolean {
  switch (provider) {
    case 'local':
      return true;
    case 'twilio':
      return config.twilio.enabled;
    case '8x8':
      return config.eightx8.enabled;
    default:
      return false;
  }
}

/** Every variable the bridge reads (documented in README.md and .env.example). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema._def.schema.shape);

/** Builds the configuration from an environment; throws ConfigError with one line on a bad value. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = envSchema.safeParse(pick(env));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'configuration');
    const raw = env[name];
    const got = raw === undefined || raw.trim() === '' || SECRET_VARS.has(name) ? '' : `, got ${JSON.stringify(raw)}`;
    throw new ConfigError(`${name}: ${issue?.message ?? 'invalid'}${got}`);
  }
  const e = parsed.data;
  const publicUrl = e.PUBLIC_URL ?? `http://localhost:${e.PORT}`;
  // Anonymous Teams answers anyone who can reach /api/messages: they could send SMS as any user,
  // point the bridge at internal URLs and redirect a channel's posts. Never on a deployed bridge
  // (the bridge also listens on loopback only while it is on, see src/app.ts).
  if (e.TEAMS_ALLOW_ANONYMOUS && !anonymousTeamsAllowed(publicUrl, env.NODE_ENV)) {
    throw new ConfigError(
      'TEAMS_ALLOW_ANONYMOUS: must not be true here (Teams requests would be accepted without authentication); ' +
        'allowed only when PUBLIC_URL is a loopback address or NODE_ENV is test or development',
    );
  }
  return {
    port: e.PORT,
    publicUrl,
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    redisUrl: e.REDIS_URL,
    queuePrefix: e.QUEUE_PREFIX,
    adminToken: e.ADMIN_TOKEN,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    mediaMaxBytes: e.MEDIA_MAX_BYTES,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    instanceId: e.INSTANCE_ID,
    mediaSigningSecret: e.MEDIA_SIGNING_SECRET,
    trustProxy: e.TRUST_PROXY,
    slack: {
      enabled: e.SLACK_BOT_TOKEN !== null && (e.SLACK_SIGNING_SECRET !== null || e.SLACK_APP_TOKEN !== null),
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL ?? 'https://slack.com/api/',
    },
    teams: {
      enabled: e.TEAMS_APP_ID !== null || e.TEAMS_ALLOW_ANONYMOUS,
      appId: e.TEAMS_APP_ID,
      appPassword: e.TEAMS_APP_PASSWORD,
      tenantId: e.TEAMS_APP_TENANT_ID,
      allowAnonymous: e.TEAMS_ALLOW_ANONYMOUS,
      openIdMetadataUrl: e.TEAMS_OPENID_METADATA_URL,
      allowedTenants: e.TEAMS_ALLOWED_TENANTS,
      serviceUrlHosts: e.TEAMS_SERVICE_URL_HOSTS,
    },
    twilio: {
      enabled: e.TWILIO_ACCOUNT_SID !== null && e.TWILIO_AUTH_TOKEN !== null,
      accountSid: e.TWILIO_ACCOUNT_SID,
      authToken: e.TWILIO_AUTH_TOKEN,
      apiUrl: e.TWILIO_API_URL ?? 'https://api.twilio.com',
    },
    eightx8: {
      enabled: e.EIGHTX8_API_KEY !== null && e.EIGHTX8_SUBACCOUNT_ID !== null,
      apiKey: e.EIGHTX8_API_KEY,
      subaccountId: e.EIGHTX8_SUBACCOUNT_ID,
      apiUrl: e.EIGHTX8_API_URL ?? 'https://sms.us.8x8.com',
      webhookAuth: e.EIGHTX8_WEBHOOK_AUTH,
      mediaHosts: e.EIGHTX8_MEDIA_HOSTS,
    },
  };
}

/** Only the variables we know, so unrelated environment never reaches the schema. */
function pick(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const key of CONFIG_VARIABLES) out[key] = env[key];
  return out;
}

/** Reads `.env` from `cwd` when present (the real environment wins), then validates. */
export function loadConfigFromProcess(cwd: string = process.cwd()): Config {
  const file = path.join(cwd, '.env');
  if (existsSync(file)) dotenv.config({ path: file, override: false, quiet: true });
  return loadConfig(process.env);
}
