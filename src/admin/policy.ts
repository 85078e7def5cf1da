// Company-wide policy: GET it, PUT a partial update (only the fields given change; nested `mms`
// and `throughput` merge field by field). Unknown fields are refused so a typo never passes
// silently as "no change". Both answer with the policy's ETag; a PUT carrying If-Match is refused
// (412, nothing changed) when the policy changed since that tag was read, so an admin saving the
// whole document from the console cannot undo another admin's change unseen.

import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { StaleVersionError } from '../core/errors.js';
import { jsonBody } from '../http/body.js';
import { entityTag, ifMatchAllows } from '../http/etag.js';
import { recordAudit } from './audit.js';
import { objectBody, parseWith } from './validate.js';
import { platformSchema } from './mappings.js';
import { checkSlackChannelId } from './mappingChecks.js';

const bool = z.boolean({ message: 'expected true or false' });
const mimeType = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9*][a-z0-9!#$&^_.+*-]*$/, 'expected a media type like image/jpeg');

export const policyPatch = z
  .object({
    smsEnabled: bool,
    maxSegments: z.number().int('expected an integer').min(1, 'at least 1').max(100, 'at most 100'),
    internalNotePrefix: z.string().trim().min(1, 'must not be empty').max(16, 'at most 16 characters'),
    tollFreeSmsCapable: bool,
    virtualSmsCapable: bool,
    mms: z
      .object({
        maxFiles: z.number().int('expected an integer').min(0, 'at least 0').max(100, 'at most 100'),
        maxTotalBytes: z.number().int('expected an integer').min(0, 'at least 0').max(100 * 1024 * 1024, 'at most 100 MB'),
        allowedTypes: z.array(mimeType).max(200, 'at most 200 types'),
      })
      .partial()
      .strict(),
    throughput: z
      .object({
        local: z.number().positive('must be greater than 0').max(1000, 'at most 1000'),
        tollFree: z.number().positive('must be greater than 0').max(1000, 'at most 1000'),
      })
      .partial()
      .strict(),
    fallback: z
      .object({ platform: platformSchema, channel: z.string().trim().min(1, 'must not be empty').max(512) })
      .strict()
      .nullable(),
  })
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, { message: 'nothing to change: give at least one policy field' });

export function policyRouter(ctx: AppContext): Router {
  const { store } = ctx;
  const router = Router();

  router.get('/', async (_req, res) => {
    const policy = await store.policy.get();
    res.set('ETag', entityTag(policy)).json(policy);
  });

  router.put('/', ...jsonBody(), async (req, res) => {
    const input = parseWith(policyPatch, objectBody(req.body));
    // A fallback channel typed by name would never be posted in, like a mapping's (mappingChecks.ts).
    if (input.fallback?.platform === 'slack') await checkSlackChannelId(ctx, input.fallback.channel, 'fallback.channel');
    const after = await store.transaction(async () => {
      const before = await store.policy.get();
      // Checked inside the write transaction: no other save can come between check and write.
      if (!ifMatchAllows(req.get('if-match'), entityTag(before))) {
        throw new StaleVersionError('The policy was changed since you read it (by another admin or another tab); nothing was saved. Reload it and make your change again.');
      }
      // Only the fields given, groups included: the store merges them over the admin's earlier
      // ones, so a field nobody set keeps following the bridge's default (PolicyPatch).
      const updated = await store.policy.update(input);
      await recordAudit(ctx, res, 'policy.update', 'policy', before, updated);
      return updated;
    });
    res.set('ETag', entityTag(after)).json(after);
  });

  return router;
}
