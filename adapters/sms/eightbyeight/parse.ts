// 8x8 webhook JSON -> the core's words. One endpoint receives inbound messages and delivery
// receipts; `eventType` tells them apart. Only this file knows 8x8's field names.
import { InvalidInputError } from '../../../src/core/errors.js';
import { messageIdFromSendKey, resendFromSendKey } from '../../../src/core/sendKey.js';
import type { DeliveryUpdate, InboundSms } from '../../../src/core/types.js';

export const EIGHTX8_PROVIDER_ID = '8x8';
const MAX_MEDIA = 10;

export type EightByEightEvent =
  | { kind: 'inbound'; sms: InboundSms & { smsCount: number | null } }
  | { kind: 'status'; update: DeliveryUpdate }
  /** An event we do not act on (other namespaces, unknown states): acknowledged, ignored. */
  | { kind: 'ignored'; reason: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(o: Obj, name: string, field: string): string {
  const v = o[name];
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string' || v.trim() === '') throw new InvalidInputError(`8x8 webhook is missing ${field}`, field);
  return v.trim();
}

function optStr(o: Obj, name: string): string | null {
  const v = o[name];
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

/**
 * 8x8 documents international format with the leading + optional; a digits-only value of 11+
 * digits is international (a 10-digit one stays as sent for the core to read as NANP).
 */
export function eightByEightAddress(v: string): string {
  return /^\d{11,15}$/.test(v) ? `+${v}` : v;
}

export function parseEightByEightJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new InvalidInputError('8x8 webhook body is not valid JSON', 'body');
  }
}

export function mapEightByEightState(state: string): DeliveryUpdate['status'] | null {
  switch (state.toLowerCase()) {
    case 'queued':
      return 'queued';
    case 'sent':
      return 'sent';
    case 'delivered':
      return 'delivered';
    case 'undelivered':
      return 'undelivered';
    case 'rejected':
    case 'failed':
      return 'failed';
    default:
      return null;
  }
}

export function parseEightByEightEvent(body: unknown): EightByEightEvent {
  if (!isObj(body)) throw new InvalidInputError('8x8 webhook body must be a JSON object', 'body');
  const eventType = str(body, 'eventType', 'eventType');
  const payload = body.payload;
  if (!isObj(payload)) throw new InvalidInputError('8x8 webhook is missing payload', 'payload');

  if (eventType === 'inbound_message_received') {
    const rawMedia = payload.mediaUrls;
    if (rawMedia !== undefined && rawMedia !== null && !Array.isArray(rawMedia)) {
      throw new InvalidInputError('payload.mediaUrls must be a list of links', 'payload.mediaUrls');
    }
    const mediaUrls = (rawMedia ?? []) as unknown[];
    if (mediaUrls.length > MAX_MEDIA || mediaUrls.some((u) => typeof u !== 'string' || u === '')) {
      throw new InvalidInputError(`payload.mediaUrls must hold at most ${MAX_MEDIA} links`, 'payload.mediaUrls');
    }
    const text = payload.body;
    if (text !== undefined && text !== null && typeof text !== 'string') {
      throw new InvalidInputError('payload.body must be text', 'payload.body');
    }
    const smsCount = typeof payload.smsCount === 'number' ? payload.smsCount : null;
    return {
      kind: 'inbound',
      sms: {
        provider: EIGHTX8_PROVIDER_ID,
        providerMessageId: str(payload, 'umid', 'payload.umid'),
        from: eightByEightAddress(str(payload, 'source', 'payload.source')),
        to: eightByEightAddress(str(payload, 'destination', 'payload.destination')),
        body: text ?? '',
        // 8x8 does not declare media types; the download takes the server's Content-Type.
        media: (mediaUrls as string[]).map((url) => ({ url, contentType: null })),
        receivedAt: optStr(payload, 'timestamp') ?? undefined,
        smsCount,
      },
    };
  }

  if (eventType === 'outbound_message_status_changed') {
    const providerMessageId = str(payload, 'umid', 'payload.umid');
    const status = payload.status;
    if (!isObj(status)) throw new InvalidInputError('8x8 webhook is missing payload.status', 'payload.status');
    const state = str(status, 'state', 'payload.status.state');
    const mapped = mapEightByEightState(state);
    if (!mapped) return { kind: 'ignored', reason: `status state ${state}` };
    const errorCode = optStr(status, 'errorCode');
    const errorMessage = optStr(status, 'errorMessage');
    const detail = optStr(status, 'detail');
    const failed = mapped === 'failed' || mapped === 'undelivered';
    const clientMessageId = optStr(payload, 'clientMessageId');
    return {
      kind: 'status',
      update: {
        provider: EIGHTX8_PROVIDER_ID,
        providerMessageId,
        // clientMessageId is the send key we gave (`<id>-rN` after a resend): our plain id back.
        messageId: clientMessageId === null ? undefined : messageIdFromSendKey(clientMessageId),
        resend: clientMessageId === null ? undefined : resendFromSendKey(clientMessageId),
        status: mapped,
        errorCode,
        reason: failed ? (errorMessage ?? detail ?? `8x8 reported the message ${state}`) : null,
        at: optStr(status, 'timestamp') ?? undefined,
      },
    };
  }
  return { kind: 'ignored', reason: `event type ${eventType}` };
}
