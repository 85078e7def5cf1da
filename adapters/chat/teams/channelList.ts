// The Teams channels numbers can be mapped to: those of the teams the bot is installed in, as
// installation events recorded them (installation.ts; removed ones are left out).

import type { ChannelListing, ChannelSource } from '../../../src/chat/channelDirectory.js';
import type { TeamsChannels } from './channels.js';
import { TEAMS_PLATFORM } from './connector.js';

export function teamsChannelSource(channels: Pick<TeamsChannels, 'list'>): ChannelSource {
  return {
    platform: TEAMS_PLATFORM,
    async listChannels(): Promise<ChannelListing[]> {
      return (await channels.list())
        .map((c) => ({ platform: TEAMS_PLATFORM, id: c.channelId, name: c.channelName ?? c.channelId, kind: 'channel', team: c.teamName ?? c.teamId }))
        .sort((a, b) => `${a.team ?? ''}/${a.name}`.localeCompare(`${b.team ?? ''}/${b.name}`));
    },
  };
}
