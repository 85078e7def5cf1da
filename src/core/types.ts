// The core's own vocabulary. Platform and provider ids appear here only as opaque strings:
// only adapters know what a Slack `ts`, a Teams conversation id or a Twilio SID look like.

/** E.164 string, e.g. "+14155550100". */
export type E164 = string;

/** Where a chat message lives: "slack" | "teams" today; a new platform is a new string. */
export type PlatformId = string;

/** Which SMS provider carries a provisioned number: "twilio" | "8x8" | "local" today. */
export type ProviderId = string;

export type NumberType = 'local' | 'toll-free' | 'virtual';
export type NumberStatus = 'active' | 'porting';

/** A number the company provisioned at an SMS provider (rule 1). */
export interface ProvisionedNumber {
  e164: E164;
  provider: ProviderId;
  type: NumberType;
  status: NumberStatus;
  /** ISO 3166 alpha-2 region of the number, derived when it is stored. */
  country: string | null;
  /** Optional per-number throughput override, in segments per second. */
  segmentsPerSecond: number | null;
  createdAt: string;
  updatedAt: string;
}

/** A provisioned number shown in a chat channel (one per platform workspace is enough). */
export interface Mapping {
  id: string;
  number: E164;
  platform: PlatformId;
  /** Opaque channel id: a Slack channel id, a Teams channel conversation id. */
  channel: string;
  createdAt: string;
}

/**
 * (provisioned number, external contact) is one conversation. `contact` is E.164 for phone
 * numbers, or the sender id as received for alphanumeric senders.
 */
export interface Conversation {
  id: string;
  number: E164;
  contact: string;
  createdAt: string;
}

/** The thread a conversation has in one mapped channel. */
export interface ThreadRef {
  conversationId: string;
  platform: PlatformId;
  channel: string;
  /** Opaque thread id (Slack root `ts`, Teams root activity id). */
  threadId: string;
  createdAt: string;
}

export type Direction = 'inbound' | 'outbound' | 'internal';

/**
 * Message status. Outbound moves forward only along
 * queued -> sending -> sent -> delivered | undelivered | failed; `refused` ends a message the
 * rules stopped at send time. Inbound messages are `received`; internal ones `delivered`.
 */
export type MessageStatus =
  | 'received'
  | 'queued'
  | 'sending'
  | 'sent'
  | 'delivered'
  | 'undelivered'
  | 'failed'
  | 'refused';

export interface Author {
  platform: PlatformId;
  userId: string;
  name?: string | null;
}

/** A media file attached to a message, its bytes kept in the store (or refused with a reason). */
export interface MediaItem {
  id: string;
  messageId: string;
  contentType: string;
  size: number;
  /**
   * Path relative to DATA_DIR of a file an older version kept on disk (still read from there);
   * null for files kept in the store and for files that could not be kept.
   */
  path: string | null;
  /** Where it came from (provider URL or chat file URL), for the record. */
  sourceUrl: string | null;
  status: 'stored' | 'refused' | 'failed' | 'pending';
  /** Human reason when not stored. */
  reason: string | null;
  createdAt: string;
}

export type TextEncoding = 'GSM-7' | 'UCS-2';

export interface Message {
  id: string;
  conversationId: string;
  direction: Direction;
  body: string;
  status: MessageStatus;
  /** Human reason for failed / refused / undelivered. */
  statusReason: string | null;
  /** Provider's or core's code for the failure, e.g. "21610", "opted_out". */
  errorCode: string | null;
  author: Author | null;
  provider: ProviderId | null;
  providerMessageId: string | null;
  /** The chat message an outbound message came from (platform-qualified, unique). */
  platformMessageId: string | null;
  encoding: TextEncoding;
  segments: number;
  /** Other recipients of an inbound group message (rule 3); replies go to the sender alone. */
  otherRecipients: string[];
  media: MediaItem[];
  createdAt: string;
  updatedAt: string;
}

