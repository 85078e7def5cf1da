// Ports: what the core needs from the outside world. The store, queues, SMS providers and chat
// platforms implement these at the edge; the core never imports an SDK, express, BullMQ or SQLite.
//
// Store ports are synchronous on purpose: the SQLite driver is synchronous, and a synchronous
// `transaction(fn)` makes "stored in one transaction before acknowledging" easy to get right.

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
  get(e164: E164): ProvisionedNumber | null;
  list(): ProvisionedNumber[];
  /** Insert; throws ConflictError when the number already exists. */
  create(input: {
    e164: E164;
    provider: ProviderId;
    type: NumberType;
    status: NumberStatus;
    country: string | null;
    segmentsPerSecond?: number | null;
  }): ProvisionedNumber;
  update(
    e164: E164,
    patch: Partial<Pick<ProvisionedNumber, 'provider' | 'type' | 'status' | 'segmentsPerSecond'>>,
  ): ProvisionedNumber | null;
  /** Removes the number from service; its conversations and messages stay. */
  remove(e164: E164): boolean;
}

export interface MappingRepo {
  /** Throws ConflictError when the same (number, platform, channel) is mapped already. */
  create(input: { number: E164; platform: PlatformId; channel: string }): Mapping;
  get(id: string): Mapping | null;
  list(filter?: { number?: E164; platform?: PlatformId; channel?: string }): Mapping[];
  remove(id: string): boolean;
}

export interface ConversationRepo {
  /** Idempotent under concurrency: (number, contact) is unique. */
  getOrCreate(number: E164, contact: string): { conversation: Conversation; created: boolean };
  get(id: string): Conversation | null;
  find(number: E164, contact: string): Conversation | null;
  list(filter?: { number?: E164; contact?: string }): Conversation[];
}

export interface ThreadRepo {
  get(conversationId: string, platform: PlatformId, channel: string): ThreadRef | null;
  /** Insert unless one exists for (conversation, platform, channel); returns the stored one. */
  save(ref: Omit<ThreadRef, 'createdAt'>): ThreadRef;
  listForConversation(conversationId: string): ThreadRef[];
  /** Which conversation a platform thread belongs to (a reply arriving in a thread). */
  findByThread(platform: PlatformId, channel: string, threadId: string): ThreadRef | null;
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
  insert(input: NewMessage): { message: Message; duplicate: boolean };
  get(id: string): Message | null;
  getByProviderId(provider: ProviderId, providerMessageId: string): Message | null;
  getByPlatformMessageId(platformMessageId: string): Message | null;
  /** Oldest first. */
  listForConversation(conversationId: string, opts?: { limit?: number; before?: string }): Message[];
  /** Newest first. `direction` (additive, optional) keeps only messages of that direction. */
  search(opts: { text?: string; number?: E164; contact?: string; direction?: Direction; limit?: number }): Message[];
  /**
   * Inbound messages no chat shows (rule: nothing is dropped): their number has no mapping, or
   * every channel it is mapped to refused them for good (see markNotPosted). Newest first.
   */
  listUnrouted(limit?: number): Message[];
  /**
   * An inbound message every chat target refused for good (channel gone, bot removed): keeps
   * why on the message (error code NOT_POSTED_ERROR_CODE) and lists it with the unrouted ones.
   * The status stays what it was. Returns the message, or null when there is no such inbound one.
   */
  markNotPosted(id: string, reason: string): Message | null;
  /**
   * Move the status forward only (see MessageStatus). Returns the updated message, or null when
   * the move would go backwards or the message does not exist.
   */
  advanceStatus(
    id: string,
    status: MessageStatus,
    opts?: { reason?: string | null; errorCode?: string | null },
  ): Message | null;
  setProviderMessageId(id: string, provider: ProviderId, providerMessageId: string): void;
  /** How many times an admin resent the message (its current resend generation); optional. */
  resendCount?(id: string): number;
  /**
   * The provider the message's latest send call went to (its send ledger), null when no call
   * was made; optional (without it the message's own `provider` answers). It can differ from
   * `provider` between the call and its recorded answer when the number moved to another provider.
   */
  sentThrough?(id: string): ProviderId | null;
}

export interface MediaRepo {
  create(input: Omit<MediaItem, 'id' | 'createdAt'>): MediaItem;
  get(id: string): MediaItem | null;
  listForMessage(messageId: string): MediaItem[];
  update(id: string, patch: Partial<Pick<MediaItem, 'path' | 'size' | 'contentType' | 'status' | 'reason'>>): MediaItem | null;
  /**
   * (Additive, optional.) Move an already stored media row (a chat file downloaded before its
   * outbound message existed) onto a message. Returns the updated row, or null when no such id.
   * When a store does not implement it, requestOutbound copies the row onto the message instead.
   */
  attach?(mediaId: string, messageId: string): MediaItem | null;
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
  save(post: Omit<MessagePost, 'createdAt'>): MessagePost;
  listForMessage(messageId: string): MessagePost[];
  findByPlatformMessageId(platform: PlatformId, platformMessageId: string): MessagePost | null;
}

export interface OptOutRepo {
  isOptedOut(number: E164, contact: string): boolean;
  set(number: E164, contact: string, optedOut: boolean, keyword: string | null): void;
}

export interface PolicyRepo {
  get(): Policy;
  update(patch: PolicyPatch): Policy;
}

export interface UserRepo {
  get(platform: PlatformId, userId: string): UserPolicy | null;
  upsert(platform: PlatformId, userId: string, patch: { smsEnabled?: boolean; admin?: boolean }): UserPolicy;
  list(): UserPolicy[];
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
  record(entry: Omit<AuditEntry, 'id' | 'at'>): AuditEntry;
  list(opts?: { limit?: number }): AuditEntry[];
}

export interface Store {
  numbers: NumberRepo;
  mappings: MappingRepo;
  conversations: ConversationRepo;
  threads: ThreadRepo;
  messages: MessageRepo;
  media: MediaRepo;
  posts: MessagePostRepo;
  optOuts: OptOutRepo;
  policy: PolicyRepo;
  users: UserRepo;
  audit: AuditRepo;
  /** Runs fn in one transaction; nested calls join the outer one. */
  transaction<T>(fn: () => T): T;
  /** True when the database answers. */
  ping(): boolean;
  close(): void;
}

// ---------------------------------------------------------------------------------------------
// Queues (BullMQ at the edge)

export interface OutboundQueue {
  /** Idempotent: the job id derives from the message id. */
  enqueueSend(messageId: string, conversationId: string): Promise<void>;
}

export interface DeliveryQueue {
  /** Deliver a stored message to every mapped chat thread (in order per conversation). */
  enqueueDelivery(messageId: string, conversationId: string): Promise<void>;
}

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

// ---------------------------------------------------------------------------------------------
// Small utilities injected for testability

export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  next(): string;
}
