// Ports: what the core needs from the outside world. The store, queues, SMS providers and chat
// platforms implement these at the edge; the core never imports an SDK, express, BullMQ or SQLite.
//
// Store ports are asynchronous: the store may be SQLite in this process or PostgreSQL over the
// network. Transactions stay explicit: `transaction(fn)` runs fn's store calls in one commit, and
// calls made outside it never join it.

import type {
  Author,
  Conversation,
  DeliveryUpdate,
  Direction,
  E164,
  Mapping,
  MediaItem,
  Message,
  MessageStatus,
  NumberStatus,
  NumberType,
  OutboundSms,
  PlatformId,
  Policy,
  PolicyPatch,
  ProviderId,
  ProvisionedNumber,
  TextEncoding,
  ThreadRef,
  UserPolicy,
} from './types.js';

// ---------------------------------------------------------------------------------------------
// Store

export interface NumberRepo {
  get(e164: E164): Promise<ProvisionedNumber | null>;
  list(): Promise<ProvisionedNumber[]>;
  /** Insert; throws ConflictError when the number already exists. */
  create(input: {
    e164: E164;
    provider: ProviderId;
    type: NumberType;
    status: NumberStatus;
    country: string | null;
    segmentsPerSecond?: number | null;
  }): Promise<ProvisionedNumber>;
  update(
    e164: E164,
    patch: Partial<Pick<ProvisionedNumber, 'provider' | 'type' | 'status' | 'segmentsPerSecond'>>,
  ): Promise<ProvisionedNumber | null>;
  /** Removes the number from service; its conversations and messages stay. */
  remove(e164: E164): Promise<boolean>;
}

export interface MappingRepo {
  /** Throws ConflictError when the same (number, platform, channel) is mapped already. */
  create(input: { number: E164; platform: PlatformId; channel: string }): Promise<Mapping>;
  get(id: string): Promise<Mapping | null>;
  list(filter?: { number?: E164; platform?: PlatformId; channel?: string }): Promise<Mapping[]>;
  remove(id: string): Promise<boolean>;
}

export interface ConversationRepo {
  /** Idempotent under concurrency: (number, contact) is unique. */
  getOrCreate(number: E164, contact: string): Promise<{ conversation: Conversation; created: boolean }>;
  get(id: string): Promise<Conversation | null>;
  find(number: E164, contact: string): Promise<Conversation | null>;
  list(filter?: { number?: E164; contact?: string }): Promise<Conversation[]>;
}

export interface ThreadRepo {
  get(conversationId: string, platform: PlatformId, channel: string): Promise<ThreadRef | null>;
  /** Insert unless one exists for (conversation, platform, channel); returns the stored one. */
  save(ref: Omit<ThreadRef, 'createdAt'>): Promise<ThreadRef>;
  listForConversation(conversationId: string): Promise<ThreadRef[]>;
  /** Which conversation a platform thread belongs to (a reply arriving in a thread). */
  findByThread(platform: PlatformId, channel: string, threadId: string): Promise<ThreadRef | null>;
}

export interface NewMessage {
  conversationId: string;
  direction: Direction;
  body: string;
  status: MessageStatus;
  author?: Author | null;
  provider?: ProviderId | null;
  providerMessageId?: string | null;
  platformMessageId?: string | null;
  encoding: TextEncoding;
  segments: number;
  otherRecipients?: string[];
  statusReason?: string | null;
  errorCode?: string | null;
  createdAt?: string;
}

