// Provisioned numbers. Every response says whether the number can carry SMS and, when not,
// every reason (toll-free, virtual, porting, outside US/CA, its provider not set up on this
// bridge), from the core's smsCapability.

import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import type { Refusal } from '../core/errors.js';
import { NotFoundError } from '../core/errors.js';
import { providerNotConfigured, smsCapability } from '../core/capability.js';
import { parsePhone } from '../core/phone.js';
import type { NumberType, Policy, ProvisionedNumber } from '../core/types.js';
import { smsProviderConfigured, type Config } from '../config.js';
import { jsonBody } from '../http/body.js';
import { UnprocessableError } from '../http/errors.js';
import { recordAudit } from './audit.js';
import { nonEmpty, objectBody, parseWith, phoneField } from './validate.js';

export const provider = z.enum(['twilio', '8x8', 'local'], { message: 'expected "twilio", "8x8" or "local"' });
export const numberType = z.enum(['local', 'toll-free', 'virtual'], { message: 'expected "local", "toll-free" or "virtual"' });
export const numberStatus = z.enum(['active', 'porting'], { message: 'expected "active" or "porting"' });
const segmentsPerSecond = z
  .number({ message: 'expected a number of segments per second, or null' })
  .positive('must be greater than 0')
  .max(1000, 'at most 1000')
  .nullable();

export const createNumberSchema = z
  .object({
    number: nonEmpty(64),
    provider,
    type: numberType.optional(),
    status: numberStatus.optional(),
    segmentsPerSecond: segmentsPerSecond.optional(),
  })
  .strict();

export const patchNumberSchema = z
  .object({ provider, type: numberType, status: numberStatus, segmentsPerSecond })
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, { message: 'nothing to change: give provider, type, status or segmentsPerSecond' });

export interface NumberView extends ProvisionedNumber {
  /** Same as e164; every admin resource names its phone number `number`. */
  number: string;
  smsCapable: boolean;
  /** Every reason the number cannot send SMS; empty when it can. */
  reasons: Refusal[];
}

export function numberView(n: ProvisionedNumber, policy: Policy, config: Config): NumberView {
  const reasons = smsCapability(n, policy).refusals;
  if (!smsProviderConfigured(config, n.provider)) reasons.push(providerNotConfigured(n.e164, n.provider));
  return { number: n.e164, ...n, smsCapable: reasons.length === 0, reasons };
}

/** A toll-free number is toll-free whatever the admin calls it: capability depends on it. */
export function checkType(e164: string, type: NumberType | undefined): NumberType {
  const tollFree = parsePhone(e164).kind === 'toll-free';
  if (type === undefined) return tollFree ? 'toll-free' : 'local';
  if (tollFree && type !== 'toll-free') {
    throw new UnprocessableError(`type: ${e164} is a toll-free number, so its type is "toll-free"`, 'type');
  }
  if (!tollFree && type === 'toll-free') {
    throw new UnprocessableError(`type: ${e164} is not a toll-free number`, 'type');
  }
  return type;
}

export function numbersRouter(ctx: AppContext): Router {
  const { store } = ctx;
  const router = Router();

  router.get('/', async (_req, res) => {
    const policy = await store.policy.get();
    res.json((await store.numbers.list()).map((n) => numberView(n, policy, ctx.config)));
  });

  router.post('/', ...jsonBody(), async (req, res) => {
    const body = objectBody(req.body);
    // A number that is not text at all is a field error (422); text that is no phone number, 400.
    const input = parseWith(createNumberSchema, body);
    const e164 = phoneField(input.number, 'number');
    const type = checkType(e164, input.type);
    const created = await store.transaction(async () => {
      const n = await store.numbers.create({
        e164,
        provider: input.provider,
        type,
        status: input.status ?? 'active',
        country: parsePhone(e164).country,
        segmentsPerSecond: input.segmentsPerSecond ?? null,
      });
      await recordAudit(ctx, res, 'number.create', e164, null, n);
      return n;
    });
    res.status(201).location(`/admin/api/numbers/${encodeURIComponent(e164)}`).json(numberView(created, await store.policy.get(), ctx.config));
  });

  router.get('/:number', async (req, res) => {
    const e164 = phoneField(String(req.params.number), 'number');
    const n = await store.numbers.get(e164);
    if (!n) throw new NotFoundError(`${e164} is not a provisioned number.`);
    res.json(numberView(n, await store.policy.get(), ctx.config));
  });

  router.patch('/:number', ...jsonBody(), async (req, res) => {
    const e164 = phoneField(String(req.params.number), 'number');
    const patch = parseWith(patchNumberSchema, objectBody(req.body));
    const updated = await store.transaction(async () => {
      const before = await store.numbers.get(e164);
      if (!before) throw new NotFoundError(`${e164} is not a provisioned number.`);
      if (patch.type !== undefined) checkType(e164, patch.type);
      const after = await store.numbers.update(e164, patch);
      if (!after) throw new NotFoundError(`${e164} is not a provisioned number.`);
      await recordAudit(ctx, res, 'number.update', e164, before, after);
      return after;
    });
    res.json(numberView(updated, await store.policy.get(), ctx.config));
  });

  router.delete('/:number', async (req, res) => {
    const e164 = phoneField(String(req.params.number), 'number');
    await store.transaction(async () => {
      const before = await store.numbers.get(e164);
      if (!before) throw new NotFoundError(`${e164} is not a provisioned number.`);
      // The store drops the number's mappings with it; keep them in the audit record.
      const mappings = await store.mappings.list({ number: e164 });
      await store.numbers.remove(e164);
      await recordAudit(ctx, res, 'number.delete', e164, { ...before, mappings }, null);
    });
    res.status(204).end();
  });

  return router;
}
