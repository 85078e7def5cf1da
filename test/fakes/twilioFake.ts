// A strict local fake of the Twilio Messages API and media hosting, plus a helper that signs
// webhooks exactly as Twilio does. Strict like the real one: wrong Basic auth -> 401 (20003),
// missing To/From/Body -> 400 with Twilio's codes and error shape {code, message, more_info,
// status}. `failNext` makes the next send call misbehave (429 + Retry-After, 5xx, slow, error code).
// The message list (GET .../Messages.json, "Read multiple Message resources") is served as
// documented: To, From, DateSent / DateSent< / DateSent> (YYYY-MM-DD, GMT, inclusive), PageSize
// (1..1000, default 50), newest first, paged by next_page_uri (Page + PageToken); `failNextList`
// makes the next list call misbehave. Every accepted send is listed; `seedMessage` adds one made
// elsewhere (e.g. from the console, or at another time).
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

/** A Message resource the account holds, as the list shows it. */
export interface TwilioListedMessage {
  sid: string;
  to: string;
  from: string;
  body: string;
  numMedia: number;
  direction: 'outbound-api' | 'inbound';
  dateCreated: Date;
  /** null while Twilio has not handed it to the carrier yet (queued). */
  dateSent: Date | null;
}

export interface TwilioListCall {
  query: Array<[string, string]>;
  status: number;
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
  /** Every message the account holds (accepted sends and seeded ones). */
  messages: TwilioListedMessage[];
  /** Every list (GET) call, in order. */
  listCalls: TwilioListCall[];
  failNextList(spec: FailSpec): void;
  /** Adds a message made outside the bridge (defaults: outbound-api, created and sent now). */
  seedMessage(m: Partial<TwilioListedMessage> & Pick<TwilioListedMessage, 'to' | 'from' | 'body'>): TwilioListedMessage;
  /** Serves a media file at Twilio's media path, behind Basic auth; returns its URL. */
  addMedia(file: Omit<MediaFile, 'authorization'>, opts?: { public?: boolean }): string;
  /** A webhook request to `url` signed with this account's auth token, as Twilio signs it. */
  signWebhook(url: string, params: Record<string, string> | Array<[string, string]>): { headers: Record<string, string>; body: string };
  close(): Promise<void>;
}

