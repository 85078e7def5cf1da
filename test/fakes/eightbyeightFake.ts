// A strict local fake of the 8x8 SMS API (send) and of 8x8's pre-signed media links, plus
// builders for the webhooks 8x8 posts. Strict like the real one: wrong Bearer key -> 401, bad
// JSON or a missing destination/text -> 400, error bodies {code, message, errorId, timestamp}.
// `failNext` makes the next send misbehave (429 + Retry-After, 5xx, slow, REJECTED).
import { randomBytes, randomUUID } from 'node:crypto';
import type http from 'node:http';
import {
  MediaShelf,
  type FailSpec,
  type FakeServer,
  type MediaFile,
  type RawRequest,
  sendJson,
  sleep,
  startFakeServer,
} from '../contract/support/httpFake.js';

export type { FailSpec } from '../contract/support/httpFake.js';

export interface EightByEightSendCall {
  subaccountId: string;
  /** The JSON body as sent. */
  body: Record<string, unknown>;
  umid: string | null;
}

export interface FakeEightByEight {
  url: string;
  host: string;
  apiKey: string;
  subaccountId: string;
  calls: EightByEightSendCall[];
  media: MediaShelf;
  failNext(spec: FailSpec): void;
  /** Serves a media file at a pre-signed-looking path (no auth); returns its URL. */
  addMedia(file: Omit<MediaFile, 'authorization'>): string;
  close(): Promise<void>;
}

function error(code: number, message: string) {
  return { code, message, errorId: randomUUID(), timestamp: new Date().toISOString() };
}

export async function startFakeEightByEight(opts: { apiKey?: string; subaccountId?: string } = {}): Promise<FakeEightByEight> {
  const apiKey = opts.apiKey ?? randomBytes(24).toString('base64url');
  const subaccountId = opts.subaccountId ?? 'bridge_hq';
  const calls: EightByEightSendCall[] = [];
  const failures: FailSpec[] = [];
  const media = new MediaShelf();

  async function handle(req: RawRequest, res: http.ServerResponse): Promise<void> {
    if (media.serve(req, res)) return;
    const m = /^\/api\/v1\/subaccounts\/([^/]+)\/messages$/.exec(req.path);
    if (!m || req.method !== 'POST') return sendJson(res, 404, error(1404, 'Resource not found'));
    if (req.headers.authorization !== `Bearer ${apiKey}` || decodeURIComponent(m[1]!) !== subaccountId) {
      return sendJson(res, 401, error(1001, 'Unauthorized'));
    }
    let body: unknown;
    try {
      body = JSON.parse(req.body.toString('utf8'));
    } catch {
      return sendJson(res, 400, error(1002, 'Invalid JSON'));
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return sendJson(res, 400, error(1002, 'Invalid JSON'));
    const b = body as Record<string, unknown>;
    const call: EightByEightSendCall = { subaccountId: m[1]!, body: b, umid: null };
    calls.push(call);

    const fail = failures.shift();
    if (fail?.delayMs) await sleep(fail.delayMs);
    if (fail?.status) {
      const headers: Record<string, string> = fail.retryAfter !== undefined ? { 'retry-after': String(fail.retryAfter) } : {};
      return sendJson(res, fail.status, error(fail.status === 429 ? 1429 : 1500, fail.status === 429 ? 'Too many requests' : 'Internal error'), headers);
    }
    if (typeof b.destination !== 'string' || b.destination === '') return sendJson(res, 400, error(1003, 'destination is required'));
    const hasMedia = Array.isArray(b.mediaUrls) && b.mediaUrls.length > 0;
    if (typeof b.text !== 'string' || (b.text === '' && !hasMedia)) return sendJson(res, 400, error(1004, 'text is required'));
    if (b.encoding !== undefined && !['AUTO', 'GSM7', 'UCS2'].includes(String(b.encoding))) {
      return sendJson(res, 400, error(1005, 'encoding is invalid'));
    }
    call.umid = randomUUID();
    if (fail?.rejected) {
      return sendJson(res, 200, {
        umid: call.umid,
        clientMessageId: b.clientMessageId ?? null,
        destination: b.destination,
        encoding: 'GSM7',
        status: { code: 'REJECTED', description: fail.rejected },
      });
    }
    sendJson(res, 200, {
      umid: call.umid,
      clientMessageId: b.clientMessageId ?? null,
      destination: b.destination,
      encoding: 'GSM7',
      status: { code: 'QUEUED', description: 'SMS is accepted and queued for processing' },
    });
  }

  const server: FakeServer = await startFakeServer(handle);
  return {
    url: server.url,
    host: server.host,
    apiKey,
    subaccountId,
    calls,
    media,
    failNext: (spec) => void failures.push(spec),
    addMedia(file) {
      const path = `/media/${randomUUID()}`;
      media.put(path, file);
      return `${server.url}${path}?X-Amz-Signature=${randomBytes(8).toString('hex')}`;
    },
    close: () => server.close(),
  };
}

/** Body of an 8x8 inbound_message_received webhook. */
export function eightByEightInbound(m: { umid: string; from: string; to: string; body: string; mediaUrls?: string[]; subAccountId?: string }) {
  return {
    namespace: 'SMS',
    eventType: 'inbound_message_received',
    description: 'SMS inbound message',
    payload: {
      umid: m.umid,
      subAccountId: m.subAccountId ?? 'bridge_hq',
      timestamp: '2026-11-26T18:00:00.00Z',
      source: m.from,
      destination: m.to,
      body: m.body,
      encoding: 'GSM7',
      smsCount: 1,
      ...(m.mediaUrls ? { mediaUrls: m.mediaUrls } : {}),
    },
  };
}

/** Body of an 8x8 outbound_message_status_changed webhook (delivery receipt). */
export function eightByEightStatus(m: {
  umid: string;
  clientMessageId?: string | null;
  state: string;
  detail?: string;
  errorCode?: string | number | null;
  errorMessage?: string | null;
}) {
  return {
    namespace: 'SMS',
    eventType: 'outbound_message_status_changed',
    description: 'SMS outbound message status changed',
    payload: {
      umid: m.umid,
      clientMessageId: m.clientMessageId ?? null,
      subAccountId: 'bridge_hq',
      status: {
        state: m.state,
        detail: m.detail ?? m.state,
        timestamp: '2026-11-26T18:00:01.00Z',
        errorCode: m.errorCode ?? null,
        errorMessage: m.errorMessage ?? null,
      },
    },
  };
}
