// The Slack channels the bridge can be mapped to: conversations.list (public and private, not
// archived), every page followed through response_metadata.next_cursor. Kept for a short while so
// a console opening the mapping form twice does not list a large workspace twice (Slack rate
// limits conversations.list at Tier 2, ~20 calls a minute). Slack's refusals become a reason an
// admin can act on: missing_scope means the app was installed before the manifest asked for
// channels:read and groups:read, and must be re-approved.

import { PlatformError } from '../../../src/core/errors.js';
import type { ChannelListing, ChannelSource } from '../../../src/chat/channelDirectory.js';
import { platformCode, type SlackApi } from './api.js';
import { PLATFORM_ID } from './format.js';

/** How long a listing is reused. */
export const CHANNEL_LIST_TTL_MS = 30_000;
/** Channels asked for per page (Slack allows up to 1000, recommends no more than 200). */
const PAGE_LIMIT = 200;
/** A workspace with more pages than this is listed in part (50 x 200 channels). */
const MAX_PAGES = 50;

interface SlackChannel {
  id?: string;
  name?: string;
  is_private?: boolean;
  is_archived?: boolean;
}

interface ListAnswer {
  channels?: SlackChannel[];
  response_metadata?: { next_cursor?: string };
}

/** What an admin should do about Slack refusing conversations.list. */
export function listRefusalReason(code: string | null, message: string): string {
  switch (code) {
    case 'missing_scope':
      return 'Slack refused to list channels: the app lacks the channels:read and groups:read scopes (missing_scope). Re-approve the app: add both scopes (manifest/slack has them) and reinstall it to the workspace. Until then, map numbers with the channel id (C0123ABC).';
    case 'invalid_auth':
    case 'not_authed':
    case 'token_revoked':
    case 'account_inactive':
      return `Slack refused the bot token (${code}): check SLACK_BOT_TOKEN, or reinstall the app.`;
    case 'ratelimited':
      return 'Slack is rate limiting channel listing; try again in a minute.';
    default:
      return `Slack could not list channels (${message}).`;
  }
}

export class SlackChannelList implements ChannelSource {
  readonly platform = PLATFORM_ID;
  private cached: { at: number; channels: ChannelListing[] } | null = null;
  private inflight: Promise<ChannelListing[]> | null = null;

  constructor(
    private readonly api: Pick<SlackApi, 'call'>,
    private readonly now: () => number = Date.now,
    private readonly ttlMs = CHANNEL_LIST_TTL_MS,
  ) {}

  async listChannels(opts: { fresh?: boolean } = {}): Promise<ChannelListing[]> {
    if (!opts.fresh && this.cached && this.now() - this.cached.at < this.ttlMs) return this.cached.channels;
    // Concurrent callers share one listing; failures are not kept (the next call tries again).
    this.inflight ??= this.fetchAll().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async fetchAll(): Promise<ChannelListing[]> {
    const out: ChannelListing[] = [];
    let cursor: string | undefined;
    try {
      for (let page = 0; page < MAX_PAGES; page++) {
        const answer = await this.api.call<ListAnswer>('conversations.list', {
          types: 'public_channel,private_channel',
          exclude_archived: true,
          limit: PAGE_LIMIT,
          ...(cursor ? { cursor } : {}),
        });
        for (const c of answer.channels ?? []) {
          if (!c.id || c.is_archived) continue;
          out.push({ platform: PLATFORM_ID, id: c.id, name: c.name ?? c.id, kind: c.is_private ? 'private' : 'public' });
        }
        cursor = answer.response_metadata?.next_cursor || undefined;
        if (!cursor) break;
      }
    } catch (err) {
      const code = platformCode(err);
      throw new PlatformError({
        platform: PLATFORM_ID,
        message: listRefusalReason(code, err instanceof Error ? err.message : String(err)),
        retryable: err instanceof PlatformError ? err.retryable : true,
        platformCode: code,
      });
    }
    out.sort((a, b) => a.name.localeCompare(b.name));
    this.cached = { at: this.now(), channels: out };
    return out;
  }
}
