// GET /admin/api/optouts?number=: the contacts opted out now (they texted STOP or another
// STOP-family keyword, rule 12, and have not texted START since), per bridge number when
// `number` is given (any format), ordered by number then contact, `?limit=` (default 100) at a
// time with a Link rel="next". Each: {number, contact, keyword, since}.

import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { cursorParam, decodeKey, encodeKey, linkNext } from './paging.js';
import { limitParam, parseWith, phoneField } from './validate.js';

export const optOutsQuery = z.object({ number: z.string().trim().min(1).max(64).optional(), limit: z.string().optional(), cursor: cursorParam.optional() }).strict();

export function optOutsRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const q = parseWith(optOutsQuery, req.query);
    const number = q.number ? phoneField(q.number, 'number') : undefined;
    const limit = limitParam(q.limit);
    const after = q.cursor ? decodeKey(q.cursor, 2) : null;
    const rows = await ctx.store.optOuts.listOptedOut({ number, limit: limit + 1, after: after ? { number: after[0]!, contact: after[1]! } : undefined });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    if (rows.length > limit && last) linkNext(req, res, { number, limit: String(limit) }, encodeKey([last.number, last.contact]));
    res.json(page);
  });
  return router;
}
