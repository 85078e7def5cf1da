// A small, strict local stand-in for the Bot Framework connector service that Teams activities
// name as their `serviceUrl`. Tests send activities to the bridge with `serviceUrl` pointing here;
// everything the bridge posts back lands here and is recorded.
//
// Implements what the Teams adapter uses:
//   POST /v3/conversations                                   (new thread in a channel)
//   POST /v3/conversations/{id}/activities                   (post into a conversation/thread)
//   POST /v3/conversations/{id}/activities/{activityId}      (reply to an activity)
//   PUT  /v3/conversations/{id}/activities/{activityId}      (update an activity)
//   GET  /v3/teams/{teamId}/conversations                    (channels of a team)
//   GET  /attachments/{id}                                   (files the tests attach to replies)
// Strict: an activity without `type`, or (for posts into a conversation) without a `conversation`
// matching the URL, is a 400, like the real service. Can answer 429 + Retry-After, 5xx, or slowly.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ConnectorActivity {
  type: string;
  id?: string;
  text?: string;
  textFormat?: string;
  conversation?: { id: string };
  replyToId?: string;
  attachments?: { contentType: string; contentUrl?: string; name?: string; content?: unknown }[];
  channelData?: unknown;
  entities?: unknown[];
  [key: string]: unknown;
}

export interface ConnectorCall {
  method: string;
  path: string;
  /** Decoded conversation id from the path, when there is one. */
  conversationId: string | null;
  /** Activity id from the path (reply target or updated activity). */
  activityId: string | null;
  /** Authorization header as received (null when absent). */
  authorization: string | null;
  body: unknown;
  /** What the fake answered. */
  status: number;
  /** Id the fake assigned (new activity id), when it answered 2xx. */
  assignedId: string | null;
}

/** A stored activity, as a Teams client would see it. */
export interface StoredActivity {
  id: string;
  conversationId: string;
  /** Root activity id of the thread it lives in (itself for a root). */
  threadRootId: string;
  channelId: string;
  activity: ConnectorActivity;
  updates: ConnectorActivity[];
}

export interface FailureSpec {
  status: number;
  /** Seconds, sent as the Retry-After header. */
  retryAfter?: number;
  body?: unknown;
  /** Only for calls whose method+path match (default: any Bot Framework call). */
  match?: (method: string, path: string) => boolean;
}

export interface FakeBotConnector {
  /** Base URL to use as the activities' serviceUrl, with a trailing slash like the real one. */
  readonly serviceUrl: string;
  readonly calls: ConnectorCall[];
  /** Every activity posted, in order of arrival. */
  readonly activities: StoredActivity[];
  /** Roots created through POST /v3/conversations, in order. */
  roots(channelId?: string): StoredActivity[];
  /** Activities posted into the thread under a root (not the root itself), in order. */
  thread(rootId: string): StoredActivity[];
  /** The next matching calls fail as given (queued, one failure per call). */
  failNext(spec: FailureSpec, times?: number): void;
  /** Every call waits this long before answering. */
  setDelay(ms: number): void;
  /** When set, every call must carry `Authorization: Bearer <token>` (401 otherwise). */
  requireToken(token: string | null): void;
  /** Channels returned for GET /v3/teams/{teamId}/conversations. */
  setTeamChannels(teamId: string, channels: { id: string; name?: string }[]): void;
  /** Serves bytes at GET /attachments/{id} (after `delayMs`, when given); returns the absolute URL. */
  addAttachment(bytes: Buffer, contentType: string, opts?: { delayMs?: number }): string;
  close(): Promise<void>;
}

const BF_PREFIX = '/v3/';

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}

function bfError(code: string, message: string): unknown {
  return { error: { code, message } };
}

function isActivity(value: unknown): value is ConnectorActivity {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string'
    && (value as { type: string }).type.length > 0;
}

