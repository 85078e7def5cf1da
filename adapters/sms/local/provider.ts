// The local dev provider: "sends" into an outbox (shown by the admin console as a dev phone) and
// never contacts anything. The outbox is the store's (local_outbox), so with several instances
// every dev phone shows what any of them sent; a store without one (the in-memory test store)
// gets a process-local outbox. Sends are idempotent on our message id, like 8x8's
// clientMessageId. `failNext` lets a developer or a test rehearse provider failures (this
// process's next send).
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { ProviderError } from '../../../src/core/errors.js';
import type { SendResult, SmsProvider, SmsProviderCapabilities } from '../../../src/core/ports.js';
import type { Clock } from '../../../src/core/ports.js';
import type { OutboundSms } from '../../../src/core/types.js';

export const LOCAL_PROVIDER_ID = 'local';

export const LOCAL_CAPABILITIES: SmsProviderCapabilities = {
  mms: true,
  maxMediaFiles: 10,
  maxMediaBytes: 5 * 1024 * 1024,
  idempotentSend: true,
};

export interface LocalOutboxEntry {
  providerMessageId: string;
  messageId: string;
  from: string;
  to: string;
  body: string;
  mediaUrls: string[];
  at: string;
}

/** A failure the next send() will raise instead of "sending". */
export type LocalFailure =
  | { kind: 'permanent'; reason?: string }
  | { kind: 'optedOut' }
  | { kind: 'rateLimited'; retryAfterMs?: number }
  | { kind: 'unavailable' }
  | { kind: 'timeout' };

/** Where the entries live: the store's local_outbox repo (src/infra/store/repos/localOutbox.ts). */
export interface LocalOutboxStore {
  /** Stores the entry unless its message has one; returns the stored one (the first wins). */
  record(entry: LocalOutboxEntry): Promise<LocalOutboxEntry>;
  /** The latest `limit` entries, oldest first. */
  list(limit: number): Promise<LocalOutboxEntry[]>;
  /** Keeps the latest `keep` entries. */
  prune(keep: number): Promise<number>;
}

export interface LocalSmsProvider extends SmsProvider {
  /** The latest entries sent by any instance on the store, oldest first. */
  outbox(): Promise<LocalOutboxEntry[]>;
  /** 'sent' fires with a LocalOutboxEntry for every new send. */
  events: EventEmitter;
  failNext(failure: LocalFailure): void;
}

const MAX_OUTBOX = 1000;

function failureError(f: LocalFailure): ProviderError {
  const provider = LOCAL_PROVIDER_ID;
  switch (f.kind) {
    case 'permanent':
      return new ProviderError({ provider, message: f.reason ?? 'the local provider refused the message', providerCode: 'permanent', retryable: false });
    case 'optedOut':
      return new ProviderError({ provider, message: 'the recipient has opted out of messages from this number', providerCode: 'opted_out', retryable: false, optedOut: true });
    case 'rateLimited':
      return new ProviderError({ provider, message: 'local provider rate limit', providerCode: 'rate_limited', retryable: true, retryAfterMs: f.retryAfterMs ?? 1000, httpStatus: 429 });
    case 'unavailable':
      return new ProviderError({ provider, message: 'local provider unavailable', providerCode: 'unavailable', retryable: true, httpStatus: 503 });
    case 'timeout':
      return new ProviderError({ provider, message: 'local provider did not answer in time', providerCode: 'timeout', retryable: true });
  }
}

/** A process-local outbox, for stores without a local_outbox (nothing to share there). */
export function memoryLocalOutbox(): LocalOutboxStore {
  const entries: LocalOutboxEntry[] = [];
  return {
    async record(entry) {
      const existing = entries.find((e) => e.messageId === entry.messageId);
      if (existing) return existing;
      entries.push(entry);
      return entry;
    },
    list: async (limit) => entries.slice(-limit),
    async prune(keep) {
      const n = Math.max(0, entries.length - keep);
      entries.splice(0, n);
      return n;
    },
  };
}

export function createLocalSmsProvider(deps: { clock: Clock; outbox?: LocalOutboxStore }): LocalSmsProvider {
  const store = deps.outbox ?? memoryLocalOutbox();
  const failures: LocalFailure[] = [];
  const events = new EventEmitter();

  return {
    id: LOCAL_PROVIDER_ID,
    capabilities: LOCAL_CAPABILITIES,
    events,
    outbox: () => store.list(MAX_OUTBOX),
    failNext: (f) => void failures.push(f),
    async send(sms: OutboundSms): Promise<SendResult> {
      const failure = failures.shift();
      if (failure) throw failureError(failure);
      const fresh: LocalOutboxEntry = {
        providerMessageId: `local-${randomUUID()}`,
        messageId: sms.messageId,
        from: sms.from,
        to: sms.to,
        body: sms.body,
        mediaUrls: [...sms.mediaUrls],
        at: deps.clock.now().toISOString(),
      };
      // A repeat (this or another instance sent the message before) answers the first entry's id.
      const entry = await store.record(fresh);
      if (entry.providerMessageId !== fresh.providerMessageId) return { providerMessageId: entry.providerMessageId, status: 'sent' };
      await store.prune(MAX_OUTBOX);
      events.emit('sent', entry);
      return { providerMessageId: entry.providerMessageId, status: 'sent' };
    },
  };
}
