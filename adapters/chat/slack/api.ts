// The Slack Web API as the bridge uses it: one keep-alive HTTP client (undici) speaking the Web
// API's wire format exactly as @slack/web-api does (POST <SLACK_API_URL><method>, bot token in
// the Authorization header, arguments form-encoded with objects as JSON strings, a JSON answer
// with `ok`), and the translation of Slack's failures into PlatformError.
//
// Why not the WebClient: every inbound message is one or two Web API calls, and the WebClient
// wraps each in a request queue, a retry wrapper and a fetch with web streams and an abort timer;
// on a 2-core machine that was ~0.5 ms of CPU per post on the event loop that also answers the
// SMS webhooks. Bolt keeps its own WebClient for everything it does itself.
//
// The client does not retry or sleep on its own: a 429 surfaces at once as a retryable
// PlatformError carrying Retry-After, so the delivery job waits (and, being serial per
// conversation, keeps the order) instead of a request hanging in memory.

import { Agent, request, type Dispatcher } from 'undici';
import { LogLevel, type Logger as SlackLogger } from '@slack/bolt';
import { PlatformError } from '../../../src/core/errors.js';
import { silentLogger, type ChatLogger } from '../../../src/delivery/logger.js';
import { PLATFORM_ID } from './format.js';
import type { RichTextBlock } from './richText.js';

/** Slack error codes worth trying again later (the rest are permanent for this call). */
const RETRYABLE_ERRORS = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

export interface SlackApiOptions {
  token: string;
  /** Base URL with trailing slash, e.g. https://slack.com/api/ */
  apiUrl: string;
  timeoutMs?: number;
  logger?: ChatLogger;
}

/** Adapts our logger to the interface Bolt and the WebClient log through. */
export function slackLogger(log: ChatLogger): SlackLogger {
  let level: LogLevel = LogLevel.WARN;
  const line = (args: unknown[]): string => args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
  return {
    debug: (...m: unknown[]) => log.debug({ slack: true }, line(m)),
    info: (...m: unknown[]) => log.debug({ slack: true }, line(m)),
    warn: (...m: unknown[]) => log.warn({ slack: true }, line(m)),
    error: (...m: unknown[]) => log.error({ slack: true }, line(m)),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

/** A Web API call that did not succeed, as a PlatformError (retryable or not, with Slack's code). */
export function slackCallError(method: string, failure: { kind: 'ratelimited'; retryAfterSec: number | null } | { kind: 'http'; status: number } | { kind: 'network'; message: string } | { kind: 'api'; code: string }): PlatformError {
  const message = `Slack ${method}: `;
  switch (failure.kind) {
    case 'ratelimited':
      return new PlatformError({
        platform: PLATFORM_ID,
        message: `${message}rate limited (retry after ${failure.retryAfterSec ?? '?'} s)`,
        retryable: true,
        retryAfterMs: failure.retryAfterSec === null ? null : failure.retryAfterSec * 1000,
        platformCode: 'ratelimited',
      });
    case 'http':
      return new PlatformError({ platform: PLATFORM_ID, message: `${message}HTTP ${failure.status}`, retryable: failure.status >= 500 || failure.status === 408, platformCode: `http_${failure.status}` });
    case 'network':
      return new PlatformError({ platform: PLATFORM_ID, message: `${message}request failed (${failure.message})`, retryable: true, platformCode: 'request_error' });
    case 'api':
      return new PlatformError({ platform: PLATFORM_ID, message: `${message}${failure.code}`, retryable: RETRYABLE_ERRORS.has(failure.code), platformCode: failure.code });
  }
}

/** Arguments as @slack/web-api encodes them: form fields, objects and arrays as JSON, nulls left out. */
export function encodeSlackArgs(args: Record<string, unknown>): string {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined || value === null) continue;
    form.append(key, typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value));
  }
  return form.toString();
}

/** Retry-After in seconds (Slack sends whole seconds), null when absent or unreadable. */
function retryAfterSeconds(header: string | string[] | undefined): number | null {
  const v = Number(Array.isArray(header) ? header[0] : header);
  return Number.isFinite(v) && v >= 0 ? v : null;
}

export function platformCode(err: unknown): string | null {
  return err instanceof PlatformError ? ((err.details?.platformCode as string | null | undefined) ?? null) : null;
}

export interface PostArgs {
  channel: string;
  /** The message, or with `blocks` the notification fallback. */
  text: string;
  blocks?: RichTextBlock[];
  thread_ts?: string;
  /** Marks the post as ours so echoes are recognised. */
  metadata?: { event_type: string; event_payload: Record<string, string | number | boolean> };
}

/** A message as conversations.replies / conversations.history list it (the fields we read). */
export interface SlackListedMessage {
  ts?: string;
  thread_ts?: string;
  bot_id?: string;
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
}

