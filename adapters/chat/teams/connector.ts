// The few Bot Framework connector REST calls the bridge makes, on plain fetch.
//
// Why not botbuilder's ConnectorClient: its azure pipeline retries 429 and 5xx by itself (sleeping
// inside the call), which would hide throttling from the delivery job. Here every failure comes
// back at once as a PlatformError (retryable + retryAfterMs), and the delivery job waits and
// retries in order. Credentials still come from botbuilder (see auth.ts): a token provider that
// answers null in anonymous mode, so no Authorization header is sent and no login endpoint is
// ever contacted.

import { PlatformError } from '../../../src/core/errors.js';
import type { TeamsPacer } from './pacer.js';
import type { ServiceUrlPolicy } from './trust.js';

export const TEAMS_PLATFORM = 'teams';

/** An outgoing Bot Framework activity (the subset we send). */
export interface OutgoingActivity {
  type: 'message';
  text?: string;
  textFormat?: 'plain' | 'markdown' | 'xml';
  conversation?: { id: string };
  replyToId?: string;
  attachments?: { contentType: string; contentUrl?: string; name?: string; content?: unknown }[];
  entities?: unknown[];
  channelData?: unknown;
  summary?: string;
}

export interface ConversationParameters {
  isGroup: true;
  channelData: { channel: { id: string }; tenant?: { id: string } };
  activity: OutgoingActivity;
  tenantId?: string;
  bot?: { id: string; name?: string };
}

export type TokenProvider = (serviceUrl: string) => Promise<string | null>;

export interface ConnectorClientOptions {
  /** Bearer token for the connector (null: anonymous, no header). */
  getToken: TokenProvider;
  /** serviceUrls that may be called; any other is refused before a token or request leaves. */
  serviceUrls: ServiceUrlPolicy;
  /** Per-call timeout; a timeout is a retryable PlatformError. */
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
  /** Keeps calls under Teams' documented limits before they are made (pacer.ts); null: none. */
  pacer?: TeamsPacer | null;
}

