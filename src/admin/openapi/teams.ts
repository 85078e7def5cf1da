// Teams channels the bot knows (adapters/chat/teams/adminRouter.ts; mounted only when Teams is
// configured). Nothing here imports the Teams adapter: chat adapters load only when configured.

import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { ADMIN, json, registerAdmin } from './common.js';
import { z } from './zod.js';

export const teamsChannel = z
  .object({
    channel: z.string().openapi({ description: 'Use as `channel` in POST /admin/api/mappings.', example: '19:abc@thread.tacv2' }),
    name: z.string().nullable(),
    teamId: z.string().nullable(),
    teamName: z.string().nullable(),
    tenantId: z.string().nullable(),
    serviceUrl: z.string(),
    installedAt: z.string(),
    removedAt: z.string().nullable(),
    numbers: z.array(z.string()).openapi({ description: 'Numbers mapped to this channel.' }),
  })
  .strict()
  .openapi('TeamsChannel');

export function registerTeams(r: OpenAPIRegistry): void {
  registerAdmin(r, {
    method: 'get',
    path: `${ADMIN}/teams/channels`,
    operationId: 'listTeamsChannels',
    tags: ['channels'],
    summary: 'Teams channels the bot is installed in (404 when Teams is not configured)',
    request: {
      query: z.object({ includeRemoved: z.enum(['true', '1']).optional().openapi({ description: 'Also list channels the bot was removed from.' }) }),
    },
    responses: { 200: json('The channels, with the numbers mapped to each.', z.array(teamsChannel)) },
  });
}
