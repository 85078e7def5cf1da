// Dev-phone routes of the local provider, behind the admin bearer token:
//   POST /admin/api/dev/inbound  {from, to, body, mediaUrls?, media?, id?}: a contact "texts" us,
//        through the same ingest path as a real provider webhook. Refused for a number provisioned
//        with a real provider: no one holding the admin token can put words (or a STOP) in the
//        mouth of a real contact of a real number; only local and unprovisioned numbers play;
//   POST /admin/api/dev/status   {providerMessageId, status, errorCode?, reason?}: a delivery receipt;
//        Pictures: `media: [{dataUrl}]` (base64 data: URLs) or a multipart form (fields from, to,
//        body, id; pictures in `files`), within the MMS policy's count, size and types; stored
//        through the normal inbound media path (the fetcher accepts data: URLs from this
//        provider only);
//   GET  /admin/api/dev/outbox   what the bridge "sent";
//   GET  /admin/api/dev/phone?number=&contact=  the thread as the contact's phone shows it.
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { InvalidInputError } from '../../../src/core/errors.js';
import { normaliseContentType } from '../../../src/core/eligibility.js';
import { parsePhone, toE164 } from '../../../src/core/phone.js';
import type { Store } from '../../../src/core/ports.js';
import type { Message, Policy } from '../../../src/core/types.js';
import { dataUrlBytes, parseDataUrl, toDataUrl } from '../../../src/media/dataUrl.js';
import type { Ingest } from '../shared/ingest.js';
import type { SmsMetrics } from '../shared/metrics.js';
import { bodyText, rawBody, webhookErrorHandler } from '../shared/webhookHttp.js';
import { PayloadTooLargeError } from './errors.js';
import { readMultipart } from './multipart.js';
import { LOCAL_CAPABILITIES, LOCAL_PROVIDER_ID, type LocalSmsProvider } from './provider.js';

/** Messages of a dev phone thread at most (the latest). */
const PHONE_THREAD_LIMIT = 500;

/** Pictures a phone could send: within the MMS policy's count, total size and types. */
async function checkPictures(dataUrls: string[], policy: Policy): Promise<void> {
  if (dataUrls.length > policy.mms.maxFiles) throw new PayloadTooLargeError(`media: at most ${policy.mms.maxFiles} pictures`);
  const total = dataUrls.reduce((n, u) => n + dataUrlBytes(u), 0);
  const cap = Math.min(policy.mms.maxTotalBytes, LOCAL_CAPABILITIES.maxMediaBytes);
  if (total > cap) throw new PayloadTooLargeError(`media: the pictures add up to ${total} bytes, over the MMS limit of ${cap}`);
  const allowed = new Set(policy.mms.allowedTypes.map(normaliseContentType));
  for (const [i, url] of dataUrls.entries()) {
    const file = parseDataUrl(url);
    if (!file) throw new InvalidInputError(`media.${i}.dataUrl: expected a base64 data: URL (data:image/png;base64,...)`, `media.${i}.dataUrl`);
    if (!allowed.has(normaliseContentType(file.contentType))) {
      throw new InvalidInputError(`media.${i}.dataUrl: ${file.contentType} is not a type MMS may carry here (${policy.mms.allowedTypes.join(', ')})`, `media.${i}.dataUrl`);
    }
  }
}

/** What the contact's phone shows: what they texted, and what the bridge handed to the provider. */
function onThePhone(m: Message): boolean {
  if (m.direction === 'inbound') return true;
  return m.direction === 'outbound' && m.provider === LOCAL_PROVIDER_ID && m.providerMessageId !== null;
}

/** Path and query of a signed link: works in the console whichever host name it was opened by. */
function sameOriginLink(absolute: string): string {
  const u = new URL(absolute);
  return u.pathname + u.search;
}

function phoneMessage(m: Message, sign: ((id: string, ttl: number) => string) | undefined) {
  return {
    id: m.id,
    from: m.direction === 'inbound' ? ('contact' as const) : ('bridge' as const),
    body: m.body,
    media: m.media.filter((x) => x.status === 'stored' && sign).map((x) => ({ url: sameOriginLink(sign!(x.id, PHONE_LINK_TTL_SECONDS)), contentType: x.contentType })),
    status: m.status,
    at: m.createdAt,
  };
}

export const LOCAL_INBOUND_PATH = '/admin/api/dev/inbound';
export const LOCAL_STATUS_PATH = '/admin/api/dev/status';
export const LOCAL_OUTBOX_PATH = '/admin/api/dev/outbox';
export const LOCAL_PHONE_PATH = '/admin/api/dev/phone';

/** Largest JSON body of an inbound text: its pictures as base64 (4/3 of the bytes) plus the text. */
export const LOCAL_INBOUND_BODY_LIMIT = Math.ceil((LOCAL_CAPABILITIES.maxMediaBytes * 4) / 3) + 256 * 1024;
/** How long the dev phone's picture links work (the page reloads them with the thread). */
const PHONE_LINK_TTL_SECONDS = 3600;