export interface MessageRepo {
  /**
   * Insert. When (provider, providerMessageId) or platformMessageId is already stored, nothing is
   * written and the existing message comes back with `duplicate: true`.
   */
  insert(input: NewMessage): Promise<{ message: Message; duplicate: boolean }>;
  get(id: string): Promise<Message | null>;
  getByProviderId(provider: ProviderId, providerMessageId: string): Promise<Message | null>;
  getByPlatformMessageId(platformMessageId: string): Promise<Message | null>;
  /** Oldest first. */
  listForConversation(conversationId: string, opts?: { limit?: number; before?: string }): Promise<Message[]>;
  /** Newest first. `direction` (additive, optional) keeps only messages of that direction. */
  search(opts: { text?: string; number?: E164; contact?: string; direction?: Direction; limit?: number }): Promise<Message[]>;
  /**
   * Inbound messages no chat shows (rule: nothing is dropped): their number has no mapping, or
   * every channel it is mapped to refused them for good (see markNotPosted). Newest first.
   */
  listUnrouted(limit?: number): Promise<Message[]>;
  /**
   * An inbound message every chat target refused for good (channel gone, bot removed): keeps
   * why on the message (error code NOT_POSTED_ERROR_CODE) and lists it with the unrouted ones.
   * The status stays what it was. Returns the message, or null when there is no such inbound one.
   */
  markNotPosted(id: string, reason: string): Promise<Message | null>;
  /**
   * Move the status forward only (see MessageStatus). Returns the updated message, or null when
   * the move would go backwards or the message does not exist.
   */
  advanceStatus(
    id: string,
    status: MessageStatus,
    opts?: { reason?: string | null; errorCode?: string | null },
  ): Promise<Message | null>;
  setProviderMessageId(id: string, provider: ProviderId, providerMessageId: string): Promise<void>;
  /** How many times an admin resent the message (its current resend generation). */
  resendCount(id: string): Promise<number>;
  /**
   * The provider the message's latest send call went to (its send ledger), null when no call
   * was made (the message's own `provider` answers then). It can differ from
   * `provider` between the call and its recorded answer when the number moved to another provider.
   */
  sentThrough(id: string): Promise<ProviderId | null>;
}

export interface MediaRepo {
  create(input: Omit<MediaItem, 'id' | 'createdAt'>): Promise<MediaItem>;
  get(id: string): Promise<MediaItem | null>;
  listForMessage(messageId: string): Promise<MediaItem[]>;
  update(id: string, patch: Partial<Pick<MediaItem, 'path' | 'size' | 'contentType' | 'status' | 'reason'>>): Promise<MediaItem | null>;
  /**
   * Move an already stored media row (a chat file downloaded before its outbound message existed)
   * onto a message. Returns the updated row, or null when there is no such id or the row already
   * belongs to another message; requestOutbound then copies the row onto the message instead.
   */
  attach(mediaId: string, messageId: string): Promise<MediaItem | null>;
}

/**
 * The bytes of stored media files, kept in the store itself so every instance on the database
 * can serve them. Written in the same transaction as the media row that says 'stored'.
 */
export interface MediaFileRepo {
  /** Keeps the bytes of media `mediaId` (replacing any kept before). */
  put(mediaId: string, bytes: Buffer): Promise<void>;
  /** The bytes kept for `mediaId`; null when the store has none (e.g. a file an older version kept on disk). */
  get(mediaId: string): Promise<Buffer | null>;
}

/** Where a message was posted in chat: one row per (message, thread). */
export interface MessagePost {
  messageId: string;
  platform: PlatformId;
  channel: string;
  platformMessageId: string;
  createdAt: string;
}

export interface MessagePostRepo {
  /** Insert; unique on (platform, platformMessageId) and on (messageId, platform, channel). */
  save(post: Omit<MessagePost, 'createdAt'>): Promise<MessagePost>;
  listForMessage(messageId: string): Promise<MessagePost[]>;
  findByPlatformMessageId(platform: PlatformId, platformMessageId: string): Promise<MessagePost | null>;
}

/** A contact opted out of one of our numbers (STOP-family keyword). */
export interface OptOut {
  number: E164;
  contact: string;
  /** The keyword that opted them out (as texted, e.g. STOP), when known. */
  keyword: string | null;
  /** When they opted out (ISO). */
  since: string;
}

