// What the admin API answers, as far as the console reads it (see src/admin/* and CONTRACT15).
import type { Reason } from './api';

export interface NumberView {
  number: string;
  e164: string;
  provider: string;
  type: string;
  status: string;
  smsCapable: boolean;
  reasons: Reason[];
  segmentsPerSecond?: number | null;
}

export interface NumberCheck {
  e164: string;
  display: string;
  type: string;
  smsCapable: boolean;
  reasons: (string | Reason)[];
}

export interface Mapping {
  id: string;
  number: string;
  platform: string;
  channel: string;
  createdAt: string;
}

export interface Channel {
  platform: string;
  id: string;
  name: string;
  kind: string;
}

export interface Media {
  id?: string;
  contentType: string | null;
  url?: string;
  size?: number;
  status?: string;
  reason?: string | null;
}

export interface Message {
  id: string;
  conversationId: string;
  direction: 'inbound' | 'outbound' | 'internal';
  body: string;
  media: Media[];
  status: string;
  statusReason?: string | null;
  errorCode?: string | null;
  author?: { platform?: string; userId?: string; name?: string | null } | string | null;
  notices?: string[];
  createdAt: string;
  number?: string | null;
  contact?: string | null;
}

export interface Conversation {
  id: string;
  number: string;
  contact: string;
  createdAt: string;
  lastMessage?: { id: string; direction: string; body: string; status: string; createdAt: string } | null;
  lastActivityAt?: string | null;
  unread?: number;
  web?: boolean;
}

export interface UserPolicy {
  platform: string;
  userId: string;
  smsEnabled: boolean;
  admin: boolean;
  updatedAt: string;
  name?: string | null;
}

export interface OptOut {
  number: string;
  contact: string;
  createdAt?: string;
  at?: string;
  keyword?: string | null;
}

/** One lane of GET /admin/api/queues; active and delayed are null while Redis does not answer. */
export interface QueueHealth {
  queue: 'send' | 'deliver';
  waiting: number;
  preparing: number;
  active: number | null;
  delayed: number | null;
  failed: number;
  oldestPendingSeconds: number;
}

export interface QueuesReport {
  queues: QueueHealth[];
  /** Why active/delayed are unknown (Redis did not answer), else null. */
  redis: string | null;
}

export interface FailedJob {
  id: string;
  queue: string;
  messageId: string;
  conversationId: string;
  failedReason: string;
  attemptsMade: number;
  failedAt: string;
  number: string | null;
  contact: string | null;
  text: string | null;
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

export interface Policy {
  smsEnabled: boolean;
  maxSegments: number;
  internalNotePrefix: string;
  tollFreeSmsCapable: boolean;
  virtualSmsCapable: boolean;
  mms: { maxFiles: number; maxTotalBytes: number; allowedTypes: string[] };
  throughput: { local: number; tollFree: number };
  fallback: { platform: string; channel: string } | null;
}

export interface DevPhoneThread {
  number: string;
  contact: string;
  messages: { id: string; from: 'contact' | 'bridge'; body: string; media: { url: string; contentType: string | null }[]; status: string; at: string }[];
}

/** The person who wrote a message, as text. */
export function authorName(a: Message['author']): string | null {
  if (!a) return null;
  if (typeof a === 'string') return a;
  return a.name ?? a.userId ?? null;
}
