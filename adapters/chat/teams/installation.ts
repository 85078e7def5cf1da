// Installation events: where the bot may post.
//
// - The app is added to a team (conversationUpdate teamMemberAdded with the bot among
//   membersAdded, or installationUpdate action "add"): the team's General channel reference is
//   stored, and the team's other channels are fetched (GET /v3/teams/{id}/conversations) so an
//   admin can map numbers to any of them.
// - channelCreated / channelRenamed / channelRestored: that channel is stored (or renamed).
// - channelDeleted: that channel is marked removed; the bot removed from the team
//   (teamMemberRemoved with the bot, installationUpdate "remove"), or teamDeleted: every channel of
//   the team is marked removed. Rows are kept (removed_at), history stays readable.
// Personal and group-chat installs are not channels and are ignored.

import type { ChatLogger } from '../../../src/delivery/logger.js';
import type { BotConnectorClient } from './connector.js';
import { channelDataOf, referenceFrom, splitConversationId, type ActivityLike } from './activity.js';
import type { TeamsChannels } from './channels.js';

export interface InstallationDeps {
  channels: TeamsChannels;
  connector: BotConnectorClient;
  logger: ChatLogger;
}

function isChannelScope(a: ActivityLike): boolean {
  const t = a.conversation.conversationType;
  return (t === undefined || t === null || t === 'channel') && !!channelDataOf(a).team?.id;
}

function includesBot(members: { id: string }[] | undefined, botId: string): boolean {
  return (members ?? []).some((m) => m.id === botId);
}

/** The bot was added to a team: store General and, best effort, the team's other channels. */
export async function installInTeam(deps: InstallationDeps, a: ActivityLike): Promise<void> {
  const cd = channelDataOf(a);
  const teamId = cd.team!.id!;
  const general = splitConversationId(a.conversation.id).channel;
  const selected = cd.settings?.selectedChannel;
  await deps.channels.save(referenceFrom(a, { id: general, name: general === teamId ? 'General' : null }));
  if (selected?.id) await deps.channels.save(referenceFrom(a, { id: selected.id, name: selected.name ?? null }));
  try {
    const list = await deps.connector.getTeamChannels(a.serviceUrl, teamId);
    for (const c of list) {
      // The General channel comes back without a name.
      await deps.channels.save(referenceFrom(a, { id: c.id, name: c.name ?? (c.id === teamId ? 'General' : null) }));
    }
  } catch (err) {
    deps.logger.warn({ teamId, err: err instanceof Error ? err.message : String(err) }, 'teams: could not list the team\'s channels');
  }
  deps.logger.info({ teamId }, 'teams: installed in team');
}

export async function handleConversationUpdate(deps: InstallationDeps, a: ActivityLike): Promise<void> {
  if (!isChannelScope(a)) return;
  const cd = channelDataOf(a);
  const teamId = cd.team!.id!;
  const botId = a.recipient.id;
  switch (cd.eventType) {
    case 'channelCreated':
    case 'channelRenamed':
    case 'channelRestored':
      if (cd.channel?.id) await deps.channels.save(referenceFrom(a, { id: cd.channel.id, name: cd.channel.name ?? null }));
      return;
    case 'channelDeleted':
      if (cd.channel?.id) await deps.channels.markRemoved(cd.channel.id);
      return;
    case 'teamDeleted':
    case 'teamHardDeleted':
      await deps.channels.markTeamRemoved(teamId);
      return;
    case 'teamRenamed':
      for (const c of await deps.channels.list()) {
        if (c.teamId === teamId) await deps.channels.save({ ...c, teamName: cd.team?.name ?? c.teamName });
      }
      return;
    default:
      break;
  }
  // teamMemberAdded / teamMemberRemoved (or no eventType): only the bot's own membership matters.
  if (includesBot(a.membersAdded, botId)) await installInTeam(deps, a);
  else if (includesBot(a.membersRemoved, botId)) {
    await deps.channels.markTeamRemoved(teamId);
    deps.logger.info({ teamId }, 'teams: removed from team');
  }
}

export async function handleInstallationUpdate(deps: InstallationDeps, a: ActivityLike): Promise<void> {
  if (!isChannelScope(a)) return;
  const action = a.action ?? '';
  if (action === 'add' || action === 'add-upgrade') await installInTeam(deps, a);
  else if (action === 'remove') {
    // ("remove-upgrade" is half of an app upgrade, not an uninstall.)
    const teamId = channelDataOf(a).team!.id!;
    await deps.channels.markTeamRemoved(teamId);
    deps.logger.info({ teamId }, 'teams: app uninstalled from team');
  }
}