/** Company-wide policy; every field has a default an admin may change. */
export interface Policy {
  smsEnabled: boolean;
  maxSegments: number;
  internalNotePrefix: string;
  tollFreeSmsCapable: boolean;
  virtualSmsCapable: boolean;
  mms: {
    maxFiles: number;
    maxTotalBytes: number;
    allowedTypes: string[];
  };
  /** Carrier throughput caps in segments per second, per number type. */
  throughput: {
    local: number;
    tollFree: number;
  };
  /** Where inbound messages for unmapped numbers are posted, if anywhere. */
  fallback: { platform: PlatformId; channel: string } | null;
}

/**
 * A change to the policy: the fields given change, the others keep their value. `mms` and
 * `throughput` merge field by field, so a field nobody set keeps following the default.
 */
export type PolicyPatch = Partial<Omit<Policy, 'mms' | 'throughput'>> & {
  mms?: Partial<Policy['mms']>;
  throughput?: Partial<Policy['throughput']>;
};

export const DEFAULT_POLICY: Policy = {
  smsEnabled: true,
  maxSegments: 10,
  internalNotePrefix: '//',
  tollFreeSmsCapable: false,
  virtualSmsCapable: false,
  mms: {
    maxFiles: 10,
    maxTotalBytes: 5 * 1024 * 1024,
    allowedTypes: [
      'image/jpeg',
      'image/png',
      'image/gif',
      'image/bmp',
      'image/webp',
      'video/mp4',
      'video/3gpp',
      'audio/mpeg',
      'audio/mp4',
      'audio/amr',
      'text/vcard',
      'text/x-vcard',
      'application/pdf',
    ],
  },
  throughput: { local: 1, tollFree: 3 },
  fallback: null,
};

/** Per-user (profile) policy. A user with no row gets the defaults: may send, not admin. */
export interface UserPolicy {
  platform: PlatformId;
  userId: string;
  smsEnabled: boolean;
  admin: boolean;
  updatedAt: string;
}

/** An inbound SMS/MMS as the core sees it, after an adapter verified and parsed a webhook. */
export interface InboundSms {
  provider: ProviderId;
  providerMessageId: string;
  /** Sender as received: E.164 or an alphanumeric sender id. */
  from: string;
  /** Our number it was sent to. */
  to: string;
  /** Other recipients when the provider reports a group message (rule 3). */
  otherRecipients?: string[];
  body: string;
  media: InboundMediaRef[];
  receivedAt?: string;
}

/** A media file an inbound message refers to, before it is downloaded. */
export interface InboundMediaRef {
  url: string;
  contentType: string | null;
}

/** A status callback from a provider, in the core's words. */
export interface DeliveryUpdate {
  provider: ProviderId;
  providerMessageId: string;
  /** Our message id when the provider echoes it back (8x8 clientMessageId). */
  messageId?: string;
  /** The resend generation of the send the receipt is about, when the echoed key tells it (sendKey). */
  resend?: number;
  status: Extract<MessageStatus, 'queued' | 'sending' | 'sent' | 'delivered' | 'undelivered' | 'failed'>;
  errorCode?: string | null;
  reason?: string | null;
  at?: string;
}

/** A file a chat user attached to a reply, to go out as MMS. */
export interface OutboundMedia {
  contentType: string;
  size: number;
  /** Stored media id once downloaded; adapters fill it before enqueueing. */
  mediaId?: string;
  name?: string;
}

/** What a chat adapter asks the core to send. The sending number is never the user's choice. */
export interface OutboundRequest {
  /** The provisioned number of the channel or conversation (rule 11). */
  fromNumber: string;
  /** Recipients as typed (any common format); exactly one is allowed (rule 3). */
  to: string[];
  body: string;
  media: OutboundMedia[];
  author: Author;
  /** The chat message this came from, platform-qualified; makes enqueueing idempotent. */
  platformMessageId: string | null;
}

/** What a provider is asked to send: always from the conversation's own number. */
export interface OutboundSms {
  messageId: string;
  from: E164;
  to: E164;
  body: string;
  /** Absolute URLs the provider can fetch (signed bridge media URLs). */
  mediaUrls: string[];
}
