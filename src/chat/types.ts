// Platform-agnostic inputs and outputs of the chat services (handleChatReply, sendFromChannel).
// Adapters translate their platform's events into these and render the results back.

import type { SmsProviderCapabilities, Store, Clock, TurnQueue } from '../core/ports.js';
import type { Message, OutboundMedia, PlatformId } from '../core/types.js';
import type { Refusal } from '../core/errors.js';
import type { ChatLogger } from '../delivery/logger.js';

export interface ChatServiceDeps {
  store: Store;
  clock: Clock;
  queue: TurnQueue;
  providerCaps: (provider: string) => SmsProviderCapabilities | null;
  /** This process as the preparer of reserved places (liveness owner): a dead one's are given up. */
  owner: string;
  logger?: ChatLogger;
  /** A number was just mapped to a channel: its inbound texts no chat showed yet are delivered there. */
  afterMapped?: (number: string) => Promise<void>;
}

export interface ChatReplyInput {
  platform: PlatformId;
  channel: string;
  /** The thread the reply was written in (Slack thread_ts, Teams root activity id). */
  threadId: string;
  userId: string;
  /** The text as the platform sent it: enough for the checks made before any slow step. */
  rawText: string;
  /** The files as the event declares them (size 0 when it does not say), for the same checks. */
  declaredFiles: Array<{ contentType: string; size: number }>;
  /** Platform-qualified id of the chat message, e.g. `slack:T1:C1:1700000000.000100`. */
  platformMessageId: string;
}

/** What the slow part of a reply produced (the adapter's `prepare`). */
export interface PreparedReply {
  /** The text as it goes out (markup turned into what the user saw). */
  text: string;
  userName: string | null;
  /** Files downloaded and stored as media (mediaId set). */
  files: OutboundMedia[];
  /** Files that could not be fetched, as human lines. */
  problems: string[];
  /** With problems: true sends the rest (named in a notice); false sends nothing. */
  sendWithoutThem: boolean;
}

export type ChatReplyResult =
  | { kind: 'note' }
  | { kind: 'not-a-conversation' }
  /** The thread is a conversation's, but its channel no longer shows the conversation's number
   *  (the mapping was removed or moved): nothing is sent; `number` is that number (E.164). */
  | { kind: 'channel-not-mapped'; number: string }
  | { kind: 'queued'; message: Message; duplicate: boolean; internal: boolean; problems: string[] }
  | { kind: 'refused'; refusals: Refusal[] }
  /** Files could not be fetched and the platform sends nothing without them. */
  | { kind: 'files-failed'; problems: string[] };
