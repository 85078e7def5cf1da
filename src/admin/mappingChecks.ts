// Checks on a new mapping beyond its shape: the channel must be the platform's channel id (a
// Slack channel typed by name would never be posted in: Slack wants C0123ABC), and the platform
// must be turned on in this bridge, or nothing mapped to it is ever posted. An admin preparing
// mappings before turning a platform on says so with `"allowOff": true`; the mapping is then
// kept (delivery skips platforms that are off, as before) and the answer carries a warning.

import type { AppContext } from '../app.js';
import { channelDirectory } from '../chat/channelDirectory.js';
import { UnprocessableError } from '../http/errors.js';

/** A Slack channel id: C (public or private) or G (older private channels), then upper-case letters and digits. Names are lower case. */
export const SLACK_CHANNEL_ID = /^[CG][A-Z0-9]+$/;

const HOW_TO_TURN_ON: Record<string, string> = {
  slack: 'set SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET or SLACK_APP_TOKEN',
  teams: 'set TEAMS_APP_ID (and its password or certificate)',
};

/** True when the platform runs in this bridge (the web inbox is built in: always). */
export function platformIsOn(config: AppContext['config'], platform: string): boolean {
  switch (platform) {
    case 'slack':
      return config.slack.enabled;
    case 'teams':
      return config.teams.enabled;
    case 'web':
      return true;
    default:
      return false;
  }
}

/** Why a mapping to this platform would never post anything, or null when it is on. */
export function platformOffReason(config: AppContext['config'], platform: string): string | null {
  if (platformIsOn(config, platform)) return null;
  const how = HOW_TO_TURN_ON[platform];
  return `${platform} is not turned on in this bridge${how ? ` (${how})` : ''}, so nothing mapped to it would be posted`;
}

/** Refuses a Slack channel name in place of an id, naming the id when Slack knows that channel. */
export async function checkSlackChannelId(ctx: AppContext, channel: string, field = 'channel'): Promise<void> {
  if (SLACK_CHANNEL_ID.test(channel)) return;
  const name = channel.replace(/^#/, '').toLowerCase();
  let suggestion = '';
  const slack = ctx.config.slack.enabled ? channelDirectory(ctx).get('slack') : null;
  if (slack) {
    // Best effort: Slack not answering (or not allowed to list) leaves the reason without the id.
    const known = await slack.listChannels().catch(() => []);
    const match = known.find((c) => c.name.toLowerCase() === name);
    if (match) suggestion = ` #${match.name} is ${match.id}: map that.`;
  }
  throw new UnprocessableError(
    `${field}: "${channel}" looks like a Slack channel name; a mapping needs the channel's id, upper-case letters and digits starting with C (or G), e.g. C0123ABC (in Slack: open the channel's details, the id is at the bottom; or pick it from GET /admin/api/channels).${suggestion}`,
    field,
  );
}
