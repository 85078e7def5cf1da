// A strict local fake of the Twilio Messages API and media hosting, plus a helper that signs
// webhooks exactly as Twilio does. Strict like the real one: wrong Basic auth -> 401 (20003),
// missing To/From/Body -> 400 with Twilio's codes and error shape {code, message, more_info,
// status}. `failNext` makes the next API call misbehave (429 + Retry-After, 5xx, slow, error code).
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { computeTwilioSignature } from '../../adapters/sms/twilio/verify.js';
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

export interface TwilioSendCall {
  accountSid: string;
  /** Every form field as sent (repeated names kept in order). */
  fields: Array<[string, string]>;
  To: string | undefined;
  From: string | undefined;
  Body: string | undefined;
  MediaUrl: string[];
  StatusCallback: string | undefined;
  sid: string | null;
  /** When the request came in (ms). */
  at: number;
}

export interface FakeTwilio {
  url: string;
  host: string;
  accountSid: string;
  authToken: string;
  /** Successful and failed send calls, in order. */
  calls: TwilioSendCall[];
  media: MediaShelf;
  failNext(spec: FailSpec): void;
  /** Serves a media file at Twilio's media path, behind Basic auth; returns its URL. */
  addMedia(file: Omit<MediaFile, 'authorization'>, opts?: { public?: boolean }): string;
  /** A webhook request to `url` signed with this account's auth token, as Twilio signs it. */
  signWebhook(url: string, params: Record<string, string> | Array<[string, string]>): { headers: Record<string, string>; body: string };
  close(): Promise<void>;
}

function twilioError(code: number, message: string, status: number) {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

export async function startFakeTwilio(opts: { accountSid?: string; authToken?: string } = {}): Promise<FakeTwilio> {
  const accountSid = opts.accountSid ?? `AC${randomBytes(16).toString('hex')}`;
  const authToken = opts.authToken ?? randomBytes(16).toString('hex');
  const expectedAuth = 'Basic ' + Buffer.from(`${accountSid}:${authToken}`).toString('base64');
  const calls: TwilioSendCall[] = [];
  const failures: FailSpec[] = [];
  const media = new MediaShelf();

  async function handle(req: RawRequest, res: http.ServerResponse): Promise<void> {
    if (media.serve(req, res)) return;
    const m = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(req.path);
    if (!m || req.method !== 'POST') {
      sendJson(res, 404, twilioError(20404, 'The requested resource was not found', 404));
      return;
    }
    if (req.headers.authorization !== expectedAuth || m[1] !== accountSid) {
      sendJson(res, 401, twilioError(20003, 'Authenticate', 401));
      return;
    }
    const fields = [...new URLSearchParams(req.body.toString('utf8')).entries()];
    const get = (k: string) => fields.find(([n]) => n === k)?.[1];
    const call: TwilioSendCall = {
      accountSid: m[1],
      fields,
      To: get('To'),
      From: get('From'),
      Body: get('Body'),
      MediaUrl: fields.filter(([n]) => n === 'MediaUrl').map(([, v]) => v),
      StatusCallback: get('StatusCallback'),
      sid: null,
      at: Date.now(),
    };
    calls.push(call);

    const fail = failures.shift();
    if (fail?.delayMs) await sleep(fail.delayMs);
    if (fail && (fail.status || fail.twilioCode)) {
      const code = fail.twilioCode ?? (fail.status === 429 ? 20429 : 20500);
      const status = fail.status ?? (code === 20429 ? 429 : 400);
      const headers: Record<string, string> = fail.retryAfter !== undefined ? { 'retry-after': String(fail.retryAfter) } : {};
      sendJson(res, status, twilioError(code, `fake Twilio error ${code}`, status), headers);
      return;
    }
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      sendJson(res, 400, twilioError(20001, 'Content-Type must be application/x-www-form-urlencoded', 400));
      return;
    }
    if (!call.To) return sendJson(res, 400, twilioError(21604, "A 'To' phone number is required.", 400));
    if (!call.From) return sendJson(res, 400, twilioError(21603, "A 'From' phone number is required.", 400));
    if (call.Body === undefined && call.MediaUrl.length === 0) {
      return sendJson(res, 400, twilioError(21602, 'Message body is required.', 400));
    }
    call.sid = `SM${randomBytes(16).toString('hex')}`;
    // Accepted (it goes out) but the answer cannot be read: what a proxy mangling a body looks like.
    if (fail?.acceptedWithoutId) return sendJson(res, 201, { status: 'queued' });
    sendJson(res, 201, {
      sid: call.sid,
      account_sid: accountSid,
      to: call.To,
      from: call.From,
      body: call.Body ?? '',
      status: 'queued',
      num_media: String(call.MediaUrl.length),
      num_segments: '1',
      error_code: null,
      error_message: null,
      uri: `/2010-04-01/Accounts/${accountSid}/Messages/${call.sid}.json`,
    });
  }

  const server: FakeServer = await startFakeServer(handle);
  return {
    url: server.url,
    host: server.host,
    accountSid,
    authToken,
    calls,
    media,
    failNext: (spec) => void failures.push(spec),
    addMedia(file, o) {
      const path = `/2010-04-01/Accounts/${accountSid}/Messages/MM${randomBytes(16).toString('hex')}/Media/ME${randomBytes(16).toString('hex')}`;
      media.put(path, { ...file, authorization: o?.public ? undefined : expectedAuth });
      return server.url + path;
    },
    signWebhook: (url, params) => signTwilioWebhook(authToken, url, params),
    close: () => server.close(),
  };
}

/** A webhook request signed as Twilio signs it, ready to POST to `url`. */
export function signTwilioWebhook(
  authToken: string,
  url: string,
  params: Record<string, string> | Array<[string, string]>,
): { headers: Record<string, string>; body: string } {
  const list = Array.isArray(params) ? params : Object.entries(params);
  return {
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': computeTwilioSignature(authToken, url, list),
    },
    body: new URLSearchParams(list).toString(),
  };
}

/** Form parameters of a Twilio inbound SMS/MMS webhook. */
export function twilioInboundParams(m: {
  sid: string;
  from: string;
  to: string;
  body: string;
  media?: Array<{ url: string; contentType: string }>;
  accountSid?: string;
}): Record<string, string> {
  const p: Record<string, string> = {
    ToCountry: 'US',
    SmsMessageSid: m.sid,
    NumMedia: String(m.media?.length ?? 0),
    SmsSid: m.sid,
    SmsStatus: 'received',
    Body: m.body,
    To: m.to,
    NumSegments: '1',
    MessageSid: m.sid,
    AccountSid: m.accountSid ?? 'AC00000000000000000000000000000000',
    From: m.from,
    ApiVersion: '2010-04-01',
  };
  (m.media ?? []).forEach((x, i) => {
    p[`MediaUrl${i}`] = x.url;
    p[`MediaContentType${i}`] = x.contentType;
  });
  return p;
}
