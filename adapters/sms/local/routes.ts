// Dev-phone routes of the local provider, behind the admin bearer token:
//   POST /admin/api/dev/inbound  {from, to, body, mediaUrls?, media?, id?}: a contact "texts" us,
//        through the same ingest path as a real provider webhook. Refused for a number provisioned
//        with a real provider: no one holding the admin token can put words (or a STOP) in the
//        mouth of a real contact of a real number; only local and unprovisioned numbers play;
//   POST /admin/api/dev/status   {providerMessageId, status, errorCode?, reason?}: a delivery receipt;
//   GET  /admin/api/dev/outbox   what the bridge "sent".
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { InvalidInputError } from '../../../src/core/errors.js';
import { parsePhone } from '../../../src/core/phone.js';
import type { Store } from '../../../src/core/ports.js';
import type { Ingest } from '../shared/ingest.js';
import type { SmsMetrics } from '../shared/metrics.js';
import { bodyText, rawBody, webhookErrorHandler } from '../shared/webhookHttp.js';
import { LOCAL_PROVIDER_ID, type LocalSmsProvider } from './provider.js';

export const LOCAL_INBOUND_PATH = '/admin/api/dev/inbound';
export const LOCAL_STATUS_PATH = '/admin/api/dev/status';
export const LOCAL_OUTBOX_PATH = '/admin/api/dev/outbox';

const text = z.string().trim().min(1).max(200);
export const inboundSchema = z.object({
  id: z.string().trim().min(1).max(200).optional(),
  from: text,
  to: text,
  body: z.string().max(100_000).default(''),
  mediaUrls: z.array(z.string().min(1).max(4096)).max(10).optional(),
  media: z.array(z.object({ url: z.string().min(1).max(4096), contentType: z.string().max(200).nullish() })).max(10).optional(),
});
export const statusSchema = z.object({
  providerMessageId: text,
  status: z.enum(['queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed']),
  errorCode: z.string().max(100).nullish(),
  reason: z.string().max(1000).nullish(),
});

function parseJson<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, raw: string): T {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new InvalidInputError('body is not valid JSON', 'body');
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue?.path.join('.') || 'body';
    throw new InvalidInputError(`${field}: ${issue?.message ?? 'invalid'}`, field);
  }
  return r.data;
}

export interface LocalRoutesOptions {
  provider: LocalSmsProvider;
  /** requireAdmin(ADMIN_TOKEN) from src/admin/auth.ts. */
  requireAdmin: RequestHandler;
  ingest: Ingest;
  /** To tell a real provider's number (refused as the target of an injected text). */
  numbers: Pick<Store['numbers'], 'get'>;
  logger: Logger;
  metrics: SmsMetrics;
}

export function createLocalRouter(opts: LocalRoutesOptions): Router {
  const router = Router();

  router.post(LOCAL_INBOUND_PATH, opts.requireAdmin, ...rawBody(), async (req, res) => {
    const input = parseJson(inboundSchema, bodyText(req));
    const number = await opts.numbers.get(parsePhone(input.to).e164 ?? input.to.trim());
    if (number && number.provider !== LOCAL_PROVIDER_ID) {
      throw new InvalidInputError(
        `to: ${number.e164} is a ${number.provider} number; the dev routes only inject texts to local (or unprovisioned) numbers, never in the name of a real contact`,
        'to',
      );
    }
    const media = [
      ...(input.media ?? []).map((m) => ({ url: m.url, contentType: m.contentType ?? null })),
      ...(input.mediaUrls ?? []).map((url) => ({ url, contentType: null })),
    ];
    const out = await opts.ingest.inbound({
      provider: LOCAL_PROVIDER_ID,
      providerMessageId: input.id ?? `local-in-${randomUUID()}`,
      from: input.from,
      to: input.to,
      body: input.body,
      media,
    });
    res.status(out.duplicate ? 200 : 201).json({
      messageId: out.message.id,
      conversationId: out.conversationId,
      providerMessageId: out.message.providerMessageId,
      duplicate: out.duplicate,
      routed: out.routed,
    });
  });

  router.post(LOCAL_STATUS_PATH, opts.requireAdmin, ...rawBody(), async (req, res) => {
    const input = parseJson(statusSchema, bodyText(req));
    const out = await opts.ingest.status({
      provider: LOCAL_PROVIDER_ID,
      providerMessageId: input.providerMessageId,
      status: input.status,
      errorCode: input.errorCode ?? null,
      reason: input.reason ?? null,
    });
    res.status(200).json({ changed: out.changed, messageId: out.message?.id ?? null, status: out.message?.status ?? null });
  });

  router.get(LOCAL_OUTBOX_PATH, opts.requireAdmin, async (_req, res) => {
    res.status(200).json(await opts.provider.outbox());
  });

  router.use([LOCAL_INBOUND_PATH, LOCAL_STATUS_PATH], webhookErrorHandler(LOCAL_PROVIDER_ID, opts.logger, opts.metrics));
  return router;
}
