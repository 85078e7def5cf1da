// Twilio's webhook words -> the core's words. Only this file knows Twilio's parameter names.
import { InvalidInputError } from '../../../src/core/errors.js';
import { messageIdFromSendKey, resendFromSendKey } from '../../../src/core/sendKey.js';
import type { DeliveryUpdate, InboundMediaRef, InboundSms } from '../../../src/core/types.js';
import type { FormParams } from './verify.js';

export const TWILIO_PROVIDER_ID = 'twilio';
/** Twilio never sends more than 10 media per message; anything above is treated as malformed. */
const MAX_MEDIA = 10;

export function formParams(raw: string): FormParams {
  return [...new URLSearchParams(raw).entries()];
}

/**
 * Reads single fields. Twilio sends each field once; a field the bridge reads that comes twice is
 * refused rather than one copy picked, because the signature covers both copies and anything
 * downstream (a proxy, a log reader) may pick the other one.
 */
function lookup(params: FormParams): (name: string) => string | undefined {
  const map = new Map<string, string>();
  const repeated = new Set<string>();
  for (const [k, v] of params) {
    if (map.has(k)) repeated.add(k);
    else map.set(k, v);
  }
  return (name) => {
    if (repeated.has(name)) throw new InvalidInputError(`Twilio webhook has ${name} more than once`, name);
    return map.get(name);
  };
}

function required(get: (n: string) => string | undefined, name: string): string {
  const v = get(name)?.trim();
  if (!v) throw new InvalidInputError(`Twilio webhook is missing ${name}`, name);
  return v;
}

/** Inbound SMS/MMS (`POST /webhooks/twilio/sms`). */
export function parseTwilioInbound(params: FormParams): InboundSms & { numSegments: number | null } {
  const get = lookup(params);
  const providerMessageId = required(get, 'MessageSid');
  const from = required(get, 'From');
  const to = required(get, 'To');
  const body = get('Body') ?? '';

  const numMediaRaw = get('NumMedia') ?? '0';
  if (!/^\d+$/.test(numMediaRaw) || Number(numMediaRaw) > MAX_MEDIA) {
    throw new InvalidInputError(`NumMedia must be a whole number from 0 to ${MAX_MEDIA}`, 'NumMedia');
  }
  const media: InboundMediaRef[] = [];
  for (let i = 0; i < Number(numMediaRaw); i++) {
    const url = required(get, `MediaUrl${i}`);
    media.push({ url, contentType: get(`MediaContentType${i}`)?.trim() || null });
  }
  const seg = get('NumSegments');
  const numSegments = seg && /^\d+$/.test(seg) ? Number(seg) : null;
  return { provider: TWILIO_PROVIDER_ID, providerMessageId, from, to, body, media, numSegments };
}

/** Twilio MessageStatus -> ours; null for statuses that say nothing about an outbound message. */
export function mapTwilioStatus(status: string): DeliveryUpdate['status'] | null {
  switch (status.toLowerCase()) {
    case 'accepted':
    case 'scheduled':
    case 'queued':
      return 'queued';
    case 'sending':
      return 'sending';
    case 'sent':
      return 'sent';
    case 'delivered':
    case 'read':
      return 'delivered';
    case 'undelivered':
      return 'undelivered';
    case 'failed':
    case 'canceled':
      return 'failed';
    default:
      // receiving / received (inbound side) and anything Twilio adds later
      return null;
  }
}

/** Status callback (`POST /webhooks/twilio/status`); null when the status is not one we track. */
/** Our send keys (sendKey: a message id, maybe with `-r<N>`), as they come back in the callback URL. */
const SEND_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(-r[1-9]\d*)?$/i;

/**
 * A status callback. `sendKey` is the `send` parameter of the callback URL (signed by Twilio with
 * the URL): with it, a receipt that arrives before the send's answer was recorded finds its message.
 */
export function parseTwilioStatus(params: FormParams, sendKey: string | null = null): DeliveryUpdate | null {
  const get = lookup(params);
  const providerMessageId = required(get, 'MessageSid');
  const raw = required(get, 'MessageStatus');
  const status = mapTwilioStatus(raw);
  if (!status) return null;
  const errorCode = get('ErrorCode')?.trim() || null;
  const key = sendKey !== null && SEND_KEY.test(sendKey) ? sendKey : null;
  return {
    provider: TWILIO_PROVIDER_ID,
    providerMessageId,
    ...(key ? { messageId: messageIdFromSendKey(key), resend: resendFromSendKey(key) } : {}),
    status,
    errorCode,
    reason: errorCode ? twilioErrorReason(errorCode, get('ErrorMessage') ?? null) : null,
  };
}

/** Human reasons for the Twilio error codes a person in a chat thread is likely to meet. */
export function twilioErrorReason(code: string, fallback: string | null): string {
  const known: Record<string, string> = {
    '21610': 'the recipient has opted out of messages from this number (replied STOP)',
    '21211': 'the destination number is not a valid phone number',
    '21614': 'the destination number cannot receive SMS (not a mobile number)',
    '21612': 'the destination number cannot be reached by SMS from this number',
    '21408': 'sending SMS to this region is not enabled on the Twilio account',
    '30003': 'the destination handset is unreachable',
    '30004': 'the message was blocked by the recipient or their carrier',
    '30005': 'the destination number is unknown or no longer exists',
    '30006': 'the destination is a landline or unreachable carrier',
    '30007': 'the carrier filtered the message as spam',
    '30008': 'the carrier reported an unknown error',
  };
  return known[code] ?? fallback ?? `Twilio error ${code}`;
}
