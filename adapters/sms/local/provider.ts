// The local dev provider: "sends" into an in-memory outbox (shown by the admin console as a dev
// phone) and never contacts anything. Sends are idempotent on our message id, like 8x8's
// clientMessageId. `failNext` lets a developer or a test rehearse provider failures.
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

export interface LocalSmsProvider extends SmsProvider {
  /** Oldest first. */
  outbox(): LocalOutboxEntry[];
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

export function createLocalSmsProvider(deps: { clock: Clock }): LocalSmsProvider {
  const entries: LocalOutboxEntry[] = [];
  const byMessageId = new Map<string, LocalOutboxEntry>();
  const failures: LocalFailure[] = [];
  const events = new EventEmitter();

  return {
    id: LOCAL_PROVIDER_ID,
    capabilities: LOCAL_CAPABILITIES,
    events,
    outbox: () => [...entries],
    failNext: (f) => void failures.push(f),
    async send(sms: OutboundSms): Promise<SendResult> {
      const failure = failures.shift();
      if (failure) throw failureError(failure);
      const existing = byMessageId.get(sms.messageId);
      if (existing) return { providerMessageId: existing.providerMessageId, status: 'sent' };
      const entry: LocalOutboxEntry = {
        providerMessageId: `local-${randomUUID()}`,
        messageId: sms.messageId,
        from: sms.from,
        to: sms.to,
        body: sms.body,
        mediaUrls: [...sms.mediaUrls],
        at: deps.clock.now().toISOString(),
      };
      entries.push(entry);
      byMessageId.set(sms.messageId, entry);
      if (entries.length > MAX_OUTBOX) {
        const dropped = entries.shift();
        if (dropped) byMessageId.delete(dropped.messageId);
      }
      events.emit('sent', entry);
      return { providerMessageId: entry.providerMessageId, status: 'sent' };
    },
  };
}
