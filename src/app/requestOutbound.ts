// Accept an outbound message from chat (issue 4, behaviour 1; rules 3, 6, 11): check eligibility,
// then store it as 'queued' together with its place in the conversation's send order (and its
// chat delivery: mirrors, /sms) in ONE transaction, and wake the workers. A refusal stores nothing
// and returns every reason. Idempotent on the chat message id, so a retried chat event never
// sends twice. Co-worker messages (rule 6) never reach the provider.
//
// Order: a chat reply takes its place in the outbox when it arrives (OutboxRepo.reserve, keyed by
// its chat message id), before its slow preparation; `place.slotKey` names that place, which the
// message then fills, so a reply written first goes first however long its files took.

import type { Refusal } from '../core/errors.js';
import { checkEligibilityAsync, type Eligibility } from '../core/eligibility.js';
import { parsePhone } from '../core/phone.js';
import type { Lane, OutboxItem, Store, TurnQueue } from '../core/ports.js';
import type { Conversation, MediaItem, Message, OutboundMedia, OutboundRequest, PlatformId, ProvisionedNumber } from '../core/types.js';
import { INTERNAL_PROVIDER, nowIso, type CoreDeps, type ProviderCapsLookup } from './deps.js';

export interface RequestOutboundDeps extends CoreDeps {
  queue: TurnQueue;
  providerCaps: ProviderCapsLookup;
}

/** Where the message goes in the conversation's order, and what else it needs. */
export interface OutboundPlacement {
  /** The place reserved for it when the chat message arrived (its chat message id). */
  slotKey?: string;
  /**
   * The chat message it came from is its post in that channel (a thread reply): recorded in the
   * same transaction, so the delivery that mirrors it elsewhere never posts it there again.
   */
  originPost?: { platform: PlatformId; channel: string; platformMessageId: string };
  /** Post it into the conversation's chat threads too (mirrors, /sms). Default true. */
  deliver?: boolean;
}

export type RequestOutboundResult =
  | { ok: true; message: Message; duplicate: boolean; internal: boolean }
  | { ok: false; refusals: Refusal[] };

