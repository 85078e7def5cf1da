// A small, strict, local fake of the Slack Web API (real HTTP on 127.0.0.1), for SLACK_API_URL.
//
// What it checks, as Slack does: the bot token (Authorization: Bearer, or `token` in the body;
// HTTP 200 {ok:false, error:'not_authed'|'invalid_auth'}), required arguments per method
// ({ok:false, error:'channel_not_found'|'no_text'|'invalid_arguments'|...}), bodies either
// application/x-www-form-urlencoded (what @slack/web-api sends; objects JSON-encoded in a field)
// or JSON, Block Kit `blocks` as Slack checks them (invalid_blocks, msg_blocks_too_long: see
// slackBlocks.ts). It records every call, and can be told to answer 429 + Retry-After, 5xx, or
// slowly. shownText(message) is a post as a person reads it in Slack.
//
// Also served: the file upload URL (step 2 of the external upload), private file downloads
// (Bearer bot token required), slash-command `response_url`s, and Socket Mode: apps.connections.open
// (with the app-level token only: the bot token gets not_allowed_token_type, as from Slack) and
// the WebSocket it hands out (fakeSlackSocket.ts).
//
// conversations.list as Slack documents it: `types` (comma-separated public_channel,
// private_channel, mpim, im; default public_channel; anything else invalid_types),
// `exclude_archived`, `limit` (default 100, an integer up to 1000, else invalid_limit) and
// `cursor` (the previous page's response_metadata.next_cursor; unknown: invalid_cursor); pages may
// hold fewer than `limit` (`pageSize` forces that, to exercise paging); the last page's
// next_cursor is "". The bot token's scopes are checked as Slack does: public channels need
// channels:read, private ones groups:read, else {ok:false, error:'missing_scope', needed, provided}.
//
// conversations.history and conversations.replies
// list what was posted (paged, metadata only with include_all_metadata, as Slack).

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { blocksProblem } from './slackBlocks.js';
import { attachFakeSocketMode, type FakeSlackSocket } from './fakeSlackSocket.js';

export { linksIn, quotedText, shownText } from './slackBlocks.js';

export interface FakeSlackCall {
  method: string;
  args: Record<string, unknown>;
  at: number;
}

export interface FakeSlackMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text?: string;
  blocks?: unknown;
  metadata?: unknown;
  bot_id: string;
  args: Record<string, unknown>;
  edited?: boolean;
  /** When it was posted (ms). */
  at?: number;
}

export interface FakeSlackFile {
  id: string;
  filename: string;
  length: number;
  title?: string;
  bytes: Buffer | null;
  uploadContentType?: string;
  channel?: string;
  thread_ts?: string;
  shared: boolean;
  /** The download answers only after this long (a big file, a slow link). */
  delayMs?: number;
}

export interface FakeSlackUser {
  id: string;
  name: string;
  real_name?: string;
  is_admin?: boolean;
  is_owner?: boolean;
  is_bot?: boolean;
}

export type FakeFailure =
  | { kind: 'ratelimit'; retryAfterSec: number }
  | { kind: 'http'; status: number }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'error'; error: string };

export interface FakeSlack {
  /** Base URL, e.g. http://127.0.0.1:1234 */
  url: string;
  /** What SLACK_API_URL should be (trailing slash, as WebClient expects). */
  apiUrl: string;
  botToken: string;
  /** The app-level token (xapp-) Socket Mode connects with. */
  appToken: string;
  teamId: string;
  botUserId: string;
  botId: string;
  calls: FakeSlackCall[];
  messages: FakeSlackMessage[];
  ephemerals: Record<string, unknown>[];
  reactions: { channel: string; timestamp: string; name: string }[];
  files: Map<string, FakeSlackFile>;
  responses: { id: string; body: Record<string, unknown> }[];
  callsTo(method: string): FakeSlackCall[];
  addChannel(id: string, name?: string, opts?: { private?: boolean; archived?: boolean }): void;
  /** The bot token's granted scopes (what missing_scope checks against). */
  scopes: Set<string>;
  /** Most channels per conversations.list page whatever `limit` asks (Slack may return fewer). */
  pageSize: number;
  addUser(user: FakeSlackUser): void;
  /** A file a user "uploaded" in Slack: returns what a message event carries (url_private...). */
  hostFile(bytes: Buffer, opts: { name: string; mimetype: string; delayMs?: number }): { id: string; name: string; mimetype: string; size: number; url_private: string; url_private_download: string };
  /** A response_url for a slash command payload. */
  responseUrl(): string;
  /** The next `times` calls to `method` (or '*') fail that way. */
  failNext(method: string, failure: FakeFailure, times?: number): void;
  /** Called for every message posted (benchmarks time end-to-end latency with it). */
  onPost: ((m: FakeSlackMessage) => void) | null;
  /** Messages in a thread (root excluded), oldest first. */
  thread(channel: string, threadTs: string): FakeSlackMessage[];
  /** Top-level messages of a channel (thread roots). */
  roots(channel: string): FakeSlackMessage[];
  /** Socket Mode: connections, envelopes, acknowledgements. */
  socket: FakeSlackSocket;
  close(): Promise<void>;
}

