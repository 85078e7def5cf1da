// Platform-agnostic inputs and outputs of the chat services (handleChatReply, sendFromChannel).
// Adapters translate their platform's events into these and render the results back.

import type { OutboundQueue, DeliveryQueue, SmsProviderCapabilities, Store, Clock } from '../core/ports.js';
import type { Message, OutboundMedia, PlatformId } from '../core/types.js';
import type { Refusal } from '../core/errors.js';
import type { ChatLogger } from '../delivery/logger.js';

export interface ChatServiceDeps {
  store: Store;
  clock: Clock;
  queue: OutboundQueue;
  deliveries: DeliveryQueue;
  providerCaps: (provider: string) => SmsProviderCapabilities | null;
  logger?: ChatLogger;
}

export interface ChatReplyInput {
  platform: PlatformId;
  channel: string;
  /** The thread the reply was written in (Slack thread_ts, Teams root activity id). */
  threadId: string;
  userId: string;
  userName: string | null;
  text: string;
  /** Files attached to the reply, already staged as media (mediaId set) by the adapter. */
  files: OutboundMedia[];
  /** Platform-qualified id of the chat message, e.g. `slack:T1:C1:1700000000.000100`. */
  platformMessageId: string;
}

export type ChatReplyResult =
  | { kind: 'note' }
  | { kind: 'not-a-conversation' }
  /** The thread is a conversation's, but its channel no longer shows the conversation's number
   *  (the mapping was removed or moved): nothing is sent; `number` is that number (E.164). */
  | { kind: 'channel-not-mapped'; number: string }
  | { kind: 'queued'; message: Message; duplicate: boolean; internal: boolean }
  | { kind: 'refused'; refusals: Refusal[] };