export interface SlackUserInfo {
  id: string;
  name: string | null;
  isAdmin: boolean;
  isOwner: boolean;
  isBot: boolean;
}

export class SlackApi {
  private readonly token: string;
  private readonly apiUrl: string;
  private readonly apiOrigin: string;
  private readonly timeoutMs: number;
  private readonly log: ChatLogger;
  private readonly dispatcher: Dispatcher;

  constructor(opts: SlackApiOptions) {
    this.token = opts.token;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.log = opts.logger ?? silentLogger;
    this.apiUrl = opts.apiUrl.endsWith('/') ? opts.apiUrl : `${opts.apiUrl}/`;
    this.apiOrigin = new URL(opts.apiUrl).origin;
    // Keep-alive connections to the Web API (idle ones never hold the process open); a connection
    // that cannot be opened fails in time too.
    this.dispatcher = new Agent({ connect: { timeout: this.timeoutMs }, keepAliveTimeout: 30_000 });
  }

  /** One Web API call; resolves with Slack's answer when `ok`, else rejects with a PlatformError. */
  async call<T = Record<string, unknown>>(method: string, args: Record<string, unknown>): Promise<T> {
    let status: number;
    let headers: Record<string, string | string[] | undefined>;
    let text: string;
    // A timer cleared on the answer (not AbortSignal.timeout, whose timer fires for every call
    // long after it finished): the whole call, headers and body, within timeoutMs.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    try {
      const res = await request(`${this.apiUrl}${method}`, {
        method: 'POST',
        dispatcher: this.dispatcher,
        signal: abort.signal,
        headers: {
          authorization: `Bearer ${this.token}`,
          'content-type': 'application/x-www-form-urlencoded',
          'user-agent': 'sms-bridge',
        },
        body: encodeSlackArgs(args),
      });
      status = res.statusCode;
      headers = res.headers;
      text = await res.body.text();
    } catch (err) {
      throw slackCallError(method, { kind: 'network', message: err instanceof Error ? err.message : String(err) });
    } finally {
      clearTimeout(timer);
    }
    if (status === 429) throw slackCallError(method, { kind: 'ratelimited', retryAfterSec: retryAfterSeconds(headers['retry-after']) });
    if (status !== 200) throw slackCallError(method, { kind: 'http', status });
    let answer: { ok?: unknown; error?: unknown; warning?: unknown };
    try {
      answer = JSON.parse(text) as typeof answer;
    } catch {
      throw slackCallError(method, { kind: 'network', message: 'the answer is not JSON' });
    }
    if (answer?.ok !== true) throw slackCallError(method, { kind: 'api', code: typeof answer?.error === 'string' ? answer.error : 'unknown_error' });
    if (typeof answer.warning === 'string') this.log.debug({ slack: true, method, warning: answer.warning }, 'Slack API warning');
    return answer as T;
  }

  async authTest(): Promise<{ teamId: string; userId: string; botId: string | null }> {
    const r = await this.call<{ team_id?: string; user_id?: string; bot_id?: string }>('auth.test', {});
    return { teamId: r.team_id ?? '', userId: r.user_id ?? '', botId: r.bot_id ?? null };
  }

  /** chat.postMessage with settings that keep contact text inert: no link_names, no unfurls. */
  async postMessage(args: PostArgs): Promise<{ ts: string; channel: string }> {
    const r = await this.call<{ ts?: string; channel?: string }>('chat.postMessage', {
      ...args,
      link_names: false,
      unfurl_links: false,
      unfurl_media: false,
    });
    if (!r.ts) throw new PlatformError({ platform: PLATFORM_ID, message: 'Slack chat.postMessage: no ts in answer', retryable: false });
    return { ts: r.ts, channel: r.channel ?? args.channel };
  }

  /**
   * One page of a thread (conversations.replies, `ts` = the root) or of a channel's top level
   * (conversations.history, no `ts`), messages from `oldest` on, with every message's metadata
   * (include_all_metadata: without it Slack leaves the payload out).
   */
  async messagesPage(opts: { channel: string; ts?: string; oldest: string; cursor?: string; limit: number }): Promise<{ messages: SlackListedMessage[]; nextCursor: string | null }> {
    const method = opts.ts ? 'conversations.replies' : 'conversations.history';
    const r = await this.call<{ messages?: SlackListedMessage[]; has_more?: boolean; response_metadata?: { next_cursor?: string } }>(method, {
      channel: opts.channel,
      ts: opts.ts,
      oldest: opts.oldest,
      cursor: opts.cursor,
      limit: opts.limit,
      include_all_metadata: true,
    });
    const next = r.response_metadata?.next_cursor;
    return { messages: r.messages ?? [], nextCursor: r.has_more && next ? next : null };
  }

  /** Adds a reaction; one that is already there is fine (status shown twice is no error). */
  addReaction(channel: string, ts: string, name: string): Promise<void> {
    return this.reaction('reactions.add', { channel, timestamp: ts, name }, 'already_reacted');
  }

  /** Removes one of our reactions; one that is not there (any more) is fine. */
  removeReaction(channel: string, ts: string, name: string): Promise<void> {
    return this.reaction('reactions.remove', { channel, timestamp: ts, name }, 'no_reaction');
  }

  /** A reactions.* call whose `harmless` error code means the reaction is already as wanted. */
  private async reaction(method: string, args: { channel: string; timestamp: string; name: string }, harmless: string): Promise<void> {
    try {
      await this.call(method, args);
    } catch (err) {
      if (platformCode(err) === harmless) return;
      throw err;
    }
  }

  async userInfo(userId: string): Promise<SlackUserInfo> {
    const r = await this.call<{ user?: { id?: string; name?: string; real_name?: string; is_admin?: boolean; is_owner?: boolean; is_primary_owner?: boolean; is_bot?: boolean; profile?: { display_name?: string; real_name?: string } } }>(
      'users.info',
      { user: userId },
    );
    const u = r.user ?? {};
    const name = u.profile?.display_name || u.profile?.real_name || u.real_name || u.name || null;
    return { id: u.id ?? userId, name, isAdmin: Boolean(u.is_admin), isOwner: Boolean(u.is_owner || u.is_primary_owner), isBot: Boolean(u.is_bot) };
  }

  /**
   * Slack's external upload in three steps: get an upload URL for (filename, length), POST the
   * bytes there, then complete it into the channel's thread (thread_ts).
   */
  async uploadFile(opts: { channel: string; threadTs: string; filename: string; title: string; bytes: Buffer; contentType: string }): Promise<string> {
    const step1 = await this.call<{ upload_url?: string; file_id?: string }>('files.getUploadURLExternal', {
      filename: opts.filename,
      length: opts.bytes.length,
    });
    if (!step1.upload_url || !step1.file_id) {
      throw new PlatformError({ platform: PLATFORM_ID, message: 'Slack files.getUploadURLExternal: no upload_url', retryable: false });
    }
    let res: Response;
    try {
      res = await fetch(step1.upload_url, {
        method: 'POST',
        headers: { 'content-type': opts.contentType || 'application/octet-stream' },
        body: new Uint8Array(opts.bytes),
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs * 3),
      });
      await res.arrayBuffer();
    } catch (err) {
      throw new PlatformError({ platform: PLATFORM_ID, message: `Slack file upload failed (${err instanceof Error ? err.message : String(err)})`, retryable: true });
    }
    if (res.status !== 200) {
      throw new PlatformError({ platform: PLATFORM_ID, message: `Slack file upload: HTTP ${res.status}`, retryable: res.status >= 500 || res.status === 429, platformCode: `http_${res.status}` });
    }
    await this.call('files.completeUploadExternal', {
      files: [{ id: step1.file_id, title: opts.title }],
      channel_id: opts.channel,
      thread_ts: opts.threadTs,
    });
    return step1.file_id;
  }

  /**
   * A file a user attached in Slack (url_private), fetched with the bot token. Only from Slack's
   * own file host or the configured API's origin: the token never goes anywhere else.
   */
  async downloadFile(url: string, maxBytes: number): Promise<{ bytes: Buffer; contentType: string | null }> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new PlatformError({ platform: PLATFORM_ID, message: 'file link is not a URL', retryable: false });
    }
    const allowed = (parsed.protocol === 'https:' && parsed.hostname === 'files.slack.com') || parsed.origin === this.apiOrigin;
    if (!allowed) throw new PlatformError({ platform: PLATFORM_ID, message: `file link is not on Slack (${parsed.hostname})`, retryable: false });
    const res = await fetch(parsed, {
      headers: { authorization: `Bearer ${this.token}` },
      redirect: 'manual',
      signal: AbortSignal.timeout(this.timeoutMs * 3),
    }).catch((err: unknown) => {
      throw new PlatformError({ platform: PLATFORM_ID, message: `file download failed (${err instanceof Error ? err.message : String(err)})`, retryable: true });
    });
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new PlatformError({ platform: PLATFORM_ID, message: `file download: HTTP ${res.status}`, retryable: res.status >= 500 || res.status === 429 });
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > maxBytes) {
      await res.body?.cancel();
      throw new PlatformError({ platform: PLATFORM_ID, message: `file is larger than ${maxBytes} bytes`, retryable: false, platformCode: 'too_large' });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    if (res.body) {
      for await (const chunk of res.body) {
        size += (chunk as Uint8Array).length;
        if (size > maxBytes) {
          throw new PlatformError({ platform: PLATFORM_ID, message: `file is larger than ${maxBytes} bytes`, retryable: false, platformCode: 'too_large' });
        }
        chunks.push(Buffer.from(chunk as Uint8Array));
      }
    }
    return { bytes: Buffer.concat(chunks), contentType: res.headers.get('content-type') };
  }
}