const OBJECT_FIELDS = new Set(['blocks', 'attachments', 'metadata', 'files']);

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseArgs(raw: Buffer, contentType: string | undefined): Record<string, unknown> | null {
  const text = raw.toString('utf8');
  if (text.length === 0) return {};
  if (contentType?.includes('application/json')) {
    try {
      const v = JSON.parse(text) as unknown;
      return v && typeof v === 'object' ? (v as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    if (OBJECT_FIELDS.has(k)) {
      try {
        out[k] = JSON.parse(v);
      } catch {
        out[k] = v;
      }
    } else {
      out[k] = v;
    }
  }
  return out;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

export async function startFakeSlack(opts: { botToken?: string; appToken?: string; teamId?: string } = {}): Promise<FakeSlack> {
  const botToken = opts.botToken ?? 'xoxb-test-token';
  const appToken = opts.appToken ?? 'xapp-1-A0APP-1-test-app-token';
  const teamId = opts.teamId ?? 'T0TEST';
  const botUserId = 'UBOT';
  const botId = 'BBOT';
  const channels = new Map<string, string>();
  const channelFlags = new Map<string, { private: boolean; archived: boolean }>();
  // What the bridge's manifest asks for (manifest/slack), as an install granted it.
  const scopes = new Set(['channels:history', 'channels:read', 'chat:write', 'commands', 'files:read', 'files:write', 'groups:history', 'groups:read', 'reactions:write', 'users:read']);
  const channelListing = { pageSize: 1000 };
  const users = new Map<string, FakeSlackUser>();
  const failures: { method: string; failure: FakeFailure; left: number }[] = [];
  // Like Slack's: the posting time in seconds, then a part that makes it unique and increasing.
  let tsCounter = 0;
  let lastSec = 0;
  const nextTs = (): string => {
    lastSec = Math.max(lastSec, Math.floor(Date.now() / 1000));
    return `${lastSec}.${String(++tsCounter).padStart(6, '0')}`;
  };

  const state = {
    calls: [] as FakeSlackCall[],
    messages: [] as FakeSlackMessage[],
    ephemerals: [] as Record<string, unknown>[],
    reactions: [] as { channel: string; timestamp: string; name: string }[],
    files: new Map<string, FakeSlackFile>(),
    responses: [] as { id: string; body: Record<string, unknown> }[],
  };
  let base = '';

  const takeFailure = (method: string): FakeFailure | null => {
    const f = failures.find((x) => (x.method === method || x.method === '*') && x.left > 0);
    if (!f) return null;
    f.left -= 1;
    return f.failure;
  };

  const authed = (req: IncomingMessage, args: Record<string, unknown>): 'ok' | 'not_authed' | 'invalid_auth' => {
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7) : str(args.token);
    if (!token) return 'not_authed';
    return token === botToken ? 'ok' : 'invalid_auth';
  };

  /** reactions.add/remove arguments checked as Slack checks them, and where that reaction is. */
  const reactionArgs = (a: Record<string, unknown>): { error: string } | { reaction: { channel: string; timestamp: string; name: string }; at: number } => {
    const channel = str(a.channel);
    const timestamp = str(a.timestamp);
    const name = str(a.name);
    if (!channel || !channels.has(channel)) return { error: 'channel_not_found' };
    if (!timestamp || !name) return { error: 'invalid_arguments' };
    const at = state.reactions.findIndex((r) => r.channel === channel && r.timestamp === timestamp && r.name === name);
    return { reaction: { channel, timestamp, name }, at };
  };

  const byKey = new Map<string, FakeSlackMessage>();
  const findMessage = (channel: string, ts: string): FakeSlackMessage | undefined => byKey.get(`${channel}/${ts}`);

  const truthy = (v: unknown): boolean => v === true || v === 'true' || v === '1' || v === 1;
  const tsNumber = (v: unknown): number | null => {
    if (v === undefined || v === '') return null;
    const n = Number(v);
    return Number.isFinite(n) ? n : NaN;
  };
  /** A message as Slack lists it: what a reader of history sees, metadata only when asked for. */
  const listed = (m: FakeSlackMessage, withMetadata: boolean): Record<string, unknown> => {
    const replies = m.thread_ts ? [] : state.messages.filter((r) => r.channel === m.channel && r.thread_ts === m.ts);
    return {
      type: 'message',
      ts: m.ts,
      text: m.text,
      bot_id: m.bot_id,
      user: botUserId,
      ...(m.blocks === undefined ? {} : { blocks: m.blocks }),
      ...(m.thread_ts ? { thread_ts: m.thread_ts, parent_user_id: botUserId } : replies.length > 0 ? { thread_ts: m.ts, reply_count: replies.length } : {}),
      ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
    };
  };
  /**
   * conversations.history / .replies paging: `oldest`/`latest` (with `inclusive`) bound the
   * messages (the parent of a thread always leads its first page), `limit` (1..1000) per page,
   * `cursor` an opaque next_cursor from the previous page.
   */
  const listing = (a: Record<string, unknown>, messages: FakeSlackMessage[], parent: FakeSlackMessage | null, defaultLimit: number): Record<string, unknown> => {
    const oldest = tsNumber(a.oldest);
    const latest = tsNumber(a.latest);
    if (Number.isNaN(oldest)) return { ok: false, error: 'invalid_ts_oldest' };
    if (Number.isNaN(latest)) return { ok: false, error: 'invalid_ts_latest' };
    const inclusive = truthy(a.inclusive);
    const limit = a.limit === undefined ? defaultLimit : Number(a.limit);
    if (!Number.isInteger(limit) || limit < 1) return { ok: false, error: 'invalid_limit' };
    let offset = 0;
    const cursor = str(a.cursor);
    if (cursor) {
      const decoded = /^next_ts:(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
      if (!decoded) return { ok: false, error: 'invalid_cursor' };
      offset = Number(decoded[1]);
    }
    const inRange = (m: FakeSlackMessage): boolean => {
      const t = Number(m.ts);
      if (oldest !== null && (inclusive ? t < oldest : t <= oldest)) return false;
      if (latest !== null && (inclusive ? t > latest : t >= latest)) return false;
      return true;
    };
    const all = [...(parent ? [parent] : []), ...messages.filter(inRange)];
    const page = all.slice(offset, offset + Math.min(limit, 1000));
    const more = offset + page.length < all.length;
    const withMetadata = truthy(a.include_all_metadata);
    return {
      ok: true,
      messages: page.map((m) => listed(m, withMetadata)),
      has_more: more,
      ...(more ? { response_metadata: { next_cursor: Buffer.from(`next_ts:${offset + page.length}`).toString('base64') } } : {}),
    };
  };

  type Handler = (args: Record<string, unknown>) => Record<string, unknown>;
  const methods: Record<string, Handler> = {
    'auth.test': () => ({ ok: true, url: 'https://fake.slack.test/', team: 'Fake', user: 'bridge', team_id: teamId, user_id: botUserId, bot_id: botId }),
    'chat.postMessage': (a) => {
      const channel = str(a.channel);
      if (!channel) return { ok: false, error: 'channel_not_found' };
      if (!channels.has(channel)) return { ok: false, error: 'channel_not_found' };
      const text = str(a.text);
      if (!text && !(Array.isArray(a.blocks) && a.blocks.length > 0)) return { ok: false, error: 'no_text' };
      const bad = blocksProblem(a.blocks);
      if (bad) return { ok: false, ...bad };
      const threadTs = str(a.thread_ts);
      if (threadTs && !findMessage(channel, threadTs)) return { ok: false, error: 'thread_not_found' };
      const msg: FakeSlackMessage = { channel, ts: nextTs(), text, blocks: a.blocks, metadata: a.metadata, bot_id: botId, args: a, at: Date.now() };
      if (threadTs) msg.thread_ts = threadTs;
      state.messages.push(msg);
      byKey.set(`${channel}/${msg.ts}`, msg);
      fake.onPost?.(msg);
      return { ok: true, channel, ts: msg.ts, message: { type: 'message', text, bot_id: botId, ts: msg.ts, thread_ts: threadTs, metadata: a.metadata } };
    },
    'chat.postEphemeral': (a) => {
      const channel = str(a.channel);
      if (!channel || !channels.has(channel)) return { ok: false, error: 'channel_not_found' };
      if (!str(a.user)) return { ok: false, error: 'user_not_found' };
      if (!str(a.text) && !Array.isArray(a.blocks)) return { ok: false, error: 'no_text' };
      const bad = blocksProblem(a.blocks);
      if (bad) return { ok: false, ...bad };
      state.ephemerals.push(a);
      return { ok: true, message_ts: nextTs() };
    },
    'chat.update': (a) => {
      const channel = str(a.channel);
      const ts = str(a.ts);
      if (!channel || !channels.has(channel)) return { ok: false, error: 'channel_not_found' };
      if (!ts) return { ok: false, error: 'invalid_arguments' };
      const msg = findMessage(channel, ts);
      if (!msg) return { ok: false, error: 'message_not_found' };
      if (!str(a.text) && !Array.isArray(a.blocks)) return { ok: false, error: 'no_text' };
      const bad = blocksProblem(a.blocks);
      if (bad) return { ok: false, ...bad };
      msg.text = str(a.text);
      if (a.blocks !== undefined) msg.blocks = a.blocks;
      msg.edited = true;
      return { ok: true, channel, ts, text: msg.text };
    },
    'reactions.add': (a) => {
      const r = reactionArgs(a);
      if ('error' in r) return { ok: false, error: r.error };
      if (r.at !== -1) return { ok: false, error: 'already_reacted' };
      state.reactions.push(r.reaction);
      return { ok: true };
    },
    'reactions.remove': (a) => {
      const r = reactionArgs(a);
      if ('error' in r) return { ok: false, error: r.error };
      if (r.at === -1) return { ok: false, error: 'no_reaction' };
      state.reactions.splice(r.at, 1);
      return { ok: true };
    },
    'users.info': (a) => {
      const id = str(a.user);
      const user = id ? users.get(id) : undefined;
      if (!user) return { ok: false, error: 'user_not_found' };
      return { ok: true, user: { is_admin: false, is_owner: false, is_bot: false, ...user, profile: { real_name: user.real_name ?? user.name, display_name: user.name } } };
    },
    // Both list messages oldest..latest, cursor-paginated ({has_more, response_metadata:
    // {next_cursor}}); metadata comes with include_all_metadata only (without it Slack leaves the
    // payload out; here the whole metadata is left out, so a client that needs it must ask).
    'conversations.history': (a) => {
      const channel = str(a.channel);
      if (!channel || !channels.has(channel)) return { ok: false, error: 'channel_not_found' };
      // Top-level messages (thread roots included, replies not), newest first.
      const top = state.messages.filter((m) => m.channel === channel && !m.thread_ts).reverse();
      return listing(a, top, null, 100);
    },
    'conversations.replies': (a) => {
      const channel = str(a.channel);
      const ts = str(a.ts);
      if (!channel || !channels.has(channel)) return { ok: false, error: 'channel_not_found' };
      if (!ts) return { ok: false, error: 'invalid_arguments' };
      const parent = findMessage(channel, ts);
      if (!parent || parent.thread_ts) return { ok: false, error: 'thread_not_found' };
      // The parent first, then its replies oldest first.
      return listing(a, state.messages.filter((m) => m.channel === channel && m.thread_ts === ts), parent, 1000);
    },
    'conversations.info': (a) => {
      const id = str(a.channel);
      if (!id || !channels.has(id)) return { ok: false, error: 'channel_not_found' };
      return { ok: true, channel: { id, name: channels.get(id), is_channel: true, is_member: true } };
    },
    'conversations.list': (a) => {
      const known = ['public_channel', 'private_channel', 'mpim', 'im'];
      const types = (str(a.types) ?? 'public_channel').split(',').map((t) => t.trim());
      if (types.some((t) => !known.includes(t))) return { ok: false, error: 'invalid_types' };
      const needed = [...new Set(types.map((t) => (t === 'public_channel' ? 'channels:read' : t === 'private_channel' ? 'groups:read' : t === 'mpim' ? 'mpim:read' : 'im:read')))];
      const missing = needed.filter((n) => !scopes.has(n));
      if (missing.length > 0) return { ok: false, error: 'missing_scope', needed: missing.join(','), provided: [...scopes].join(',') };
      const limit = a.limit === undefined ? 100 : Number(a.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return { ok: false, error: 'invalid_limit' };
      const excludeArchived = a.exclude_archived === true || a.exclude_archived === 'true' || a.exclude_archived === '1';
      const all = [...channels.entries()]
        .map(([id, name]) => ({ id, name, ...(channelFlags.get(id) ?? { private: false, archived: false }) }))
        .filter((c) => types.includes(c.private ? 'private_channel' : 'public_channel'))
        .filter((c) => !(excludeArchived && c.archived));
      let start = 0;
      const cursor = str(a.cursor);
      if (cursor) {
        const m = /^next:(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
        if (!m) return { ok: false, error: 'invalid_cursor' };
        start = Number(m[1]);
      }
      const page = all.slice(start, start + Math.min(limit, channelListing.pageSize));
      const end = start + page.length;
      return {
        ok: true,
        channels: page.map((c) => ({
          id: c.id,
          name: c.name,
          is_channel: !c.private,
          is_group: false,
          is_im: false,
          is_mpim: false,
          is_private: c.private,
          is_archived: c.archived,
          is_general: c.name === 'general',
          is_member: true,
          num_members: 1,
        })),
        response_metadata: { next_cursor: end < all.length ? Buffer.from(`next:${end}`).toString('base64') : '' },
      };
    },
    'files.getUploadURLExternal': (a) => {
      const filename = str(a.filename);
      const length = Number(a.length);
      if (!filename || !Number.isInteger(length) || length <= 0) return { ok: false, error: 'invalid_arguments' };
      const id = `F${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`;
      state.files.set(id, { id, filename, length, bytes: null, shared: false });
      return { ok: true, upload_url: `${base}/upload/${id}`, file_id: id };
    },
    'files.completeUploadExternal': (a) => {
      const files = a.files;
      if (!Array.isArray(files) || files.length === 0) return { ok: false, error: 'invalid_arguments' };
      const channel = str(a.channel_id);
      if (channel && !channels.has(channel)) return { ok: false, error: 'channel_not_found' };
      const threadTs = str(a.thread_ts);
      if (threadTs && (!channel || !findMessage(channel, threadTs))) return { ok: false, error: 'invalid_thread_ts' };
      const done: FakeSlackFile[] = [];
      for (const f of files as { id?: unknown; title?: unknown }[]) {
        const file = typeof f.id === 'string' ? state.files.get(f.id) : undefined;
        if (!file || file.bytes === null) return { ok: false, error: 'file_not_found' };
        done.push(file);
      }
      for (const file of done) {
        const title = (files as { id: string; title?: unknown }[]).find((f) => f.id === file.id)?.title;
        if (typeof title === 'string') file.title = title;
        file.shared = true;
        if (channel) file.channel = channel;
        if (threadTs) file.thread_ts = threadTs;
      }
      return { ok: true, files: done.map((f) => ({ id: f.id, title: f.title ?? f.filename })) };
    },
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const raw = await readBody(req);

      // Step 2 of the external upload: raw bytes (or multipart) to the URL Slack handed out.
      const up = /^\/upload\/([A-Z0-9]+)$/.exec(url.pathname);
      if (up && req.method === 'POST') {
        const f = takeFailure('upload');
        if (f?.kind === 'http') return json(res, f.status, { ok: false });
        const file = state.files.get(up[1] ?? '');
        if (!file) return json(res, 404, { ok: false });
        file.bytes = raw;
        file.uploadContentType = req.headers['content-type'];
        res.writeHead(200, { 'content-type': 'text/plain' });
        return res.end(`OK - ${raw.length}`);
      }
      // Private file download: only with the bot token, as Slack requires.
      const dl = /^\/files-pri\/([A-Z0-9]+)\/(.+)$/.exec(url.pathname);
      if (dl && req.method === 'GET') {
        if (req.headers.authorization !== `Bearer ${botToken}`) {
          res.writeHead(302, { location: `${base}/login` });
          return res.end();
        }
        const f = takeFailure('download');
        if (f?.kind === 'http') return json(res, f.status, { ok: false });
        const file = state.files.get(dl[1] ?? '');
        if (!file?.bytes) return json(res, 404, { ok: false });
        if (file.delayMs) await new Promise((r) => setTimeout(r, file.delayMs));
        res.writeHead(200, { 'content-type': file.uploadContentType ?? 'application/octet-stream', 'content-length': String(file.bytes.length) });
        return res.end(file.bytes);
      }
      const rsp = /^\/respond\/([\w-]+)$/.exec(url.pathname);
      if (rsp && req.method === 'POST') {
        const body = parseArgs(raw, req.headers['content-type'] ?? 'application/json');
        state.responses.push({ id: rsp[1] ?? '', body: body ?? {} });
        res.writeHead(200, { 'content-type': 'text/plain' });
        return res.end('ok');
      }

      const m = /^\/api\/([\w.]+)$/.exec(url.pathname);
      if (!m || req.method !== 'POST') return json(res, 404, { ok: false, error: 'unknown_method' });
      const method = m[1] ?? '';
      const args = parseArgs(raw, req.headers['content-type']);
      if (args === null) return json(res, 200, { ok: false, error: 'invalid_json' });
      state.calls.push({ method, args, at: Date.now() });

      const failure = takeFailure(method);
      if (failure?.kind === 'slow') await new Promise((r) => setTimeout(r, failure.delayMs));
      else if (failure?.kind === 'ratelimit') {
        return json(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(failure.retryAfterSec) });
      } else if (failure?.kind === 'http') {
        res.writeHead(failure.status, { 'content-type': 'text/html' });
        return res.end('<html>Slack is having trouble</html>');
      } else if (failure?.kind === 'error') return json(res, 200, { ok: false, error: failure.error });

      if (method === 'apps.connections.open') {
        // The app-level token only, as Slack: a bot token is the wrong kind.
        const header = req.headers.authorization;
        const token = header?.startsWith('Bearer ') ? header.slice(7) : str(args.token);
        if (!token) return json(res, 200, { ok: false, error: 'not_authed' });
        if (token === botToken) return json(res, 200, { ok: false, error: 'not_allowed_token_type' });
        if (token !== appToken) return json(res, 200, { ok: false, error: 'invalid_auth' });
        return json(res, 200, { ok: true, url: socket.open() });
      }
      const handler = methods[method];
      if (!handler) return json(res, 200, { ok: false, error: 'unknown_method' });
      const auth = authed(req, args);
      if (auth !== 'ok') return json(res, 200, { ok: false, error: auth });
      return json(res, 200, handler(args));
    })().catch((err: unknown) => {
      json(res, 500, { ok: false, error: String(err) });
    });
  });

  const socket = attachFakeSocketMode(server, { appToken, appId: 'A0APP', teamId, botUserId, baseUrl: () => base });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;

  let responseCounter = 0;
  const fake: FakeSlack = {
    onPost: null,
    url: base,
    apiUrl: `${base}/api/`,
    botToken,
    appToken,
    teamId,
    botUserId,
    botId,
    ...state,
    callsTo: (method) => state.calls.filter((c) => c.method === method),
    addChannel: (id, name, o) => {
      channels.set(id, name ?? id.toLowerCase());
      channelFlags.set(id, { private: o?.private ?? false, archived: o?.archived ?? false });
    },
    scopes,
    get pageSize() {
      return channelListing.pageSize;
    },
    set pageSize(n: number) {
      channelListing.pageSize = n;
    },
    addUser: (user) => void users.set(user.id, user),
    hostFile: (bytes, o) => {
      const id = `F${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`;
      state.files.set(id, { id, filename: o.name, length: bytes.length, bytes, uploadContentType: o.mimetype, shared: true, delayMs: o.delayMs });
      const url = `${base}/files-pri/${id}/${encodeURIComponent(o.name)}`;
      return { id, name: o.name, mimetype: o.mimetype, size: bytes.length, url_private: url, url_private_download: url };
    },
    responseUrl: () => `${base}/respond/r${++responseCounter}`,
    failNext: (method, failure, times = 1) => void failures.push({ method, failure, left: times }),
    thread: (channel, threadTs) => state.messages.filter((m) => m.channel === channel && m.thread_ts === threadTs),
    roots: (channel) => state.messages.filter((m) => m.channel === channel && !m.thread_ts),
    socket,
    close: async () => {
      await socket.close();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
  return fake;
}
