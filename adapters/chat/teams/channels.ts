// Teams channels the bot is installed in, kept in chat_channels (platform "teams").
//
// Posting proactively into a channel needs its conversation reference: the serviceUrl of the
// connector for that tenant/region, the channel's conversation id, the tenant and team. Teams hands
// these to the bot in the activities it sends (installation, channel events, messages); we keep the
// latest one per channel. Admins pick a channel id from this list when mapping a number.

import type { ChatChannel, ChatChannelRepo } from '../../../src/infra/store/repos/chatChannels.js';
import { PlatformError } from '../../../src/core/errors.js';
import { TEAMS_PLATFORM } from './connector.js';
import type { ServiceUrlPolicy } from './trust.js';

export interface TeamsChannelReference {
  serviceUrl: string;
  /** Channel conversation id, e.g. "19:abc@thread.tacv2". */
  channelId: string;
  channelName: string | null;
  tenantId: string | null;
  teamId: string | null;
  teamName: string | null;
  /** The bot as Teams addresses it ("28:<app id>"), used as `from`/`bot` when posting. */
  botId: string | null;
  botName: string | null;
}

export interface TeamsChannelInfo extends TeamsChannelReference {
  installedAt: string;
  removedAt: string | null;
}

function isReference(value: unknown): value is TeamsChannelReference {
  const v = value as Partial<TeamsChannelReference> | null;
  return typeof v === 'object' && v !== null && typeof v.serviceUrl === 'string' && typeof v.channelId === 'string';
}

function toInfo(row: ChatChannel): TeamsChannelInfo | null {
  if (!isReference(row.reference)) return null;
  return { ...row.reference, channelName: row.reference.channelName ?? row.name, installedAt: row.installedAt, removedAt: row.removedAt };
}

export class TeamsChannels {
  constructor(
    private readonly repo: ChatChannelRepo,
    /** Only references on these serviceUrls are kept (the route refuses other activities first). */
    private readonly serviceUrls: ServiceUrlPolicy,
  ) {}

  /**
   * Records (or refreshes, or revives) a channel the bot can post in. False, and nothing written,
   * for a serviceUrl outside the allowed hosts: the stored reference stays as it was.
   */
  async save(ref: TeamsChannelReference): Promise<boolean> {
    if (!this.serviceUrls.allows(ref.serviceUrl)) return false;
    const existing = await this.repo.get(TEAMS_PLATFORM, ref.channelId);
    const old = existing && isReference(existing.reference) ? existing.reference : null;
    // Partial events (a message carries no channel name) must not erase what we knew.
    const merged: TeamsChannelReference = {
      serviceUrl: ref.serviceUrl,
      channelId: ref.channelId,
      channelName: ref.channelName ?? old?.channelName ?? null,
      tenantId: ref.tenantId ?? old?.tenantId ?? null,
      teamId: ref.teamId ?? old?.teamId ?? null,
      teamName: ref.teamName ?? old?.teamName ?? null,
      botId: ref.botId ?? old?.botId ?? null,
      botName: ref.botName ?? old?.botName ?? null,
    };
    if (existing && existing.removedAt === null && old && JSON.stringify(old) === JSON.stringify(merged)) return true;
    await this.repo.upsert({ platform: TEAMS_PLATFORM, channel: ref.channelId, name: merged.channelName, reference: merged });
    return true;
  }

  markRemoved(channelId: string): Promise<boolean> {
    return this.repo.markRemoved(TEAMS_PLATFORM, channelId);
  }

  /** The bot left the team (or the app was uninstalled): every channel of that team is gone. */
  async markTeamRemoved(teamId: string): Promise<number> {
    let n = 0;
    for (const c of await this.list()) {
      if (c.teamId === teamId || c.channelId === teamId) n += (await this.markRemoved(c.channelId)) ? 1 : 0;
    }
    return n;
  }

  async get(channelId: string): Promise<TeamsChannelInfo | null> {
    const row = await this.repo.get(TEAMS_PLATFORM, channelId);
    return row ? toInfo(row) : null;
  }

  async list(opts: { includeRemoved?: boolean } = {}): Promise<TeamsChannelInfo[]> {
    return (await this.repo.list({ platform: TEAMS_PLATFORM, includeRemoved: opts.includeRemoved ?? false }))
      .map(toInfo)
      .filter((c): c is TeamsChannelInfo => c !== null);
  }

  /** The reference to post with; a PlatformError (not retryable) when the bot is not there. */
  async require(channelId: string): Promise<TeamsChannelReference> {
    const info = await this.get(channelId);
    if (!info || info.removedAt !== null) {
      throw new PlatformError({
        platform: TEAMS_PLATFORM,
        message: `the bot is not installed in Teams channel ${channelId} (add the app to the team, then map again)`,
        retryable: false,
        platformCode: 'channel_not_installed',
      });
    }
    return info;
  }
}
