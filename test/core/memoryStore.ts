// An in-memory Store for the core's unit tests: small, but faithful to the port where the use
// cases depend on it (uniqueness of conversations, provider and platform message ids, threads;
// forward-only status through the core's own canAdvance; transactions that roll back on throw).
// Asynchronous like the port: the repositories below are written synchronously on the state and
// wrapped so every call answers with a promise. An open transaction holds the store across its
// awaits: calls from outside it wait (as on SQLite), calls inside it (same async context) join it.

import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

import { ConflictError } from '../../src/core/errors.js';
import { mergePolicy } from '../../src/infra/store/repos/policy.js';
import type {
  AuditEntry,
  Clock,
  AuditRepo,
  ConversationRepo,
  MappingRepo,
  MediaFileRepo,
  MediaRepo,
  MessagePost,
  MessagePostRepo,
  MessageRepo,
  NewMessage,
  NumberRepo,
  OptOutRepo,
  OutboxRepo,
  PolicyRepo,
  PostIntentKey,
  PostIntentRepo,
  Store,
  ThreadRepo,
  UserRepo,
} from '../../src/core/ports.js';
import { canAdvance, NOT_POSTED_ERROR_CODE } from '../../src/core/status.js';
import { memoryOutbox, type OutboxState } from './memoryOutbox.js';
import {
  DEFAULT_POLICY,
  type Conversation,
  type Mapping,
  type MediaItem,
  type Message,
  type Policy,
  type ProvisionedNumber,
  type ThreadRef,
  type UserPolicy,
} from '../../src/core/types.js';

export interface MemoryState extends OutboxState {
  numbers: Map<string, ProvisionedNumber>;
  mappings: Map<string, Mapping>;
  conversations: Map<string, Conversation>;
  threads: ThreadRef[];
  messages: Map<string, Omit<Message, 'media'>>;
  media: Map<string, MediaItem>;
  /** Bytes of stored media files, by media id. */
  mediaFiles: Map<string, Buffer>;
  posts: MessagePost[];
  optOuts: Map<string, { optedOut: boolean; keyword: string | null; at: string }>;
  /** Chat post intents: started-at time by kind|subject|platform|channel. */
  postIntents: Map<string, string>;
  policy: Policy;
  users: Map<string, UserPolicy>;
  audit: AuditEntry[];
  /** Every opt-out write, to prove duplicates write nothing. */
  optOutWrites: { number: string; contact: string; optedOut: boolean }[];
}

/** A fixed or advancing clock for tests. */
export function fixedClock(start = '2026-01-15T12:00:00.000Z'): Clock & { advance(ms: number): void } {
  let t = new Date(start).getTime();
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
    },
  };
}

const clone = <T>(v: T): T => structuredClone(v);

/** The synchronous shape of an async repository (what the in-memory code implements). */
export type SyncRepo<T> = {
  [K in keyof T]: NonNullable<T[K]> extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : T[K];
};

/** One holder at a time: an open transaction; calls in its async context run at once. */
class MemoryGate {
  private readonly scope = new AsyncLocalStorage<{ open: boolean }>();
  private tail: Promise<void> = Promise.resolve();
  private held = false;

  inTransaction(): boolean {
    return this.scope.getStore()?.open === true;
  }

  async run<T>(fn: () => T): Promise<T> {
    while (this.held && !this.inTransaction()) await this.tail;
    return fn();
  }

  async transaction<T>(begin: () => () => void, fn: () => Promise<T>): Promise<T> {
    // Nested calls join the outer transaction; the outermost rolls everything back on throw.
    if (this.inTransaction()) return fn();
    while (this.held) await this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    this.held = true;
    const scope = { open: true };
    const rollback = begin();
    try {
      return await this.scope.run(scope, fn);
    } catch (err) {
      rollback();
      throw err;
    } finally {
      scope.open = false;
      this.held = false;
      release();
    }
  }

  wrap<T extends object>(repo: SyncRepo<T>): T {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(repo)) {
      out[key] = typeof value === 'function' ? (...args: unknown[]) => this.run(() => (value as (...a: unknown[]) => unknown)(...args)) : value;
    }
    return out as T;
  }
}

const intentKey = (k: PostIntentKey): string => [k.kind, k.subjectId, k.platform, k.channel].join('|');