export async function startFakeBotConnector(): Promise<FakeBotConnector> {
  const calls: ConnectorCall[] = [];
  const activities: StoredActivity[] = [];
  const failures: FailureSpec[] = [];
  const teamChannels = new Map<string, { id: string; name?: string }[]>();
  const attachments = new Map<string, { bytes: Buffer; contentType: string; delayMs?: number }>();
  let delayMs = 0;
  let token: string | null = null;
  let nextId = 1_700_000_000_000;
  const newId = (): string => String(nextId++);

  const byId = (conversationId: string, id: string): StoredActivity | undefined =>
    activities.find((a) => a.id === id && (a.conversationId === conversationId || a.channelId === conversationId.split(';')[0]));

  /** Splits "19:abc@thread.tacv2;messageid=123" into channel and thread root. */
  const parseConversation = (id: string): { channelId: string; rootId: string | null } => {
    const m = /^(.*);messageid=(\d+)$/.exec(id);
    return m ? { channelId: m[1]!, rootId: m[2]! } : { channelId: id, rootId: null };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    const authorization = req.headers.authorization ?? null;
    const call: ConnectorCall = {
      method,
      path: url.pathname,
      conversationId: null,
      activityId: null,
      authorization,
      body: undefined,
      status: 0,
      assignedId: null,
    };
    calls.push(call);
    const answer = (status: number, body?: unknown, headers?: Record<string, string>): void => {
      call.status = status;
      send(res, status, body, headers);
    };

    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));

    // Attachments the tests put up (Teams-hosted files a user attached to a reply).
    const att = /^\/attachments\/([^/]+)$/.exec(url.pathname);
    if (att && method === 'GET') {
      if (token !== null && authorization !== `Bearer ${token}`) return answer(401, bfError('Unauthorized', 'bad token'));
      const file = attachments.get(att[1]!);
      if (!file) return answer(404, bfError('NotFound', 'no such attachment'));
      if (file.delayMs) await new Promise((r) => setTimeout(r, file.delayMs));
      call.status = 200;
      res.writeHead(200, { 'content-type': file.contentType, 'content-length': String(file.bytes.length) });
      res.end(file.bytes);
      return;
    }

    if (!url.pathname.startsWith(BF_PREFIX)) return answer(404, bfError('NotFound', 'unknown route'));

    const failure = failures.findIndex((f) => !f.match || f.match(method, url.pathname));
    if (failure >= 0) {
      const f = failures.splice(failure, 1)[0]!;
      const headers: Record<string, string> = f.retryAfter !== undefined ? { 'retry-after': String(f.retryAfter) } : {};
      return answer(f.status, f.body ?? bfError('Throttled', `fake failure ${f.status}`), headers);
    }

    if (token !== null && authorization !== `Bearer ${token}`) {
      return answer(401, bfError('Unauthorized', 'Authorization has been denied for this request.'));
    }

    let body: unknown = undefined;
    if (method === 'POST' || method === 'PUT') {
      if (!/application\/json/i.test(req.headers['content-type'] ?? '')) {
        return answer(415, bfError('BadArgument', 'content-type must be application/json'));
      }
      try {
        body = raw.length ? JSON.parse(raw) : undefined;
      } catch {
        return answer(400, bfError('BadSyntax', 'body is not JSON'));
      }
    }
    call.body = body;

    // GET /v3/teams/{teamId}/conversations
    const teams = /^\/v3\/teams\/([^/]+)\/conversations$/.exec(url.pathname);
    if (teams && method === 'GET') {
      const teamId = decodeURIComponent(teams[1]!);
      const list = teamChannels.get(teamId);
      if (!list) return answer(404, bfError('NotFound', 'team not found'));
      return answer(200, { conversations: list });
    }

    // POST /v3/conversations
    if (url.pathname === '/v3/conversations' && method === 'POST') {
      const params = body as { isGroup?: unknown; channelData?: { channel?: { id?: unknown } }; activity?: unknown } | undefined;
      const channelId = params?.channelData?.channel?.id;
      if (typeof channelId !== 'string' || !channelId) {
        return answer(400, bfError('BadArgument', 'channelData.channel.id is required'));
      }
      if (params?.isGroup !== true) return answer(400, bfError('BadArgument', 'isGroup must be true for a channel thread'));
      if (!isActivity(params.activity)) return answer(400, bfError('BadArgument', 'activity.type is required'));
      const id = newId();
      const conversationId = `${channelId};messageid=${id}`;
      activities.push({ id, conversationId, threadRootId: id, channelId, activity: params.activity, updates: [] });
      call.assignedId = id;
      return answer(201, { id: conversationId, activityId: id });
    }

    // /v3/conversations/{id}/activities[/{activityId}]
    const conv = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?$/.exec(url.pathname);
    if (conv && (method === 'POST' || method === 'PUT')) {
      const conversationId = decodeURIComponent(conv[1]!);
      const activityId = conv[2] ? decodeURIComponent(conv[2]) : null;
      call.conversationId = conversationId;
      call.activityId = activityId;
      if (!isActivity(body)) return answer(400, bfError('BadArgument', 'activity.type is required'));
      if (!body.conversation || body.conversation.id !== conversationId) {
        return answer(400, bfError('BadArgument', 'activity.conversation.id must match the conversation in the URL'));
      }
      const { channelId, rootId } = parseConversation(conversationId);
      if (method === 'PUT') {
        if (!activityId) return answer(405, bfError('MethodNotAllowed', 'PUT needs an activity id'));
        const existing = byId(conversationId, activityId);
        if (!existing) return answer(404, bfError('NotFound', 'activity not found'));
        existing.updates.push(body);
        call.assignedId = activityId;
        return answer(200, { id: activityId });
      }
      // A thread is addressed either by ";messageid=<root>" or by replying to an activity.
      const threadRootId = rootId ?? (activityId ? byId(conversationId, activityId)?.threadRootId ?? activityId : null);
      if (!threadRootId) return answer(400, bfError('BadArgument', 'a channel post needs a thread (;messageid=) or a reply target'));
      if (!activities.some((a) => a.id === threadRootId)) {
        return answer(404, bfError('ConversationNotFound', 'thread root not found'));
      }
      const id = newId();
      activities.push({ id, conversationId, threadRootId, channelId, activity: body, updates: [] });
      call.assignedId = id;
      return answer(201, { id });
    }

    return answer(404, bfError('NotFound', `no route for ${method} ${url.pathname}`));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, bfError('InternalError', String(err)));
      else res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;

  return {
    serviceUrl: `${base}/`,
    calls,
    activities,
    roots: (channelId) => activities.filter((a) => a.id === a.threadRootId && (!channelId || a.channelId === channelId)),
    thread: (rootId) => activities.filter((a) => a.threadRootId === rootId && a.id !== rootId),
    failNext(spec, times = 1) {
      for (let i = 0; i < times; i++) failures.push(spec);
    },
    setDelay(ms) {
      delayMs = ms;
    },
    requireToken(t) {
      token = t;
    },
    setTeamChannels(teamId, channels) {
      teamChannels.set(teamId, channels);
    },
    addAttachment(bytes, contentType, opts = {}) {
      const id = `att-${attachments.size + 1}`;
      attachments.set(id, { bytes, contentType, delayMs: opts.delayMs });
      return `${base}/attachments/${id}`;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/**
 * The activity Teams sends when the bot is added to a team (conversationUpdate with the bot in
 * membersAdded and channelData.eventType teamMemberAdded).
 */
export function botAddedToTeamActivity(opts: {
  id: string;
  serviceUrl: string;
  botId: string;
  teamId: string;
  teamName: string;
  tenantId: string;
  from?: Record<string, unknown>;
}): Record<string, unknown> {
  return {
    type: 'conversationUpdate',
    id: opts.id,
    serviceUrl: opts.serviceUrl,
    channelId: 'msteams',
    from: opts.from ?? { id: '29:admin', name: 'Admin' },
    recipient: { id: opts.botId, name: 'SMS Bridge' },
    conversation: { id: opts.teamId, conversationType: 'channel', isGroup: true, tenantId: opts.tenantId },
    membersAdded: [{ id: opts.botId }],
    channelData: { eventType: 'teamMemberAdded', team: { id: opts.teamId, name: opts.teamName }, tenant: { id: opts.tenantId } },
  };
}