export async function requestOutbound(
  deps: RequestOutboundDeps,
  req: OutboundRequest,
  place: OutboundPlacement = {},
): Promise<RequestOutboundResult> {
  const { store } = deps;

  // A retried chat event (Slack retry, duplicate Teams activity) finds the message it created;
  // its work is in the outbox already (same transaction), so nothing is added again.
  if (req.platformMessageId) {
    const existing = await store.messages.getByPlatformMessageId(req.platformMessageId);
    if (existing) return resume(deps, existing, place);
  }

  const { eligibility, sender, coworker } = await checkOutbound(deps, req);
  if (!eligibility.allowed) {
    await giveUpPlace(deps, place.slotKey);
    return { ok: false, refusals: eligibility.refusals };
  }
  if (sender === null) throw new Error('unreachable: eligibility allows only provisioned senders');

  const now = nowIso(deps.clock);
  const { segments } = eligibility;

  if (coworker !== null) {
    const stored = await store.transaction(async () => {
      const { conversation } = await store.conversations.getOrCreate(sender.e164, coworker.e164);
      const inserted = await store.messages.insert({
        conversationId: conversation.id,
        direction: 'internal',
        body: req.body,
        status: 'delivered',
        author: req.author,
        platformMessageId: req.platformMessageId,
        encoding: segments.encoding,
        segments: segments.segments,
        createdAt: now,
      });
      if (inserted.duplicate) return { duplicate: inserted.message, copy: null };
      await saveOriginPost(store, place, inserted.message.id);
      const media = await linkMedia(store, req.media, inserted.message.id);
      // The co-worker's copy, in their conversation with us. It points back at our copy through
      // (provider 'internal', providerMessageId = our id), which is unique, so a retry finds it.
      const theirs = (await store.conversations.getOrCreate(coworker.e164, sender.e164)).conversation;
      const { message: copy } = await store.messages.insert({
        conversationId: theirs.id,
        direction: 'internal',
        body: req.body,
        status: 'delivered',
        author: req.author,
        provider: INTERNAL_PROVIDER,
        providerMessageId: inserted.message.id,
        encoding: segments.encoding,
        segments: segments.segments,
        createdAt: now,
      });
      for (const item of media) await copyMedia(store, item, copy.id);
      // Never sent as SMS: no place in the send order. Ours is shown in our threads (mirrors,
      // /sms), the copy in the co-worker's.
      const id = inserted.message.id;
      const lanes: Lane[] = place.deliver === false ? [] : ['deliver'];
      const released = place.slotKey ? await store.outbox.release(place.slotKey, ['send']) : [];
      const mine = await placeInLanes(store, place.slotKey, id, conversation.id, lanes);
      const items = [...mine, await store.outbox.add('deliver', theirs.id, copy.id), ...released];
      return { duplicate: null, copy, items, mine: (await store.messages.get(inserted.message.id)) ?? inserted.message };
    });
    if (stored.duplicate) return resume(deps, stored.duplicate, place);
    await wakeAll(deps, stored.items);
    return { ok: true, message: stored.mine, duplicate: false, internal: true };
  }

  const stored = await store.transaction(async () => {
    const { conversation } = await store.conversations.getOrCreate(sender.e164, eligibility.to);
    const inserted = await store.messages.insert({
      conversationId: conversation.id,
      direction: 'outbound',
      body: req.body,
      status: 'queued',
      author: req.author,
      provider: sender.provider,
      platformMessageId: req.platformMessageId,
      encoding: segments.encoding,
      segments: segments.segments,
      createdAt: now,
    });
    if (inserted.duplicate) return { message: inserted.message, conversation, duplicate: true, items: [] };
    const id = inserted.message.id;
    await saveOriginPost(store, place, id);
    await linkMedia(store, req.media, id);
    const lanes: Lane[] = place.deliver === false ? ['send'] : ['send', 'deliver'];
    const items = await placeInLanes(store, place.slotKey, id, conversation.id, lanes);
    return { message: (await store.messages.get(id)) ?? inserted.message, conversation, duplicate: false, items };
  });
  if (stored.duplicate) return resume(deps, stored.message, place);
  await wakeAll(deps, stored.items);
  return { ok: true, message: stored.message, duplicate: false, internal: false };
}

/**
 * Every eligibility rule for a request, without writing anything: what requestOutbound checks, for
 * callers that must know before a slow step (downloading a reply's files).
 */
export async function checkOutbound(
  deps: CoreDeps & { providerCaps: ProviderCapsLookup },
  req: Pick<OutboundRequest, 'fromNumber' | 'to' | 'body' | 'author'> & { media: Array<Pick<OutboundMedia, 'contentType' | 'size'>> },
): Promise<{ eligibility: Eligibility; sender: ProvisionedNumber | null; coworker: ProvisionedNumber | null }> {
  const { store } = deps;
  // Rule 11: the sending number is the channel's/conversation's provisioned number, never a
  // number the user picks. Chat adapters put it in `fromNumber`; it must be provisioned.
  const senderE164 = parsePhone(req.fromNumber).e164 ?? req.fromNumber.trim();
  const sender = await store.numbers.get(senderE164);
  const user = await store.users.get(req.author.platform, req.author.userId);
  // Rule 6: a single recipient that is itself a number on this bridge is a co-worker.
  const recipientE164 = req.to.length === 1 ? parsePhone(req.to[0] as string).e164 : null;
  const coworker = recipientE164 !== null && recipientE164 !== senderE164 ? await store.numbers.get(recipientE164) : null;
  const policy = await store.policy.get();
  const eligibility = await checkEligibilityAsync(
    {
      policy,
      user,
      sender,
      senderInput: req.fromNumber,
      recipients: req.to,
      body: req.body,
      media: req.media.map((m) => ({ contentType: m.contentType, size: m.size })),
      provider: sender ? deps.providerCaps(sender.provider) : undefined,
      internal: coworker !== null,
    },
    (number, contact) => store.optOuts.isOptedOut(number, contact),
  );
  return { eligibility, sender, coworker };
}

