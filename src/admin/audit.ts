// The audit log: every change through the admin API is recorded with who made it (the name the
// admin guard recorded for the request: a console session's name, else "admin"), what it was
// before and after. Read back with GET /admin/api/audit, each entry with a `targetLabel` people
// can read ("(415) 555-2671 → slack C0123ABC" rather than a mapping's id).

import { Router, type Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import type { AuditEntry } from '../core/ports.js';
import { formatForDisplay } from '../core/phone.js';
import { adminIdentity } from './identity.js';
import { parseWith, limitParam } from './validate.js';

export const auditQuery = z.object({ limit: z.string().optional() }).strict();

/** Records one change, attributed to the admin making the request. */
export async function recordAudit(ctx: Pick<AppContext, 'store'>, res: Response, action: string, target: string, before: unknown, after: unknown): Promise<void> {
  await ctx.store.audit.record({ actor: adminIdentity(res).name, action, target, before, after });
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
const phone = (v: unknown): string | null => (text(v) ? formatForDisplay(v as string) : null);

/** The entry's target as a person reads it: numbers formatted, mappings as "number → platform channel". */
export function targetLabel(entry: Pick<AuditEntry, 'action' | 'target' | 'before' | 'after'>): string {
  const state = isRecord(entry.after) ? entry.after : isRecord(entry.before) ? entry.before : {};
  const kind = entry.action.split('.')[0];
  switch (kind) {
    case 'number':
      return phone(entry.target) ?? entry.target;
    case 'mapping': {
      const n = phone(state.number);
      return n ? `${n} → ${text(state.platform) ?? '?'} ${text(state.channel) ?? '?'}` : entry.target;
    }
    case 'user': {
      const [platform, ...rest] = entry.target.split(':');
      return rest.length > 0 ? `${platform} user ${rest.join(':')}` : entry.target;
    }
    case 'policy':
      return 'company policy';
    case 'message': {
      // A send from the web inbox names its contact and number.
      const to = phone(state.contact);
      const from = phone(state.number);
      return to && from ? `text to ${to} from ${from}` : `message ${entry.target}`;
    }
    default:
      return entry.target;
  }
}

export function auditRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const q = parseWith(auditQuery, req.query);
    const entries = await ctx.store.audit.list({ limit: limitParam(q.limit) });
    res.json(entries.map((e) => ({ ...e, targetLabel: targetLabel(e) })));
  });
  return router;
}
