// Number -> chat channel mappings. Only a provisioned number can be mapped (422 otherwise); the
// same (number, platform, channel) twice is a 409. A Slack channel name instead of its id, and a
// platform that is not turned on, are refused (422) with the reason (mappingChecks.ts);
// `"allowOff": true` keeps a mapping to a platform that is off, with a warning.

import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { NotFoundError } from '../core/errors.js';
import { jsonBody } from '../http/body.js';
import { UnprocessableError } from '../http/errors.js';
import { recordAudit } from './audit.js';
import { checkSlackChannelId, platformOffReason } from './mappingChecks.js';
import { nonEmpty, objectBody, parseWith, phoneField } from './validate.js';

export const PLATFORMS = ['slack', 'teams', 'web'] as const;
export const platformSchema = z.enum(PLATFORMS, { message: 'expected "slack", "teams" or "web"' });

/** The built-in web inbox's one channel (adapters/chat/web). */
const WEB_CHANNEL = 'inbox';

export const createMappingSchema = z
  .object({
    number: nonEmpty(64),
    platform: platformSchema,
    // Slack channel id (C0123...), Teams channel conversation id (19:...@thread.tacv2), or the
    // web inbox's `inbox` (the default for platform web).
    channel: nonEmpty(512).optional(),
    /** Map to a platform that is not turned on (yet); the answer then carries `warnings`. */
    allowOff: z.boolean({ message: 'expected true or false' }).optional(),
  })
  .strict()
  .superRefine((v, issue) => {
    if (v.platform === 'web' && v.channel !== undefined && v.channel !== WEB_CHANNEL) {
      issue.addIssue({ code: 'custom', path: ['channel'], message: `the web inbox has one channel, "${WEB_CHANNEL}"` });
    }
    if (v.platform !== 'web' && v.channel === undefined) issue.addIssue({ code: 'invalid_type', expected: 'string', received: 'undefined', path: ['channel'] });
  })
  .transform((v) => ({ ...v, channel: v.channel ?? WEB_CHANNEL }));

export const listMappingsQuery = z
  .object({ number: z.string().optional(), platform: platformSchema.optional(), channel: z.string().optional() })
  .strict();

export function mappingsRouter(ctx: AppContext): Router {
  const { store } = ctx;
  const router = Router();

  router.get('/', async (req, res) => {
    const q = parseWith(listMappingsQuery, req.query);
    const number = q.number ? phoneField(q.number, 'number') : undefined;
    res.json(await store.mappings.list({ number, platform: q.platform, channel: q.channel }));
  });

  router.post('/', ...jsonBody(), async (req, res) => {
    const input = parseWith(createMappingSchema, objectBody(req.body));
    const number = phoneField(input.number, 'number');
    if (input.platform === 'slack') await checkSlackChannelId(ctx, input.channel);
    const off = platformOffReason(ctx.config, input.platform);
    if (off && !input.allowOff) {
      throw new UnprocessableError(`platform: ${off}. Turn it on first, or send "allowOff": true to map ahead of turning it on.`, 'platform');
    }
    const mapping = await store.transaction(async () => {
      if (!(await store.numbers.get(number))) {
        throw new UnprocessableError(`number: ${number} is not a provisioned number; add it first (POST /admin/api/numbers)`, 'number');
      }
      const m = await store.mappings.create({ number, platform: input.platform, channel: input.channel });
      await recordAudit(ctx, res, 'mapping.create', m.id, null, m);
      return m;
    });
    // Texts of the number that no chat showed yet go to the new channel (in order).
    await ctx.afterMapped?.(number);
    res.status(201).location(`/admin/api/mappings/${mapping.id}`).json(off ? { ...mapping, warnings: [`${off}; turn it on for this mapping to take effect.`] } : mapping);
  });

  router.get('/:id', async (req, res) => {
    const m = await store.mappings.get(req.params.id);
    if (!m) throw new NotFoundError(`No mapping ${req.params.id}.`);
    res.json(m);
  });

  router.delete('/:id', async (req, res) => {
    await store.transaction(async () => {
      const before = await store.mappings.get(req.params.id);
      if (!before) throw new NotFoundError(`No mapping ${req.params.id}.`);
      await store.mappings.remove(before.id);
      await recordAudit(ctx, res, 'mapping.delete', before.id, before, null);
    });
    res.status(204).end();
  });

  return router;
}
