// The provider-independent half of every SMS webhook: store first (one transaction, in the
// core), hand the message to chat delivery, and only then let the route acknowledge. Status
// callbacks move a message forward only and tell the chat side.
import type { Logger } from 'pino';
import { pino } from 'pino';
import { applyDeliveryUpdate, recordInbound } from '../../../src/core/index.js';
import { BridgeError } from '../../../src/core/errors.js';
import { within } from '../../../src/within.js';
import type { Clock, DeliveryQueue, StatusNotifier, Store } from '../../../src/core/ports.js';
import type { DeliveryUpdate, InboundSms, Message } from '../../../src/core/types.js';
import type { SmsMetrics } from './metrics.js';
import { createSmsMetrics } from './metrics.js';

export interface IngestDeps {
  store: Store;
  clock: Clock;
  deliveries: DeliveryQueue;
  notifier?: StatusNotifier;
  logger?: Logger;
  metrics?: SmsMetrics;
  /** Longest wait for the delivery queue before answering 503 (default ENQUEUE_WAIT_MS). */
  enqueueWaitMs?: number;
}

/**
 * How long a webhook waits for the delivery queue. With Redis down, ioredis holds commands until
 * it is back; the message is stored already, so the provider gets a 503 in good time (it retries,
 * and the retry hands the message on) instead of a request hanging until its own timeout, which
 * would also hold up a shutdown. The held enqueue still runs when Redis returns (idempotent).
 */
export const ENQUEUE_WAIT_MS = 3_000;

export interface InboundOutcome {
  message: Message;
  conversationId: string;
  duplicate: boolean;
  routed: boolean;
}

export interface StatusOutcome {
  message: Message | null;
  changed: boolean;
  /** The receipt named a message another provider carried: ignored (see applyDeliveryUpdate). */
  otherProvider?: { messageId: string; carriedBy: string | null };
}

export interface Ingest {
  inbound(sms: InboundSms): Promise<InboundOutcome>;
  /** `optedOut`: the provider says the contact opted out (e.g. Twilio 21610 on a callback). */
  status(update: DeliveryUpdate, opts?: { optedOut?: boolean }): Promise<StatusOutcome>;
}

/** The message is stored but could not be handed on: answer 503 so the provider retries. */
export class IngestUnavailableError extends BridgeError {
  constructor(message: string) {
    super('unavailable', message);
  }
}

export function createIngest(deps: IngestDeps): Ingest {
  const log = deps.logger ?? pino({ level: 'silent' });
  const metrics = deps.metrics ?? createSmsMetrics();
  const core = { store: deps.store, clock: deps.clock };

  return {
    async inbound(sms) {
      // Addresses go to the core as received; it normalises numbers and keeps alphanumeric ids.
      const r = recordInbound(core, sms);
      const { message, conversation, duplicate, routed } = r;
      // A retried webhook must have no second effect; re-enqueue only while nothing has been
      // posted yet (the job id is the message id, so BullMQ drops it if still queued). This
      // heals the case where the first attempt stored the message but could not enqueue.
      const alreadyPosted = duplicate && deps.store.posts.listForMessage(message.id).length > 0;
      if (!alreadyPosted) {
        try {
          await within(deps.deliveries.enqueueDelivery(message.id, conversation.id), deps.enqueueWaitMs ?? ENQUEUE_WAIT_MS, 'the queue');
        } catch (err) {
          log.error({ err: err instanceof Error ? err.message : String(err), messageId: message.id }, 'inbound stored but delivery could not be queued');
          throw new IngestUnavailableError('message stored; delivery queue unavailable, retry later');
        }
      }
      metrics.inbound(sms.provider, duplicate);
      log.info(
        {
          providerMessageId: sms.providerMessageId,
          messageId: message.id,
          conversationId: conversation.id,
          duplicate,
          routed,
          keyword: r.keyword,
          media: sms.media.length,
        },
        duplicate ? 'inbound sms duplicate acknowledged' : 'inbound sms stored',
      );
      return { message, conversationId: conversation.id, duplicate, routed };
    },

    async status(update, opts) {
      // One transaction: the status and the opt-out it reports land together or not at all.
      const r = deps.store.transaction(() => {
        const applied = applyDeliveryUpdate(core, update);
        if (opts?.optedOut && applied.message) {
          const conv = deps.store.conversations.get(applied.message.conversationId);
          if (conv) deps.store.optOuts.set(conv.number, conv.contact, true, `${update.provider}:${update.errorCode ?? 'opted-out'}`);
        }
        return applied;
      });
      if (r.otherProvider) {
        // Not this provider's message: nothing changed, no opt-out, nothing shown in chat.
        metrics.statusFromOtherProvider(update.provider);
        log.info(
          { provider: update.provider, providerMessageId: update.providerMessageId, messageId: r.otherProvider.messageId, carriedBy: r.otherProvider.carriedBy, status: update.status },
          'delivery status ignored: the message was sent through another provider',
        );
        return r;
      }
      metrics.status(update.provider, r.changed);
      log.info(
        { providerMessageId: update.providerMessageId, status: update.status, changed: r.changed, known: r.message !== null },
        'delivery status',
      );
      if (r.changed && r.message && deps.notifier) {
        // The status is stored; showing it in chat is best effort and must not make the
        // provider retry (a retry would be a no-op and never re-notify).
        try {
          await deps.notifier.statusChanged(r.message);
        } catch (err) {
          log.warn({ err, messageId: r.message.id }, 'status stored but chat could not be notified');
        }
      }
      return r;
    },
  };
}