/**
 * A message this chat event already created (a platform retry): its work is in the outbox since
 * the transaction that stored it. A place reserved again by the retry is given up, and pending
 * work is woken once more (a wake-up lost to a crash right after the commit is made good here).
 */
async function resume(deps: RequestOutboundDeps, message: Message, place: OutboundPlacement): Promise<RequestOutboundResult> {
  await giveUpPlace(deps, place.slotKey);
  const { outbox } = deps.store;
  const theirs = message.direction === 'internal' ? await deps.store.messages.getByProviderId(INTERNAL_PROVIDER, message.id) : null;
  const pending = [
    await outbox.findByMessage('send', message.id),
    await outbox.findByMessage('deliver', message.id),
    theirs ? await outbox.findByMessage('deliver', theirs.id) : null,
  ];
  await wakeAll(deps, pending.filter((i): i is OutboxItem => i !== null && i.state !== 'failed'));
  return { ok: true, message, duplicate: true, internal: message.direction === 'internal' };
}

/** A reserved place nothing will fill (refused, duplicate): the items behind it may go on. */
async function giveUpPlace(deps: RequestOutboundDeps, slotKey: string | undefined): Promise<void> {
  if (!slotKey) return;
  await wakeAll(deps, await deps.store.outbox.release(slotKey));
}

async function wakeAll(deps: RequestOutboundDeps, items: OutboxItem[]): Promise<void> {
  await Promise.all(items.map((i) => deps.queue.wake(i.lane, i.conversationId, `m${i.seq}`)));
}

/** The message's places in the lanes: the reserved ones filled, else new ones at the end. */
async function placeInLanes(store: Store, slotKey: string | undefined, messageId: string, conversationId: string, lanes: Lane[]): Promise<OutboxItem[]> {
  if (slotKey) return store.outbox.fill(slotKey, messageId, conversationId, lanes);
  const items: OutboxItem[] = [];
  for (const lane of lanes) items.push(await store.outbox.add(lane, conversationId, messageId));
  return items;
}

async function saveOriginPost(store: Store, place: OutboundPlacement, messageId: string): Promise<void> {
  if (!place.originPost) return;
  const { platform, channel, platformMessageId } = place.originPost;
  if (!(await store.posts.findByPlatformMessageId(platform, platformMessageId))) await store.posts.save({ messageId, platform, channel, platformMessageId });
}

/**
 * Media rows for an outbound message. A file the adapter already downloaded (mediaId) is moved
 * onto the message (or copied, when the store cannot attach it: it belongs to another message
 * already); one it could not download is recorded as pending so the record shows it and the send
 * worker can say why it did not go.
 */
async function linkMedia(store: Store, media: OutboundMedia[], messageId: string): Promise<MediaItem[]> {
  const out: MediaItem[] = [];
  for (const m of media) {
    const stored = m.mediaId ? await store.media.get(m.mediaId) : null;
    if (stored && m.mediaId) {
      const attached = (await store.media.attach(m.mediaId, messageId)) ?? (await copyMedia(store, stored, messageId));
      if (attached) {
        out.push(attached);
        continue;
      }
    }
    out.push(
      await store.media.create({
        messageId,
        contentType: m.contentType,
        size: m.size,
        path: null,
        sourceUrl: null,
        status: 'pending',
        reason: null,
      }),
    );
  }
  return out;
}

async function copyMedia(store: Store, item: MediaItem, messageId: string): Promise<MediaItem> {
  const copy = await store.media.create({
    messageId,
    contentType: item.contentType,
    size: item.size,
    path: item.path,
    sourceUrl: item.sourceUrl,
    status: item.status,
    reason: item.reason,
  });
  // The copy is served by its own id: its bytes go with it (a legacy row's path names its file).
  const bytes = await store.mediaFiles.get(item.id);
  if (bytes) await store.mediaFiles.put(copy.id, bytes);
  return copy;
}

/** For callers that only have a conversation: the request rule 11 allows (its own number). */
export function requestFromConversation(
  conversation: Conversation,
  input: Omit<OutboundRequest, 'fromNumber' | 'to'>,
): OutboundRequest {
  return { ...input, fromNumber: conversation.number, to: [conversation.contact] };
}
