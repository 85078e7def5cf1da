// What is on, in one start-up line: SMS providers, chat platforms (and how Slack reaches us),
// store, Redis, public and console URLs. Built from the configuration only, and never with a
// secret in it (Redis credentials are cut from the URL).

import { smsProviderConfigured } from './config.js';
import type { Config } from './config.js';
import { formatForDisplay } from './core/phone.js';
import type { LocalRedis } from './localRedis.js';
import { REDIS_STOP_HINT, withoutCredentials } from './localRedis.js';

export interface StartupSummary {
  /** SMS providers that can send: `twilio`, `8x8`, `local` (the dev provider, always on). */
  sms: string[];
  /**
   * Chat platforms on; Slack with its mode: `slack (http)` (events at /slack/events) or `slack
   * (socket)` (Socket Mode); last the built-in web inbox, with which numbers it shows.
   */
  chat: string[];
  /** `sqlite <file>`, or `postgres <DATABASE_URL without credentials>`. */
  store: string;
  /** REDIS_URL without credentials, and when it is the redis-server the bridge started, its pid. */
  redis: string;
  localRedisPid?: number;
  publicUrl: string;
  consoleUrl: string;
  /** The local demo number (E.164) of a bridge with nothing real configured, while it is provisioned. */
  demoNumber?: string;
}

export function startupSummary(config: Config, opts: { databaseFile: string; localRedis: LocalRedis | null; demoNumber?: string | null }): StartupSummary {
  const chat: string[] = [];
  // How Slack's events, commands and interactivity arrive: over HTTP at /slack/events, or over
  // the Socket Mode WebSocket the bridge opens (SLACK_APP_TOKEN).
  if (config.slack.enabled) chat.push(config.slack.appToken ? 'slack (socket)' : 'slack (http)');
  if (config.teams.enabled) chat.push(config.teams.allowAnonymous ? 'teams (anonymous, no token checks)' : 'teams');
  // Always on: with no Slack and no Teams it shows every number, else those mapped to `web`.
  chat.push(chat.length === 0 ? 'web inbox (every number)' : 'web inbox (numbers mapped to web)');
  return {
    sms: ['twilio', '8x8', 'local'].filter((p) => smsProviderConfigured(config, p)),
    chat,
    // DATABASE_URL alone selects PostgreSQL (no SQLite file is made then): say which store it is.
    store: config.databaseUrl ? `postgres ${withoutCredentials(config.databaseUrl)}` : `sqlite ${opts.databaseFile}`,
    redis: withoutCredentials(config.redisUrl),
    ...(opts.localRedis ? { localRedisPid: opts.localRedis.pid } : {}),
    publicUrl: config.publicUrl,
    consoleUrl: `${config.publicUrl}/admin`,
    ...(opts.demoNumber ? { demoNumber: opts.demoNumber } : {}),
  };
}

/** The same, for a person: `sms-bridge listening on <url>: SMS ...; chat ...; ...`. */
export function startupLine(listeningOn: string, s: StartupSummary): string {
  const local = s.localRedisPid === undefined ? '' : ` (local redis-server pid ${s.localRedisPid}, keeps running after the bridge: ${REDIS_STOP_HINT})`;
  return [
    `sms-bridge listening on ${listeningOn}: SMS ${s.sms.join(', ')}`,
    `chat ${s.chat.join(', ')}`,
    `store ${s.store}`,
    `Redis ${s.redis}${local}`,
    `public URL ${s.publicUrl}`,
    `console ${s.consoleUrl}`,
    ...(s.demoNumber ? [`demo number ${formatForDisplay(s.demoNumber)} (local provider: text it from the console's dev phone)`] : []),
  ].join('; ');
}
