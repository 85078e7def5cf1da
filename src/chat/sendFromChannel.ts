// An SMS started from a channel command (Slack `/sms <number> <text>`): the channel's mapped
// number is the sender (rule 11), the typed number the recipient. The message is then delivered
// like any other: into the contact's thread in every mapped channel (the thread is created when
// the conversation is new), marked with the user who wrote it. Like a thread reply it takes its
// place in the conversation's order when the command arrives (reserveChannelSend), before the
// slow steps (resolving names).

import { parsePhone } from '../core/index.js';
import { checkOutbound, requestOutbound } from '../app/requestOutbound.js';
import type { Store } from '../core/ports.js';
import type { Refusal } from '../core/errors.js';
import type { Message, PlatformId } from '../core/types.js';
import type { ChatServiceDeps } from './types.js';

export interface SendFromChannelInput {
  platform: PlatformId;
  channel: string;
  userId: string;
  userName: string | null;
  /** Recipients as typed; more than one is refused by the rules (rule 3). */
  to: string[];
  text: string;
  /** Platform-qualified id of the command invocation, makes it idempotent. */
  platformMessageId: string;
}

/**
 * Which of the channel's numbers a send used (rule 11). A channel mapped to several numbers
 * sends from the oldest mapping, deterministically, and the confirmation says so.
 */
export interface SentFrom {
  /** E.164 of the number the SMS is (or would have been) sent from. */
  from: string;
  /** How many numbers are mapped to this channel (1 = no choice was made). */
  mappedNumbers: number;
}

export type SendFromChannelResult =
  | { kind: 'no-mapping' }
  | ({ kind: 'queued'; message: Message; duplicate: boolean; internal: boolean } & SentFrom)
  | ({ kind: 'refused'; refusals: Refusal[] } & SentFrom);

/**
 * Takes the conversation's next place for a channel send as soon as the command arrives. Only for
 * one recipient that is a phone number the channel's number may text (a conversation is created
 * for it when new); null otherwise (the send is then refused, or has nothing to wait behind).
 */
export async function reserveChannelSend(
  deps: Pick<ChatServiceDeps, 'store' | 'clock' | 'providerCaps' | 'owner'>,
  input: Pick<SendFromChannelInput, 'platform' | 'channel' | 'to' | 'userId' | 'platformMessageId'>,
): Promise<string | null> {
  const store: Store = deps.store;
  const mapping = (await store.mappings.list({ platform: input.platform, channel: input.channel }))[0];
  const contact = input.to.length === 1 ? parsePhone(input.to[0] ?? '').e164 : null;
  if (!mapping || !contact) return null;
  let conversation = await store.conversations.find(mapping.number, contact);
  if (!conversation) {
    const request = { fromNumber: mapping.number, to: [contact], body: '.', media: [], author: { platform: input.platform, userId: input.userId } };
    if (!(await checkOutbound(deps, request)).eligibility.allowed) return null;
    conversation = (await store.conversations.getOrCreate(mapping.number, contact)).conversation;
  }
  await store.outbox.reserve(['send', 'deliver'], conversation.id, input.platformMessageId, deps.owner);
  return conversation.id;
}

export async function sendFromChannel(deps: ChatServiceDeps, input: SendFromChannelInput): Promise<SendFromChannelResult> {
  // Oldest mapping first (the store lists by creation): the same number every time.
  const mappings = await deps.store.mappings.list({ platform: input.platform, channel: input.channel });
  const mapping = mappings[0];
  if (!mapping) return { kind: 'no-mapping' };
  const sentFrom: SentFrom = { from: mapping.number, mappedNumbers: mappings.length };
  // Not written in a thread: delivery posts it into the contact's thread in this channel (and
  // every other mapped one), creating the thread when needed.
  const outcome = await requestOutbound(
    deps,
    {
      fromNumber: mapping.number,
      to: input.to,
      body: input.text,
      media: [],
      author: { platform: input.platform, userId: input.userId, name: input.userName },
      platformMessageId: input.platformMessageId,
    },
    { slotKey: input.platformMessageId },
  );
  if (!outcome.ok) return { kind: 'refused', refusals: outcome.refusals, ...sentFrom };
  return { kind: 'queued', message: outcome.message, duplicate: outcome.duplicate, internal: outcome.internal, ...sentFrom };
}