/**
 * A chat post about to be made (a message into a thread, or a conversation's thread root). Chat
 * platforms have no idempotency key, so the intent is committed before the call: a retry that
 * finds one without a recorded post asks the platform whether the earlier attempt posted.
 */
export interface PostIntentKey {
  kind: 'message' | 'thread_root';
  /** The message id ('message') or the conversation id ('thread_root'). */
  subjectId: string;
  platform: PlatformId;
  channel: string;
}

export interface PostIntentRepo {
  /**
   * Records the intent (committed when it returns, outside a transaction). `earlier` is true when
   * an earlier attempt had recorded it already: that attempt may have posted. `startedAt` is the
   * first attempt's time.
   */
  begin(key: PostIntentKey): Promise<{ startedAt: string; earlier: boolean }>;
  /** The post is recorded, or surely was not made: the intent is done. */
  end(key: PostIntentKey): Promise<void>;
}

export interface OptOutRepo {
  isOptedOut(number: E164, contact: string): Promise<boolean>;
  set(number: E164, contact: string, optedOut: boolean, keyword: string | null): Promise<void>;
  /**
   * Contacts opted out now (those who texted START again are not listed), ordered by number then
   * contact, at most `limit`; `after` continues past the last one of the previous page.
   */
  listOptedOut(opts: { number?: E164; limit: number; after?: { number: E164; contact: string } }): Promise<OptOut[]>;
}

export interface PolicyRepo {
  get(): Promise<Policy>;
  update(patch: PolicyPatch): Promise<Policy>;
}

export interface UserRepo {
  get(platform: PlatformId, userId: string): Promise<UserPolicy | null>;
  upsert(platform: PlatformId, userId: string, patch: { smsEnabled?: boolean; admin?: boolean }): Promise<UserPolicy>;
  list(): Promise<UserPolicy[]>;
  /** At most `limit` users ordered by (platform, userId), after the given one (keyset paging). */
  page(opts: { limit: number; after?: { platform: PlatformId; userId: string } }): Promise<UserPolicy[]>;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  before: unknown;
  after: unknown;
}

export interface AuditRepo {
  record(entry: Omit<AuditEntry, 'id' | 'at'>): Promise<AuditEntry>;
  list(opts?: { limit?: number }): Promise<AuditEntry[]>;
}

// ---------------------------------------------------------------------------------------------
// Outbox: the store is the record of what still has to happen, in order, per conversation

/** The two ordered kinds of work: sending SMS out, and posting messages into chat threads. */
export type Lane = 'send' | 'deliver';

/**
 * One piece of pending work: a message to send (lane 'send') or to post in chat (lane 'deliver').
 * Items of a conversation run one at a time in `seq` order. An item is 'preparing' while the chat
 * reply it stands for is still being prepared (author name, file downloads): its place in the
 * order is taken when the reply arrives, so a slow reply holds the ones written after it.
 */
