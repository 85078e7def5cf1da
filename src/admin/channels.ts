// GET /admin/api/channels: every channel a number can be mapped to, for the console's mapping
// picker: `[{platform, id, name, kind}]` (Teams channels add `team`). Slack's come from
// conversations.list (public and private, kept ~30 s; `?refresh=true` asks Slack again), Teams'
// from the teams the bot is installed in, and the web inbox is always there. When a platform
// refuses to list its channels (e.g. Slack missing_scope), the answer is a 502 whose message says
// what to do, with the channels that could be listed in `details.channels`.

import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { channelDirectory, WEB_INBOX, type ChannelListing } from '../chat/channelDirectory.js';
import { sendError } from '../http/errors.js';
import { parseWith } from './validate.js';

export const channelsQuery = z
  .object({
    platform: z.string().trim().min(1).max(32).optional(),
    refresh: z.enum(['true', 'false', '1', '0'], { message: 'expected true or false' }).optional(),
  })
  .strict();

export interface ChannelProblem {
  platform: string;
  /** The platform's own code (Slack's `missing_scope`), or null. */
  code: string | null;
  message: string;
}

/** Every platform's channels (web inbox included) and the platforms that could not list theirs. */
export async function listAllChannels(ctx: object, opts: { platform?: string; fresh?: boolean } = {}): Promise<{ channels: ChannelListing[]; problems: ChannelProblem[] }> {
  const channels: ChannelListing[] = [];
  const problems: ChannelProblem[] = [];
  const sources = channelDirectory(ctx)
    .list()
    .filter((s) => !opts.platform || s.platform === opts.platform);
  const results = await Promise.allSettled(sources.map((s) => s.listChannels({ fresh: opts.fresh })));
  results.forEach((r, i) => {
    const platform = sources[i]!.platform;
    if (r.status === 'fulfilled') channels.push(...r.value);
    else {
      const err = r.reason as { message?: string; details?: { platformCode?: string | null } };
      problems.push({ platform, code: err.details?.platformCode ?? null, message: err.message ?? String(r.reason) });
    }
  });
  if ((!opts.platform || opts.platform === WEB_INBOX.platform) && !channels.some((c) => c.platform === WEB_INBOX.platform && c.id === WEB_INBOX.id)) {
    channels.push(WEB_INBOX);
  }
  return { channels, problems };
}

export function channelsRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const q = parseWith(channelsQuery, req.query);
    const fresh = q.refresh === 'true' || q.refresh === '1';
    const { channels, problems } = await listAllChannels(ctx, { platform: q.platform, fresh });
    if (problems.length > 0) {
      ctx.logger.warn({ problems: problems.map((p) => ({ platform: p.platform, code: p.code })) }, 'admin: a chat platform could not list its channels');
      sendError(res, 502, 'platform_error', problems.map((p) => p.message).join(' '), { details: { problems, channels } });
      return;
    }
    res.json(channels);
  });
  return router;
}