export function createMemoryStore(clock: Clock = fixedClock()): Store & { state: MemoryState } {
  let state: MemoryState = {
    numbers: new Map(),
    mappings: new Map(),
    conversations: new Map(),
    threads: [],
    messages: new Map(),
    media: new Map(),
    mediaFiles: new Map(),
    posts: [],
    postIntents: new Map(),
    optOuts: new Map(),
    policy: clone(DEFAULT_POLICY),
    users: new Map(),
    audit: [],
    optOutWrites: [],
    outbox: [],
    outboxSeq: 0,
  };
  const now = () => clock.now().toISOString();

  const withMedia = (m: Omit<Message, 'media'>): Message => ({
    ...clone(m),
    media: [...state.media.values()].filter((x) => x.messageId === m.id).map(clone),
  });

  const findMessage = (pred: (m: Omit<Message, 'media'>) => boolean): Message | null => {
    for (const m of state.messages.values()) if (pred(m)) return withMedia(m);
    return null;
  };

  const gate = new MemoryGate();
  const media: SyncRepo<MediaRepo> = {
    create(input) {
      const item: MediaItem = { ...input, id: randomUUID(), createdAt: now() };
      state.media.set(item.id, item);
      return clone(item);
    },
    get: (id) => (state.media.has(id) ? clone(state.media.get(id) as MediaItem) : null),
    listForMessage: (messageId) => [...state.media.values()].filter((m) => m.messageId === messageId).map(clone),
    update(id, patch) {
      const m = state.media.get(id);
      if (!m) return null;
      Object.assign(m, patch);
      return clone(m);
    },
    attach(mediaId, messageId) {
      const m = state.media.get(mediaId);
      if (!m) return null;
      m.messageId = messageId;
      return clone(m);
    },
  };

  const store: Store & { state: MemoryState } = {
    get state() {
      return state;
    },
    numbers: gate.wrap<NumberRepo>({
      get: (e164) => (state.numbers.has(e164) ? clone(state.numbers.get(e164) as ProvisionedNumber) : null),
      list: () => [...state.numbers.values()].map(clone),
      create(input) {
        if (state.numbers.has(input.e164)) throw new ConflictError(`${input.e164} exists`);
        const n: ProvisionedNumber = {
          ...input,
          segmentsPerSecond: input.segmentsPerSecond ?? null,
          createdAt: now(),
          updatedAt: now(),
        };
        state.numbers.set(n.e164, n);
        return clone(n);
      },
      update(e164, patch) {
        const n = state.numbers.get(e164);
        if (!n) return null;
        Object.assign(n, patch, { updatedAt: now() });
        return clone(n);
      },
      remove: (e164) => state.numbers.delete(e164),
    }),
    mappings: gate.wrap<MappingRepo>({
      create(input) {
        for (const m of state.mappings.values()) {
          if (m.number === input.number && m.platform === input.platform && m.channel === input.channel) {
            throw new ConflictError('mapped already');
          }
        }
        const m: Mapping = { ...input, id: randomUUID(), createdAt: now() };
        state.mappings.set(m.id, m);
        return clone(m);
      },
      get: (id) => (state.mappings.has(id) ? clone(state.mappings.get(id) as Mapping) : null),
      list: (f = {}) =>
        [...state.mappings.values()]
          .filter((m) => (f.number === undefined || m.number === f.number) && (f.platform === undefined || m.platform === f.platform) && (f.channel === undefined || m.channel === f.channel))
          .map(clone),
      remove: (id) => state.mappings.delete(id),
    }),
    conversations: gate.wrap<ConversationRepo>({
      getOrCreate(number, contact) {
        for (const c of state.conversations.values()) {
          if (c.number === number && c.contact === contact) return { conversation: clone(c), created: false };
        }
        const c: Conversation = { id: randomUUID(), number, contact, createdAt: now() };
        state.conversations.set(c.id, c);
        return { conversation: clone(c), created: true };
      },
      get: (id) => (state.conversations.has(id) ? clone(state.conversations.get(id) as Conversation) : null),
      find: (number, contact) =>
        clone([...state.conversations.values()].find((c) => c.number === number && c.contact === contact) ?? null),
      list: (f = {}) =>
        [...state.conversations.values()]
          .filter((c) => (f.number === undefined || c.number === f.number) && (f.contact === undefined || c.contact === f.contact))
          .map(clone),
    }),
    threads: gate.wrap<ThreadRepo>({
      get: (cid, platform, channel) =>
        clone(state.threads.find((t) => t.conversationId === cid && t.platform === platform && t.channel === channel) ?? null),
      save(ref) {
        const existing = state.threads.find((t) => t.conversationId === ref.conversationId && t.platform === ref.platform && t.channel === ref.channel);
        if (existing) return clone(existing);
        const t: ThreadRef = { ...ref, createdAt: now() };
        state.threads.push(t);
        return clone(t);
      },
      listForConversation: (cid) => state.threads.filter((t) => t.conversationId === cid).map(clone),
      findByThread: (platform, channel, threadId) =>
        clone(state.threads.find((t) => t.platform === platform && t.channel === channel && t.threadId === threadId) ?? null),
    }),
    messages: gate.wrap<MessageRepo>({
      // No admin resend and no send ledger in memory: generation 0, no recorded send call.
      resendCount: () => 0,
      sentThrough: () => null,
      insert(input: NewMessage) {
        const dup =
          (input.provider && input.providerMessageId
            ? findMessage((m) => m.provider === input.provider && m.providerMessageId === input.providerMessageId)
            : null) ?? (input.platformMessageId ? findMessage((m) => m.platformMessageId === input.platformMessageId) : null);
        if (dup) return { message: dup, duplicate: true };
        const at = input.createdAt ?? now();
        const m: Omit<Message, 'media'> = {
          id: randomUUID(),
          conversationId: input.conversationId,
          direction: input.direction,
          body: input.body,
          status: input.status,
          statusReason: input.statusReason ?? null,
          errorCode: input.errorCode ?? null,
          author: input.author ?? null,
          provider: input.provider ?? null,
          providerMessageId: input.providerMessageId ?? null,
          platformMessageId: input.platformMessageId ?? null,
          encoding: input.encoding,
          segments: input.segments,
          otherRecipients: input.otherRecipients ?? [],
          createdAt: at,
          updatedAt: at,
        };
        state.messages.set(m.id, m);
        return { message: withMedia(m), duplicate: false };
      },
      get: (id) => (state.messages.has(id) ? withMedia(state.messages.get(id) as Message) : null),
      getByProviderId: (provider, pid) => findMessage((m) => m.provider === provider && m.providerMessageId === pid),
      getByPlatformMessageId: (pid) => findMessage((m) => m.platformMessageId === pid),
      listForConversation: (cid) =>
        [...state.messages.values()].filter((m) => m.conversationId === cid).sort((a, b) => a.createdAt.localeCompare(b.createdAt)).map(withMedia),
      search: (opts) =>
        [...state.messages.values()]
          .filter((m) => (opts.text === undefined || m.body.includes(opts.text)) && (opts.direction === undefined || m.direction === opts.direction))
          .slice(0, opts.limit ?? 100).map(withMedia),
      listUnrouted: () =>
        [...state.messages.values()]
          .filter((m) => {
            if (m.direction !== 'inbound') return false;
            if (m.errorCode === NOT_POSTED_ERROR_CODE) return true;
            const c = state.conversations.get(m.conversationId);
            return c !== undefined && ![...state.mappings.values()].some((x) => x.number === c.number);
          })
          .map(withMedia),
      markNotPosted(id, reason) {
        const m = state.messages.get(id);
        if (!m || m.direction !== 'inbound') return null;
        m.errorCode = NOT_POSTED_ERROR_CODE;
        m.statusReason = reason;
        m.updatedAt = now();
        return withMedia(m);
      },
      advanceStatus(id, status, opts = {}) {
        const m = state.messages.get(id);
        if (!m || !canAdvance(m.status, status)) return null;
        m.status = status;
        m.statusReason = opts.reason ?? m.statusReason;
        m.errorCode = opts.errorCode ?? m.errorCode;
        m.updatedAt = now();
        return withMedia(m);
      },
      setProviderMessageId(id, provider, pid) {
        const m = state.messages.get(id);
        if (!m) return;
        if (findMessage((x) => x.id !== id && x.provider === provider && x.providerMessageId === pid)) {
          throw new ConflictError('provider message id taken');
        }
        m.provider = provider;
        m.providerMessageId = pid;
      },
    }),
    media: gate.wrap<MediaRepo>(media),
    mediaFiles: gate.wrap<MediaFileRepo>({
      put(mediaId, bytes) {
        state.mediaFiles.set(mediaId, Buffer.from(bytes));
      },
      get: (mediaId) => {
        const bytes = state.mediaFiles.get(mediaId);
        return bytes ? Buffer.from(bytes) : null;
      },
    }),
    posts: gate.wrap<MessagePostRepo>({
      save(post) {
        const existing = state.posts.find(
          (p) => (p.platform === post.platform && p.platformMessageId === post.platformMessageId) || (p.messageId === post.messageId && p.platform === post.platform && p.channel === post.channel),
        );
        if (existing) throw new ConflictError('posted already');
        const p: MessagePost = { ...post, createdAt: now() };
        state.posts.push(p);
        return clone(p);
      },
      listForMessage: (id) => state.posts.filter((p) => p.messageId === id).map(clone),
      findByPlatformMessageId: (platform, pid) => clone(state.posts.find((p) => p.platform === platform && p.platformMessageId === pid) ?? null),
    }),
    postIntents: gate.wrap<PostIntentRepo>({
      begin(key) {
        const k = intentKey(key);
        const stored = state.postIntents.get(k);
        if (stored) return { startedAt: stored, earlier: true };
        const startedAt = now();
        state.postIntents.set(k, startedAt);
        return { startedAt, earlier: false };
      },
      end: (key) => void state.postIntents.delete(intentKey(key)),
    }),
    optOuts: gate.wrap<OptOutRepo>({
      isOptedOut: (number, contact) => state.optOuts.get(`${number}|${contact}`)?.optedOut ?? false,
      set(number, contact, optedOut, keyword) {
        state.optOutWrites.push({ number, contact, optedOut });
        state.optOuts.set(`${number}|${contact}`, { optedOut, keyword, at: now() });
      },
      listOptedOut: ({ number, limit, after }) =>
        [...state.optOuts.entries()]
          .map(([key, v]) => {
            const [n, c] = key.split('|') as [string, string];
            return { number: n, contact: c, keyword: v.keyword, since: v.at, optedOut: v.optedOut };
          })
          .filter((o) => o.optedOut && (number === undefined || o.number === number))
          .filter((o) => !after || o.number > after.number || (o.number === after.number && o.contact > after.contact))
          .sort((a, b) => (a.number === b.number ? (a.contact < b.contact ? -1 : 1) : a.number < b.number ? -1 : 1))
          .slice(0, limit)
          .map(({ optedOut: _o, ...o }) => o),
    }),
    policy: gate.wrap<PolicyRepo>({
      get: () => clone(state.policy),
      update(patch) {
        state.policy = mergePolicy(state.policy, clone(patch));
        return clone(state.policy);
      },
    }),
    users: gate.wrap<UserRepo>({
      get: (platform, userId) => clone(state.users.get(`${platform}|${userId}`) ?? null),
      upsert(platform, userId, patch) {
        const key = `${platform}|${userId}`;
        const u: UserPolicy = state.users.get(key) ?? { platform, userId, smsEnabled: true, admin: false, updatedAt: now() };
        Object.assign(u, patch, { updatedAt: now() });
        state.users.set(key, u);
        return clone(u);
      },
      list: () => [...state.users.values()].map(clone),
      page: ({ limit, after }) =>
        [...state.users.values()]
          .sort((a, b) => (a.platform === b.platform ? (a.userId < b.userId ? -1 : 1) : a.platform < b.platform ? -1 : 1))
          .filter((u) => !after || u.platform > after.platform || (u.platform === after.platform && u.userId > after.userId))
          .slice(0, limit)
          .map(clone),
    }),
    audit: gate.wrap<AuditRepo>({
      record(entry) {
        const e: AuditEntry = { ...entry, id: state.audit.length + 1, at: now() };
        state.audit.push(e);
        return clone(e);
      },
      list: () => state.audit.map(clone),
    }),
    outbox: gate.wrap<OutboxRepo>(memoryOutbox(() => state, now)),
    transaction<T>(fn: () => Promise<T>): Promise<T> {
      return gate.transaction(() => {
        const snapshot = cloneState(state);
        return () => {
          state = snapshot;
        };
      }, fn);
    },
    ping: () => Promise.resolve(true),
    close: () => Promise.resolve(),
  };
  return store;
}

function cloneState(s: MemoryState): MemoryState {
  return structuredClone(s);
}