const text = z.string().trim().min(1).max(200);
export const inboundSchema = z.object({
  id: z.string().trim().min(1).max(200).optional(),
  from: text,
  to: text,
  body: z.string().max(100_000).default(''),
  mediaUrls: z.array(z.string().min(1).max(4096)).max(10).optional(),
  media: z
    .array(
      z.union([
        z.object({ dataUrl: z.string().startsWith('data:', 'expected a data: URL').max(LOCAL_INBOUND_BODY_LIMIT) }).strict(),
        z.object({ url: z.string().min(1).max(4096), contentType: z.string().max(200).nullish() }),
      ]),
    )
    .max(10)
    .optional(),
});
type InboundInput = z.infer<typeof inboundSchema>;
/** GET /admin/api/dev/phone: the bridge number and the contact the phone plays (any format). */
export const devPhoneQuery = z.object({ number: text, contact: text }).strict();
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
  return parseInput(schema, json);
}

/** The value as the schema reads it, or a 400 naming the first field it refuses. */
function parseInput<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, value: unknown, whole = 'body'): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue?.path.join('.') || whole;
    throw new InvalidInputError(`${field}: ${issue?.message ?? 'invalid'}`, field);
  }
  return r.data;
}

export interface LocalRoutesOptions {
  provider: LocalSmsProvider;
  /** requireAdmin(ADMIN_TOKEN) from src/admin/auth.ts. */
  requireAdmin: RequestHandler;
  ingest: Ingest;
  /** Numbers (a real provider's is refused as the target of an injected text), the MMS policy, and the dev phone's thread. */
  store: Pick<Store, 'numbers' | 'policy' | 'conversations' | 'messages' | 'media'>;
  /** A link the console can show a stored picture with (the bridge's signed media links). */
  signMediaUrl?: (mediaId: string, ttlSeconds: number) => string;
  /** Whether the web inbox shows the number's texts (LocalConfig.webInboxShows); default never. */
  webInboxShows?: (number: string) => Promise<boolean>;
  logger: Logger;
  metrics: SmsMetrics;
}

export function createLocalRouter(opts: LocalRoutesOptions): Router {
  const router = Router();

  const readInbound = async (req: Request): Promise<InboundInput> => {
    if (!req.is('multipart/form-data')) return parseJson(inboundSchema, bodyText(req));
    const policy = await opts.store.policy.get();
    const form = await readMultipart(req, { maxFiles: policy.mms.maxFiles, maxFileBytes: Math.min(policy.mms.maxTotalBytes, LOCAL_CAPABILITIES.maxMediaBytes) });
    const { from, to, body, id } = form.fields;
    const fields = { from, to, body, id, media: form.files.map((f) => ({ dataUrl: toDataUrl(f.contentType, f.bytes) })) };
    return parseJson(inboundSchema, JSON.stringify(fields));
  };

  // A multipart form is streamed by busboy (under caps, in readInbound); anything else is read whole.
  const unlessMultipart = (h: RequestHandler): RequestHandler => (req, res, next) => (req.is('multipart/form-data') ? next() : h(req, res, next));

  router.post(LOCAL_INBOUND_PATH, opts.requireAdmin, ...rawBody(LOCAL_INBOUND_BODY_LIMIT).map(unlessMultipart), async (req, res) => {
    const input = await readInbound(req);
    const pictures = (input.media ?? []).flatMap((m) => ('dataUrl' in m ? [m.dataUrl] : []));
    if (pictures.length > 0) await checkPictures(pictures, await opts.store.policy.get());
    const number = await opts.store.numbers.get(parsePhone(input.to).e164 ?? input.to.trim());
    if (number && number.provider !== LOCAL_PROVIDER_ID) {
      throw new InvalidInputError(
        `to: ${number.e164} is a ${number.provider} number; the dev routes only inject texts to local (or unprovisioned) numbers, never in the name of a real contact`,
        'to',
      );
    }
    const media = [
      ...(input.media ?? []).map((m) =>
        'dataUrl' in m ? { url: m.dataUrl, contentType: parseDataUrl(m.dataUrl)?.contentType ?? null } : { url: m.url, contentType: m.contentType ?? null },
      ),
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
    // Shown in the web inbox counts as routed: it is not listed as unrouted there either.
    const webInbox = (await opts.webInboxShows?.(parsePhone(input.to).e164 ?? input.to.trim())) ?? false;
    res.status(out.duplicate ? 200 : 201).json({
      messageId: out.message.id,
      conversationId: out.conversationId,
      providerMessageId: out.message.providerMessageId,
      duplicate: out.duplicate,
      routed: out.routed || webInbox,
      webInbox,
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

  router.get(LOCAL_PHONE_PATH, opts.requireAdmin, async (req, res) => {
    const q = parseInput(devPhoneQuery, req.query, 'query');
    const number = toE164(q.number, 'number');
    const contact = toE164(q.contact, 'contact');
    const conversation = await opts.store.conversations.find(number, contact);
    const messages = conversation ? await opts.store.messages.listForConversation(conversation.id, { limit: PHONE_THREAD_LIMIT }) : [];
    res.set('Cache-Control', 'no-store');
    res.status(200).json({ number, contact, messages: messages.filter(onThePhone).map((m) => phoneMessage(m, opts.signMediaUrl)) });
  });

  router.use([LOCAL_INBOUND_PATH, LOCAL_STATUS_PATH, LOCAL_PHONE_PATH], webhookErrorHandler(LOCAL_PROVIDER_ID, opts.logger, opts.metrics));
  return router;
}
