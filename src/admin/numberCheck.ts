// POST /admin/api/numbers/check {number, provider?, type?}: what POST /admin/api/numbers would
// make of a number, without storing anything, for live validation in the console's Numbers form:
// `{e164, display, type, smsCapable, reasons: [string], provisioned}`. A number that is no phone
// number answers 200 too (e164 null, the problem as the reason): the form shows it as you type.
// The reasons are the same as a stored number's (rule 1: toll-free and virtual numbers unless the
// policy enables them, outside US/CA, porting, a provider not set up), plus a type that
// contradicts the number (POST would refuse it).

import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { BridgeError } from '../core/errors.js';
import { formatForDisplay, parsePhone, toE164 } from '../core/phone.js';
import type { NumberType, ProvisionedNumber } from '../core/types.js';
import { jsonBody } from '../http/body.js';
import { checkType, numberType, numberView, provider } from './numbers.js';
import { nonEmpty, objectBody, parseWith } from './validate.js';

export const numberCheckSchema = z.object({ number: nonEmpty(64), provider: provider.optional(), type: numberType.optional() }).strict();

export interface NumberCheck {
  e164: string | null;
  display: string;
  type: NumberType | null;
  smsCapable: boolean;
  reasons: string[];
  /** Already on this bridge (adding it again would be a 409). */
  provisioned: boolean;
}

export function numberCheckRouter(ctx: AppContext): Router {
  const router = Router();
  router.post('/', ...jsonBody(), async (req, res) => {
    const input = parseWith(numberCheckSchema, objectBody(req.body));
    let e164: string;
    try {
      e164 = toE164(input.number, 'number');
    } catch (err) {
      if (!(err instanceof BridgeError)) throw err;
      res.json({ e164: null, display: input.number.trim(), type: null, smsCapable: false, reasons: [err.message.replace(/^number: /, '')], provisioned: false } satisfies NumberCheck);
      return;
    }
    const reasons: string[] = [];
    // The type the number really has: a contradicting one is a reason, not a failure of the check.
    let type: NumberType;
    try {
      type = checkType(e164, input.type);
    } catch (err) {
      if (!(err instanceof BridgeError)) throw err;
      reasons.push(err.message.replace(/^type: /, ''));
      type = checkType(e164, undefined);
    }
    const candidate: ProvisionedNumber = {
      e164,
      provider: input.provider ?? 'local',
      type,
      status: 'active',
      country: parsePhone(e164).country,
      segmentsPerSecond: null,
      createdAt: ctx.clock.now().toISOString(),
      updatedAt: ctx.clock.now().toISOString(),
    };
    const view = numberView(candidate, await ctx.store.policy.get(), ctx.config);
    // Without a provider named, whether one is set up is not this number's question yet.
    const capability = view.reasons.filter((r) => input.provider !== undefined || r.code !== 'sender_provider_not_configured');
    reasons.push(...capability.map((r) => r.reason));
    const provisioned = (await ctx.store.numbers.get(e164)) !== null;
    res.json({ e164, display: formatForDisplay(e164), type, smsCapable: capability.length === 0, reasons, provisioned } satisfies NumberCheck);
  });
  return router;
}
