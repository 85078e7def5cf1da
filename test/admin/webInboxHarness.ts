// A real bridge for web inbox tests: the production wiring (buildBridgeParts) with its registry in
// reach (to turn a stand-in chat platform on), fast lanes, and console sessions made by signing
// in for real (POST /admin/session). Real HTTP, real Redis under the test's own prefix, real
// SQLite (or Postgres with TEST_STORE=postgres).
import type { ChatPlatform, MessagePost } from '../../src/core/ports.js';
import type { Conversation, ThreadRef } from '../../src/core/types.js';
import type { BridgeModule } from '../../src/app.js';
import type { ChatRegistry } from '../../src/delivery/registry.js';
import { buildBridgeParts } from '../../src/wiring.js';
import { ADMIN_TOKEN, json, startTestBridge, type TestBridge } from '../http/helpers.js';
import { freshPostgresUrl, TEST_ENGINE } from '../support/testDatabase.js';
import { waitUntil } from '../support/wait.js';

export const OURS = '+14155552671';
export const CONTACT = '+16465553890';

export interface InboxBridge extends TestBridge {
  registry: ChatRegistry;
}

/**
 * The store every bridge of a test runs on: SQLite in DATA_DIR, or with TEST_STORE=postgres a
 * fresh Postgres schema (give the same `env` to a second instance to share it).
 */
export async function storeEnv(): Promise<Record<string, string>> {
  return TEST_ENGINE === 'postgres' ? { DATABASE_URL: await freshPostgresUrl() } : {};
}

export async function startInboxBridge(opts: { dataDir?: string; keepDataDir?: boolean; env?: Record<string, string> } = {}): Promise<InboxBridge> {
  let registry: ChatRegistry | null = null;
  const wired: BridgeModule = async (ctx) => {
    const built = await buildBridgeParts(ctx, {
      outbound: { backoff: { baseMs: 20, maxMs: 100 } },
      delivery: { backoff: { baseMs: 20, maxMs: 100 } },
      eventsKeepAliveMs: 200,
    });
    registry = built.registry;
    return built.parts;
  };
  const bridge = await startTestBridge(opts.env ?? (await storeEnv()), { modules: [wired], dataDir: opts.dataDir, keepDataDir: opts.keepDataDir });
  return { ...bridge, registry: registry! };
}

/** What a signed-in browser sends: its session cookie, and its Origin (state changes need it). */
export interface ConsoleSession {
  cookie: string;
  origin: string;
}

/** Signs in at the console as `name` with the admin token; the session the browser would hold. */
export async function signIn(b: TestBridge, name: string): Promise<ConsoleSession> {
  const res = await fetch(`${b.url}/admin/session`, { method: 'POST', headers: { 'content-type': 'application/json', origin: b.url }, body: JSON.stringify({ token: ADMIN_TOKEN, name }) });
  if (res.status !== 200) throw new Error(`sign-in refused: ${res.status} ${await res.text()}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  return { cookie, origin: b.url };
}

/** Call options for a request made by the signed-in browser (no bearer token). */
export function asSession(s: ConsoleSession, opts: { body?: unknown; headers?: Record<string, string> } = {}) {
  return { ...opts, token: null, headers: { cookie: s.cookie, origin: s.origin, ...(opts.headers ?? {}) } };
}

/** A stand-in chat platform (as if Teams were configured): records what it was asked to post. */
export function standInPlatform(id = 'teams'): ChatPlatform & { posted: Array<{ channel: string; body: string }> } {
  const posted: Array<{ channel: string; body: string }> = [];
  let n = 0;
  return {
    id,
    posted,
    async createThread(conversation: Conversation) {
      return { threadId: `root-${conversation.id}` };
    },
    async post(thread: ThreadRef, view) {
      posted.push({ channel: thread.channel, body: view.message.body });
      return { platformMessageId: `${id}:${++n}` };
    },
    async showStatus(_p: MessagePost) {},
  };
}

export async function addLocalNumber(b: TestBridge, number = OURS): Promise<void> {
  const res = await b.call('POST', '/admin/api/numbers', { body: { number, provider: 'local' } });
  if (res.status !== 201) throw new Error(`number not added: ${res.status} ${await res.text()}`);
}

/** The contact texts our number through the dev phone; returns the conversation id. */
export async function contactTexts(
  b: TestBridge,
  body: string,
  opts: { from?: string; to?: string } = {},
): Promise<{ conversationId: string; messageId: string; routed: boolean; webInbox: boolean }> {
  const res = await json<{ conversationId: string; messageId: string; routed: boolean; webInbox: boolean }>(
    b.call('POST', '/admin/api/dev/inbound', { body: { from: opts.from ?? CONTACT, to: opts.to ?? OURS, body } }),
  );
  if (res.status !== 201) throw new Error(`inbound not taken: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function devOutbox(b: TestBridge): Promise<Array<{ to: string; body: string }>> {
  return (await json<Array<{ to: string; body: string }>>(b.call('GET', '/admin/api/dev/outbox'))).body;
}

/** Waits until the message has been through the delivery lane (posted where it shows). */
export async function waitPosted(b: TestBridge, messageId: string, platform = 'web'): Promise<void> {
  await waitUntil(async () => (await b.ctx.store.posts.listForMessage(messageId)).some((p) => p.platform === platform), `message posted in ${platform}`);
}

/** Waits until the delivery lane has nothing pending (every text went where it could). */
export async function waitDeliveriesDone(b: TestBridge): Promise<void> {
  await waitUntil(async () => (await b.ctx.store.outbox.stats()).every((s) => s.lane !== 'deliver' || s.state === 'failed' || s.count === 0), 'the delivery lane idle');
}