/** Twilio's date format: RFC 2822 in GMT with a numeric zone, e.g. "Sun, 06 Dec 2026 22:34:32 +0000". */
function rfc2822(d: Date): string {
  return d.toUTCString().replace('GMT', '+0000');
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
  const listFailures: FailSpec[] = [];
  const messages: TwilioListedMessage[] = [];
  const listCalls: TwilioListCall[] = [];
  const pageTokens = new Map<string, number>();
  const media = new MediaShelf();

  async function handle(req: RawRequest, res: http.ServerResponse): Promise<void> {
    if (media.serve(req, res)) return;
    const [path, search = ''] = req.path.split('?', 2) as [string, string?];
    const m = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(path);
    if (m && req.method === 'GET') return list(m[1]!, req, new URLSearchParams(search), res);
    if (!m || req.method !== 'POST' || search !== '') {
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
    const now = new Date();
    messages.push({ sid: call.sid, to: call.To, from: call.From, body: call.Body ?? '', numMedia: call.MediaUrl.length, direction: 'outbound-api', dateCreated: now, dateSent: now });
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

  async function list(account: string, req: RawRequest, q: URLSearchParams, res: http.ServerResponse): Promise<void> {
    const call: TwilioListCall = { query: [...q.entries()], status: 0, at: Date.now() };
    listCalls.push(call);
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      sendJson(res, status, body, headers);
    };
    if (req.headers.authorization !== expectedAuth || account !== accountSid) return answer(401, twilioError(20003, 'Authenticate', 401));
    const fail = listFailures.shift();
    if (fail?.delayMs) await sleep(fail.delayMs);
    if (fail && (fail.status || fail.twilioCode)) {
      const code = fail.twilioCode ?? (fail.status === 429 ? 20429 : 20500);
      const status = fail.status ?? (code === 20429 ? 429 : 400);
      return answer(status, twilioError(code, `fake Twilio error ${code}`, status), fail.retryAfter !== undefined ? { 'retry-after': String(fail.retryAfter) } : {});
    }
    const known = new Set(['To', 'From', 'DateSent', 'DateSent<', 'DateSent>', 'PageSize', 'Page', 'PageToken']);
    const unknown = [...q.keys()].find((k) => !known.has(k));
    if (unknown) return answer(400, twilioError(20001, `Unknown parameter ${unknown}`, 400));
    // DateSent filters: a GMT date, YYYY-MM-DD (inclusive of the whole day at either end).
    const dates: Array<[string, string]> = [];
    for (const k of ['DateSent', 'DateSent<', 'DateSent>']) {
      const v = q.get(k);
      if (v === null) continue;
      if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) {
        return answer(400, twilioError(20001, `Invalid ${k}: expected YYYY-MM-DD`, 400));
      }
      dates.push([k, v]);
    }
    const pageSize = q.has('PageSize') ? Number(q.get('PageSize')) : 50;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) return answer(400, twilioError(20001, 'PageSize must be between 1 and 1000', 400));
    const page = q.has('Page') ? Number(q.get('Page')) : 0;
    if (!Number.isInteger(page) || page < 0) return answer(400, twilioError(20001, 'Invalid Page', 400));
    if (page > 0) {
      // Later pages only through next_page_uri: its PageToken must be the one we handed out.
      const token = q.get('PageToken');
      if (!token || pageTokens.get(token) !== page) return answer(400, twilioError(20001, 'Invalid PageToken', 400));
    }
    const day = (d: Date) => d.toISOString().slice(0, 10);
    const matching = messages
      .filter((x) => (!q.has('To') || x.to === q.get('To')) && (!q.has('From') || x.from === q.get('From')))
      .filter((x) =>
        dates.every(([k, v]) => {
          if (x.dateSent === null) return false;
          const d = day(x.dateSent);
          return k === 'DateSent' ? d === v : k === 'DateSent<' ? d <= v : d >= v;
        }),
      )
      .sort((a, b) => (b.dateSent ?? b.dateCreated).getTime() - (a.dateSent ?? a.dateCreated).getTime());
    const slice = matching.slice(page * pageSize, (page + 1) * pageSize);
    const base = `/2010-04-01/Accounts/${accountSid}/Messages.json`;
    const withPage = (p: number, token?: string) => {
      const u = new URLSearchParams(q);
      u.delete('Page');
      u.delete('PageToken');
      u.set('PageSize', String(pageSize));
      u.set('Page', String(p));
      if (token) u.set('PageToken', token);
      return `${base}?${u.toString()}`;
    };
    let next: string | null = null;
    if ((page + 1) * pageSize < matching.length) {
      const token = `PA${randomBytes(8).toString('hex')}`;
      pageTokens.set(token, page + 1);
      next = withPage(page + 1, token);
    }
    answer(200, {
      messages: slice.map(resource),
      end: page * pageSize + Math.max(slice.length - 1, 0),
      first_page_uri: withPage(0),
      next_page_uri: next,
      page,
      page_size: pageSize,
      previous_page_uri: page > 0 ? withPage(page - 1) : null,
      start: page * pageSize,
      uri: `${base}?${q.toString()}`,
    });
  }

  function resource(x: TwilioListedMessage) {
    return {
      account_sid: accountSid,
      api_version: '2010-04-01',
      body: x.body,
      date_created: rfc2822(x.dateCreated),
      date_sent: x.dateSent ? rfc2822(x.dateSent) : null,
      date_updated: rfc2822(x.dateSent ?? x.dateCreated),
      direction: x.direction,
      error_code: null,
      error_message: null,
      from: x.from,
      num_media: String(x.numMedia),
      num_segments: '1',
      sid: x.sid,
      status: x.dateSent ? 'sent' : 'queued',
      to: x.to,
      uri: `/2010-04-01/Accounts/${accountSid}/Messages/${x.sid}.json`,
    };
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
    messages,
    listCalls,
    failNextList: (spec) => void listFailures.push(spec),
    seedMessage(x) {
      const now = new Date();
      const made: TwilioListedMessage = {
        sid: `SM${randomBytes(16).toString('hex')}`,
        numMedia: 0,
        direction: 'outbound-api',
        dateCreated: now,
        dateSent: now,
        ...x,
      };
      messages.push(made);
      return made;
    },
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
