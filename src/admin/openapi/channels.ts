// The channels a number can be mapped to (src/admin/channels.ts), for the console's mapping picker.

import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { channelsQuery } from '../channels.js';
import { ADMIN, errors, json, registerAdmin } from './common.js';
import { z } from './zod.js';

export const channelResource = z
  .object({
    platform: z.enum(['slack', 'teams', 'web']),
    id: z.string().openapi({ description: "What a mapping's `channel` must be.", example: 'C0123ABC' }),
    name: z.string().openapi({ description: 'As people know it (Slack without the #).', example: 'support' }),
    kind: z.string().openapi({ description: '"public" or "private" (Slack), "channel" (Teams), "inbox" (web).' }),
    team: z.string().nullable().optional().openapi({ description: 'The team of a Teams channel.' }),
  })
  .strict()
  .openapi('Channel');

export function registerChannels(r: OpenAPIRegistry): void {
  registerAdmin(r, {
    method: 'get',
    path: `${ADMIN}/channels`,
    operationId: 'listChannels',
    tags: ['mappings'],
    summary: "Channels a number can be mapped to: Slack's (public and private, cached ~30 s; refresh=true asks again), Teams channels of installed teams, and the web inbox",
    request: { query: channelsQuery },
    responses: {
      200: json('The channels.', z.array(channelResource)),
      ...errors(422, 502),
    },
  });
}
