// GET /admin/api/teams/channels: the Teams channels the bot knows, so an admin can map a number
// to one (`POST /admin/api/mappings {platform: "teams", channel: <channel>}`).
// `?includeRemoved=true` also lists channels the bot was removed from.
// The router carries its full path and takes the admin auth middleware, so it mounts with
// `app.use(teamsChannelsRouter(...))` before the admin API.

import { Router, type RequestHandler } from 'express';
import type { MappingRepo } from '../../../src/core/ports.js';
import type { TeamsChannels } from './channels.js';
import { TEAMS_PLATFORM } from './connector.js';

export function teamsChannelsRouter(deps: { channels: TeamsChannels; mappings: MappingRepo; requireAdmin: RequestHandler }): Router {
  const router = Router();
  router.get('/admin/api/teams/channels', deps.requireAdmin, async (req, res) => {
    const includeRemoved = req.query.includeRemoved === 'true' || req.query.includeRemoved === '1';
    const mapped = await deps.mappings.list({ platform: TEAMS_PLATFORM });
    const channels = await deps.channels.list({ includeRemoved });
    res.set('Cache-Control', 'no-store');
    res.json(
      channels.map((c) => ({
        channel: c.channelId,
        name: c.channelName,
        teamId: c.teamId,
        teamName: c.teamName,
        tenantId: c.tenantId,
        serviceUrl: c.serviceUrl,
        installedAt: c.installedAt,
        removedAt: c.removedAt,
        numbers: mapped.filter((m) => m.channel === c.channelId).map((m) => m.number),
      })),
    );
  });
  return router;
}
