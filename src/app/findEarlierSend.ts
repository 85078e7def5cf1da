// A send whose outcome is unknown (the ledger says a provider call started, no answer was
// recorded: a kill -9 or a lost lease mid-call) on a provider without an idempotency key
// (Twilio). Rather than give up (outcome_unknown for an admin to resend), the send worker asks
// the provider whether that earlier call created a message (SentMessageFinder): one from our
// number to the contact, created at or after the call's start minus a clock-skew margin, with the
// same body (and media count when the provider shows it), whose id no other message of ours has
// recorded. Found: the earlier call went out, record it with that id. Not found: it never took
// effect, send now. The lookup failing: no answer, so never guess (the caller retries later).
// An unclaimed message since our start that differs (the provider may rewrite text, e.g. Twilio's
// Smart Encoding of curly quotes) is neither: 'unclear', and the outcome stays unknown.
//
// Residual risk: a request still in flight at the provider when the lookup runs (the dead worker's
// TCP request accepted but its message not yet created) is missed, and the message would go out
// twice. The lookup runs only after the dead worker's lease expired (seconds after the kill),
// while a provider creates the message within its answer time (well under a second), so the
// window needs a request stuck inside the provider for longer than the lease.
import type { MessageRepo, ProviderSentMessage, SentMessageFinder } from '../core/ports.js';

/** How far before our recorded start a provider's creation time may read (clocks differ; the
 *  provider's timestamps have whole seconds). */
export const CLOCK_SKEW_MARGIN_MS = 10_000;

export interface EarlierSendQuery {
  messageId: string;
  provider: string;
  from: string;
  to: string;
  body: string;
  mediaCount: number;
  /** The ledger's start of the call whose outcome is unknown (ISO). */
  startedAt: string;
}

export type EarlierSend = { kind: 'found'; providerMessageId: string } | { kind: 'absent' } | { kind: 'unclear'; providerMessageId: string };

export async function findEarlierSend(
  finder: SentMessageFinder,
  messages: Pick<MessageRepo, 'getByProviderId'>,
  q: EarlierSendQuery,
): Promise<EarlierSend> {
  const sinceMs = Date.parse(q.startedAt) - CLOCK_SKEW_MARGIN_MS;
  const since = new Date(sinceMs).toISOString();
  const listed = await finder.findSentMessages({ from: q.from, to: q.to, since });
  // Oldest first: the earliest match after our start is the likeliest to be ours.
  // A message without a creation time cannot be placed after our start: not ours to claim.
  const recent = listed.filter((m) => m.createdAt !== null && Date.parse(m.createdAt) >= sinceMs).reverse();
  let unclear: string | null = null;
  for (const c of recent) {
    const owner = await messages.getByProviderId(q.provider, c.providerMessageId);
    if (owner && owner.id !== q.messageId) continue; // another message's SMS (same contact)
    if (same(c, q)) return { kind: 'found', providerMessageId: c.providerMessageId };
    unclear ??= c.providerMessageId;
  }
  return unclear === null ? { kind: 'absent' } : { kind: 'unclear', providerMessageId: unclear };
}

function same(m: ProviderSentMessage, q: EarlierSendQuery): boolean {
  if (m.body.trim() !== q.body.trim()) return false;
  return m.mediaCount === null || m.mediaCount === q.mediaCount;
}