/** Retry-After in seconds or as an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowMs);
}

function joinUrl(serviceUrl: string, path: string): string {
  return `${serviceUrl.replace(/\/+$/, '')}${path}`;
}

export class BotConnectorClient {
  private readonly getToken: TokenProvider;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly pacer: TeamsPacer | null;
  private readonly serviceUrls: ServiceUrlPolicy;

  constructor(opts: ConnectorClientOptions) {
    this.pacer = opts.pacer ?? null;
    this.serviceUrls = opts.serviceUrls;
    this.getToken = opts.getToken;
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.fetchImpl = opts.fetchImpl ?? fetch;
  }

  /** New conversation (a new thread root in a channel). */
  async createConversation(serviceUrl: string, params: ConversationParameters): Promise<{ id: string; activityId: string }> {
    const res = await this.call<{ id?: string; activityId?: string }>(serviceUrl, 'POST', '/v3/conversations', params, params.channelData.channel.id);
    if (!res.activityId || !res.id) {
      throw new PlatformError({ platform: TEAMS_PLATFORM, message: 'connector returned no activity id for the new thread', retryable: false, platformCode: 'bad_response' });
    }
    return { id: res.id, activityId: res.activityId };
  }

  /** Post into a conversation (for a channel thread: "<channel>;messageid=<root>"). */
  async sendToConversation(serviceUrl: string, conversationId: string, activity: OutgoingActivity): Promise<{ id: string }> {
    const body = { ...activity, conversation: { id: conversationId } };
    return this.requireId(await this.call(serviceUrl, 'POST', `/v3/conversations/${encodeURIComponent(conversationId)}/activities`, body, conversationId));
  }

  async replyToActivity(serviceUrl: string, conversationId: string, activityId: string, activity: OutgoingActivity): Promise<{ id: string }> {
    const body = { ...activity, conversation: { id: conversationId }, replyToId: activityId };
    const path = `/v3/conversations/${encodeURIComponent(conversationId)}/activities/${encodeURIComponent(activityId)}`;
    return this.requireId(await this.call(serviceUrl, 'POST', path, body, conversationId));
  }

  async updateActivity(serviceUrl: string, conversationId: string, activityId: string, activity: OutgoingActivity): Promise<void> {
    const body = { ...activity, id: activityId, conversation: { id: conversationId } };
    const path = `/v3/conversations/${encodeURIComponent(conversationId)}/activities/${encodeURIComponent(activityId)}`;
    await this.call(serviceUrl, 'PUT', path, body, conversationId);
  }

  /** Channels of a team (GET /v3/teams/{teamId}/conversations). */
  async getTeamChannels(serviceUrl: string, teamId: string): Promise<{ id: string; name: string | null }[]> {
    const res = await this.call<{ conversations?: { id?: string; name?: string | null }[] }>(
      serviceUrl, 'GET', `/v3/teams/${encodeURIComponent(teamId)}/conversations`, undefined, teamId,
    );
    return (res.conversations ?? [])
      .filter((c): c is { id: string; name?: string | null } => typeof c.id === 'string')
      .map((c) => ({ id: c.id, name: c.name ?? null }));
  }

  private requireId(res: { id?: string }): { id: string } {
    if (!res.id) {
      throw new PlatformError({ platform: TEAMS_PLATFORM, message: 'connector returned no activity id', retryable: false, platformCode: 'bad_response' });
    }
    return { id: res.id };
  }

  /** One connector call; `paceKey` is the conversation (thread) it counts against. */
  private async call<T>(serviceUrl: string, method: string, path: string, body: unknown, paceKey: string): Promise<T> {
    // A channel reference stored before the serviceUrl rules (or by a misconfiguration) must not
    // take the bot's token, or a customer's SMS, anywhere else.
    if (!this.serviceUrls.allows(serviceUrl)) {
      throw new PlatformError({
        platform: TEAMS_PLATFORM,
        message: 'the channel\'s Teams serviceUrl is not a Bot Framework service host this bridge trusts (see TEAMS_SERVICE_URL_HOSTS); add the app to the team again',
        retryable: false,
        platformCode: 'service_url_not_allowed',
      });
    }
    await this.pacer?.take(paceKey);
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = await this.getToken(serviceUrl);
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json; charset=utf-8';
    const res = await this.fetchWithTimeout(joinUrl(serviceUrl, path), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) {
      let code: string | null = null;
      try {
        code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? null;
      } catch {
        // not JSON: keep the status only
      }
      throw this.errorFor(res.status, res.headers.get('retry-after'), `Teams connector ${method} ${path.split('/').slice(0, 3).join('/')} answered ${res.status}${code ? ` (${code})` : ''}`, code);
    }
    if (!text) return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new PlatformError({ platform: TEAMS_PLATFORM, message: 'connector answered with a body that is not JSON', retryable: false, platformCode: 'bad_response' });
    }
  }

  private async fetchWithTimeout(url: string, init: RequestInit): Promise<Response> {
    try {
      return await this.fetchImpl(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      // Network error or timeout: the call may be retried later; the job keeps the order.
      const name = err instanceof Error ? err.name : '';
      throw new PlatformError({
        platform: TEAMS_PLATFORM,
        message: name === 'TimeoutError' ? `Teams connector did not answer within ${this.timeoutMs} ms` : `Teams connector unreachable: ${err instanceof Error ? err.message : String(err)}`,
        retryable: true,
        platformCode: name === 'TimeoutError' ? 'timeout' : 'network',
      });
    }
  }

  private errorFor(status: number, retryAfter: string | null, message: string, code: string | null = null): PlatformError {
    const retryable = status === 429 || status === 408 || status >= 500;
    return new PlatformError({
      platform: TEAMS_PLATFORM,
      message,
      retryable,
      retryAfterMs: status === 429 ? parseRetryAfter(retryAfter) ?? 1000 : parseRetryAfter(retryAfter),
      platformCode: code ?? `http_${status}`,
    });
  }
}
