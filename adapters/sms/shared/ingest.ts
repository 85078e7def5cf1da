// The provider-independent half of every SMS webhook: store first (one transaction, in the core,
// with the message's place in its conversation's chat delivery order), wake the delivery worker,
// and let the route acknowledge. The acknowledgement never waits for Redis: the stored outbox
// item is the hand-off, and a wake-up lost to a Redis outage is made good by the workers'
// recovery when Redis answers again. Status callbacks move a message forward only and tell the
// chat side.
import type { Logger } from 'pino';
import { pino } from 'pino';
import { applyDeliveryUpdate } from '../../../src/app/applyDeliveryUpdate.js';
import { recordInbound } from '../../../src/app/recordInbound.js';
import type { Clock, StatusNotifier, Store, TurnQueue } from '../../../src/core/ports.js';
import type { DeliveryUpdate, InboundSms, Message } from '../../../src/core/types.js';
import type { SmsMetrics } from './metrics.js';
import { createSmsMetrics } from './metrics.js';

export interface IngestDeps {
  store: Store;
  clock: Clock;
  queue: TurnQueue;
  notifier?: StatusNotifier;
  logger?: Logger;
  metrics?: SmsMetrics;
}

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

export function createIngest(deps: IngestDeps): Ingest {
  const log = deps.logger ?? pino({ level: 'silent' });
  const metrics = deps.metrics ?? createSmsMetrics();
  const core = { store: deps.store, clock: deps.clock };

  return {
    async inbound(sms) {
      // Addresses go to the core as received; it normalises numbers and keeps alphanumeric ids.
      const r = await recordInbound(core, sms);
      const { message, conversation, duplicate, routed } = r;
      // A retried webhook wakes a delivery still pending once more (no second effect otherwise).
      if (r.delivery) await deps.queue.wake('deliver', conversation.id, `m${r.delivery.seq}`);
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
      const r: StatusOutcome = await deps.store.transaction(async () => {
        const applied = await applyDeliveryUpdate(core, update);
        if (opts?.optedOut && applied.message) {
          const conv = await deps.store.conversations.get(applied.message.conversationId);
          if (conv) await deps.store.optOuts.set(conv.number, conv.contact, true, `${update.provider}:${update.errorCode ?? 'opted-out'}`);
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