export interface OutboxItem {
  seq: number;
  lane: Lane;
  conversationId: string;
  /** Null while preparing. */
  messageId: string | null;
  /** The chat message id a reserved place was taken for (idempotent reservation). */
  slotKey: string | null;
  /**
   * The process preparing it (liveness owner): a preparing item of a dead process is abandoned.
   * Or INBOX_KEEPER (placeKeeper.ts): a stored chat event fills it, whichever process replays it.
   */
  owner: string | null;
  state: 'preparing' | 'ready' | 'failed';
  /** Epoch ms from when it may run (holds, retries); its creation time otherwise. */
  dueAt: number;
  /** Attempts that failed so far. */
  attempts: number;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface OutboxRepo {
  /**
   * A ready item at the end of the conversation's lane. When the message already has a pending
   * item in that lane, that one is returned and nothing is added (a retried hand-off).
   */
  add(lane: Lane, conversationId: string, messageId: string): Promise<OutboxItem>;
  /**
   * Takes the conversation's next place in each lane for a chat message still being prepared.
   * Idempotent on `slotKey`: a second call returns the places taken first (and makes `owner`
   * their preparer, e.g. a replay after a restart, unless the places are kept by a chat inbox).
   */
  reserve(lanes: Lane[], conversationId: string, slotKey: string, owner: string): Promise<OutboxItem[]>;
  /**
   * The places reserved under `slotKey` become the message's (ready). A lane in `lanes` without
   * a place reserved gets an item at the end; a reserved lane not in `lanes` is released.
   * Returns the ready items.
   */
  fill(slotKey: string, messageId: string, conversationId: string, lanes: Lane[]): Promise<OutboxItem[]>;
  /** Gives up places still preparing under `slotKey` (in `lanes`, default all; or one by seq); returns them. */
  release(slotKey: string, lanes?: Lane[]): Promise<OutboxItem[]>;
  releaseSeq(seq: number): Promise<boolean>;
  /** The conversation's first pending (preparing or ready) item in the lane. */
  head(lane: Lane, conversationId: string): Promise<OutboxItem | null>;
  /** Its first `limit` pending items, in order (a turn reads them in one go). */
  next(lane: Lane, conversationId: string, limit: number): Promise<OutboxItem[]>;
  get(seq: number): Promise<OutboxItem | null>;
  /** Done: the item leaves the outbox. */
  remove(seq: number): Promise<void>;
  /** Not before `dueAt` (rate limit, Retry-After); no attempt counted. */
  hold(seq: number, dueAt: number): Promise<void>;
  /** One more failed attempt; runs again at `dueAt`. */
  retry(seq: number, dueAt: number, error: string): Promise<void>;
  /** Failed for good: kept (state 'failed') for inspection, out of the way of the items behind. */
  fail(seq: number, error: string): Promise<void>;
  /** Conversations with pending items in the lane, with their head (recovery). */
  pendingConversations(lane: Lane): Promise<Array<{ conversationId: string; seq: number }>>;
  /**
   * Conversations whose head is ready and has been due since before `dueBefore` (epoch ms): work
   * nobody seems to be doing (the safety sweep wakes them).
   */
  overdue(lane: Lane, dueBefore: number, limit: number): Promise<Array<{ conversationId: string; seq: number }>>;
  /** Preparing items created before `before` (ISO), with their owners (the sweep checks them). */
  preparingSince(lane: Lane, before: string, limit: number): Promise<OutboxItem[]>;
  /** Failed items, newest first. */
  listFailed(opts?: { lane?: Lane; limit?: number }): Promise<OutboxItem[]>;
  /** The item of a message in a lane: its pending one first, else its latest failed one. */
  findByMessage(lane: Lane, messageId: string): Promise<OutboxItem | null>;
  /** Items per lane and state, with the oldest due time of each (metrics, queue health). */
  stats(): Promise<Array<{ lane: Lane; state: OutboxItem['state']; count: number; oldestDueAt: number | null }>>;
}

export interface Store {
  numbers: NumberRepo;
  mappings: MappingRepo;
  conversations: ConversationRepo;
  threads: ThreadRepo;
  messages: MessageRepo;
  media: MediaRepo;
  mediaFiles: MediaFileRepo;
  posts: MessagePostRepo;
  postIntents: PostIntentRepo;
  optOuts: OptOutRepo;
  policy: PolicyRepo;
  users: UserRepo;
  audit: AuditRepo;
  outbox: OutboxRepo;
  /** Runs fn in one transaction; nested calls join the outer one. */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /** True when the database answers. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Turns (BullMQ at the edge)

/**
 * Tells the workers that a conversation has work in a lane (the store's outbox holds what). Never
 * throws and never waits long: a wake-up lost to a Redis outage is made good by the workers'
 * recovery and sweep, which read the outbox.
 */
export interface TurnQueue {
  wake(lane: Lane, conversationId: string, token: string): Promise<void>;
}

/** One outbox item as a lane's handler sees it (the send and delivery use cases). */
export interface LaneItem {
  seq: number;
  messageId: string;
  conversationId: string;
}

export interface ItemContext {
  /** 1-based attempt number (holds do not count). */
  attempt: number;
  /** True when a 'retry' would use up the item's attempts: the handler must end it. */
  lastAttempt: boolean;
  /**
   * Takes the item out of the outbox. A handler may call it inside the store transaction that
   * records the item's end (before returning 'done'), so both land in one commit; otherwise the
   * runner does it after. Inside a transaction, await it like any other store call.
   */
  finish(): Promise<void>;
}

/** What a lane's handler decided for one item. */
export type ItemOutcome =
  /** Finished (sent, posted, refused, or a final failure the handler recorded and showed). */
  | { kind: 'done'; result?: unknown }
  /** A final failure the handler recorded: the item is kept as failed (inspectable, resendable). */
  | { kind: 'fail'; error: Error }
  /** Not before `ms` from now (rate limit, Retry-After); no attempt is counted. */
  | { kind: 'delay'; ms: number; reason: string }
  /** Transient failure: tried again after the backoff. */
  | { kind: 'retry'; error: Error };

export type LaneHandler = (item: LaneItem, ctx: ItemContext) => Promise<ItemOutcome>;

/** Tells the chat side that a message's status moved (rendered by chat adapters). */
export interface StatusNotifier {
  statusChanged(message: Message): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// SMS providers

export interface SmsProviderCapabilities {
  mms: boolean;
  maxMediaFiles: number;
  maxMediaBytes: number;
  /** True when the provider deduplicates sends by our message id (8x8 clientMessageId). */
  idempotentSend: boolean;
}

export interface SendResult {
  providerMessageId: string;
  /** Initial status reported by the provider, usually queued or sent. */
  status: DeliveryUpdate['status'];
}

export interface SmsProvider {
  readonly id: ProviderId;
  readonly capabilities: SmsProviderCapabilities;
  /** Throws ProviderError (with retryable / retryAfterMs / optedOut) on failure. */
  send(sms: OutboundSms): Promise<SendResult>;
}

/** A message the provider holds, as its list API shows it (SentMessageFinder). */
export interface ProviderSentMessage {
  providerMessageId: string;
  /** When the provider created it (ISO); null when the provider did not say. */
  createdAt: string | null;
  body: string;
  /** Number of media files, null when the provider does not show it. */
  mediaCount: number | null;
}

/**
 * What a non-idempotent SMS provider can do when a send's outcome is unknown (the send ledger
 * says the call started, no answer was recorded): list the messages it holds from our number to
 * a contact created since a time, so the send worker can tell "it went out" from "it never
 * arrived" instead of guessing. Optional; the worker checks for it (findsSentMessages) and
 * without it keeps the outcome-unknown rule. Throws ProviderError when the provider cannot answer.
 */
export interface SentMessageFinder {
  /** Outbound messages `from` -> `to` created at or after `since` (ISO), newest first. */
  findSentMessages(q: { from: string; to: string; since: string }): Promise<ProviderSentMessage[]>;
}

export function findsSentMessages(provider: SmsProvider): provider is SmsProvider & SentMessageFinder {
  return typeof (provider as Partial<SentMessageFinder>).findSentMessages === 'function';
}

// ---------------------------------------------------------------------------------------------
// Chat platforms

/** What the core shows in a thread for one message. */
export interface ChatMessageView {
  message: Message;
  conversation: Conversation;
  /** Where the message came from when it was written in chat (for mirroring marks). */
  origin: { platform: PlatformId; authorName: string | null } | null;
  /** Notice to show with it, e.g. "replies go to the sender alone" for group messages. */
  notices: string[];
}

export interface ChatPlatform {
  readonly id: PlatformId;
  /** Post the root message of a conversation's thread in a channel; returns the thread id. */
  createThread(conversation: Conversation, channel: string): Promise<{ threadId: string }>;
  /** Post a message into a thread; returns the platform message id. */
  post(thread: ThreadRef, view: ChatMessageView): Promise<{ platformMessageId: string }>;
  /** Show a status change on a posted message (reaction, notice). */
  showStatus(post: MessagePost, thread: ThreadRef, message: Message): Promise<void>;
}

/**
 * What a chat platform can do when a post's record was lost (the call completed, the store write
 * did not): find its own earlier post by the bridge's marks on it. Optional; delivery checks for
 * it (findsOwnPosts) and without it posts again.
 */
export interface OwnPostFinder {
  /** Our post of message `messageId` in the thread, made at or after `since` (ISO), if any. */
  findOwnPost(thread: ThreadRef, messageId: string, since: string): Promise<{ platformMessageId: string } | null>;
  /** Our thread root for the conversation in the channel, made at or after `since`, if any. */
  findOwnThreadRoot(conversationId: string, channel: string, since: string): Promise<{ threadId: string } | null>;
}

export function findsOwnPosts(platform: ChatPlatform): platform is ChatPlatform & OwnPostFinder {
  const p = platform as Partial<OwnPostFinder>;
  return typeof p.findOwnPost === 'function' && typeof p.findOwnThreadRoot === 'function';
}

// ---------------------------------------------------------------------------------------------
// Small utilities injected for testability

export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  next(): string;
}

// ---------------------------------------------------------------------------------------------
// Live inbox events (the web inbox's Server-Sent Events)

/**
 * Something a console showing conversations should redraw: a new message in any conversation (any
 * direction, any platform it came from), or a message whose status moved.
 */
export interface InboxUpdate {
  type: 'message' | 'status';
  conversationId: string;
  message: Message;
}

/**
 * Fan-out of inbox updates to every instance of the bridge (Redis pub/sub in production): a
 * console connected to one instance sees what another instance received or sent.
 */
export interface InboxEvents {
  /** Never throws: a lost live update is only a late redraw (the store has the truth). */
  publish(update: InboxUpdate): Promise<void>;
  /** `listener` gets every update published on any instance until the returned function is called. */
  subscribe(listener: (update: InboxUpdate) => void): Promise<() => Promise<void>>;
}

// ---------------------------------------------------------------------------------------------
// Console sign-in (the admin console's sessions, shared by every instance on the store)

/** A signed-in console browser. Its secret (the cookie value) is never part of it. */
export interface ConsoleSession {
  /** Public id (per-session unread counts, logs); not the secret. */
  id: string;
  /** The name the person gave at sign-in (author of replies, actor in the audit log). */
  name: string;
  createdAt: string;
  /** When the session ends unless used again (idle limit), capped by the absolute limit. */
  expiresAt: string;
}

export interface ConsoleSessionRepo {
  /**
   * Starts a session for `secret` (the cookie value; only its digest is stored). It ends after
   * `idleMs` without use, and after `maxMs` in any case. Sessions already over are removed.
   */
  create(input: { secret: string; name: string; idleMs: number; maxMs: number }): Promise<ConsoleSession>;
  /**
   * The live session of `secret`, or null (unknown or over). When it was last used more than
   * `touchAfterMs` ago, its idle limit moves to now + `idleMs` (one write per minute, not per request).
   */
  use(secret: string, opts: { idleMs: number; touchAfterMs: number }): Promise<ConsoleSession | null>;
  /** Ends the session of `secret`; true when there was one. */
  end(secret: string): Promise<boolean>;
  /** Stores a one-time sign-in code (its digest), valid for `ttlMs`; returns when it expires. */
  addCode(code: string, ttlMs: number): Promise<string>;
  /** True exactly once for a stored, unexpired code: it is gone afterwards, whoever asks next. */
  consumeCode(code: string): Promise<boolean>;
}
