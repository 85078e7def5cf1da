import { beforeEach, describe, expect, it } from 'vitest';

import type { Lane, TurnQueue } from '../../src/core/ports.js';
import type { OutboundRequest } from '../../src/core/types.js';
import { INTERNAL_PROVIDER } from '../../src/app/deps.js';
import { requestFromConversation, requestOutbound, type RequestOutboundDeps } from '../../src/app/requestOutbound.js';
import { CONTACT, COWORKER, OUR, TWILIO_CAPS } from './fixtures.js';
import { createMemoryStore, fixedClock } from './memoryStore.js';

/** Wake-ups as [message id, conversation id] per lane (the message read from the outbox). */
class RecordingQueue implements TurnQueue {
  sends: [string, string][] = [];
  deliveries: [string, string][] = [];
  /** Wake-ups are lost (Redis away) while true. */
  dropping = false;
  async wake(lane: Lane, conversationId: string, token: string): Promise<void> {
    if (this.dropping) return;
    const messageId = (await store.outbox.get(Number(token.slice(1))))?.messageId ?? token;
    (lane === 'send' ? this.sends : this.deliveries).push([messageId, conversationId]);
  }
}

let store: ReturnType<typeof createMemoryStore>;
let queue: RecordingQueue;
let deps: RequestOutboundDeps;

function req(patch: Partial<OutboundRequest> = {}): OutboundRequest {
  return {
    fromNumber: OUR,
    to: [CONTACT],
    body: 'Your table is ready.',
    media: [],
    author: { platform: 'slack', userId: 'U1', name: 'Ana' },
    platformMessageId: `slack:C1:${Math.random()}`,
    ...patch,
  };
}

beforeEach(async () => {
  const clock = fixedClock('2026-03-01T09:00:00.000Z');
  store = createMemoryStore(clock);
  await store.numbers.create({ e164: OUR, provider: 'twilio', type: 'local', status: 'active', country: 'US' });
  queue = new RecordingQueue();
  deps = { store, clock, queue, providerCaps: (p) => (p === 'twilio' ? TWILIO_CAPS : null) };
});

describe('outbound requests: accepted messages are stored and queued', () => {
  it('stores the message as queued with its author and chat message id, then enqueues it once', async () => {
    const r = await requestOutbound(deps, req({ to: ['(415) 555-2671'], platformMessageId: 'slack:C1:1700.1' }));
    if (!r.ok) throw new Error(JSON.stringify(r.refusals));
    expect(r).toMatchObject({ duplicate: false, internal: false });
    expect(r.message).toMatchObject({
      direction: 'outbound',
      status: 'queued',
      provider: 'twilio',
      platformMessageId: 'slack:C1:1700.1',
      author: { platform: 'slack', userId: 'U1', name: 'Ana' },
      encoding: 'GSM-7',
      segments: 1,
    });
    const conversation = await store.conversations.get(r.message.conversationId);
    expect(conversation).toMatchObject({ number: OUR, contact: CONTACT });
    expect(queue.sends).toEqual([[r.message.id, r.message.conversationId]]);
  });

  it('refuses with every reason and stores and queues nothing', async () => {
    await store.policy.update({ smsEnabled: false });
    const r = await requestOutbound(deps, req({ to: [CONTACT, '+14165551234'], body: '' }));
    expect(r).toEqual({
      ok: false,
      refusals: [
        expect.objectContaining({ code: 'sms_disabled_company' }),
        expect.objectContaining({ code: 'too_many_recipients' }),
        expect.objectContaining({ code: 'empty_message' }),
      ],
    });
    expect(store.state.messages.size).toBe(0);
    expect(store.state.conversations.size).toBe(0);
    expect(queue.sends).toEqual([]);
  });
});

describe('a number whose SMS provider is not set up on this bridge', () => {
  it('is refused at once with the reason (not queued to fail at send time); co-worker messages still go', async () => {
    await store.numbers.create({ e164: '+14155550177', provider: '8x8', type: 'local', status: 'active', country: 'US' });
    const r = await requestOutbound(deps, req({ fromNumber: '+14155550177' }));
    expect(r).toMatchObject({ ok: false, refusals: [{ code: 'sender_provider_not_configured' }] });
    if (r.ok) return;
    expect(r.refusals[0]?.reason).toMatch(/uses the SMS provider "8x8", which is not set up on this bridge/);
    expect(store.state.messages.size).toBe(0);
    expect(queue.sends).toEqual([]);
    // To a co-worker's number nothing goes through a provider: allowed.
    const internal = await requestOutbound(deps, req({ fromNumber: '+14155550177', to: [OUR] }));
    expect(internal).toMatchObject({ ok: true, internal: true });
  });
});

describe('outbound requests are idempotent on the chat message id', () => {
  it('a retried chat event returns the same message and stores nothing new', async () => {
    const first = await requestOutbound(deps, req({ platformMessageId: 'slack:C1:1' }));
    const again = await requestOutbound(deps, req({ platformMessageId: 'slack:C1:1' }));
    expect(first.ok && again.ok).toBe(true);
    if (!first.ok || !again.ok) return;
    expect(again.duplicate).toBe(true);
    expect(again.message.id).toBe(first.message.id);
    expect(store.state.messages.size).toBe(1);
    // Handed to the queue again while still queued: enqueueSend is idempotent by job id.
    expect(queue.sends).toEqual([
      [first.message.id, first.message.conversationId],
      [first.message.id, first.message.conversationId],
    ]);
  });

  it('stores the message with its place in the send order in one step: a lost wake-up loses nothing, and a retried event wakes it again', async () => {
    queue.dropping = true;
    const first = await requestOutbound(deps, req({ platformMessageId: 'slack:C1:2' }));
    queue.dropping = false;
    if (!first.ok) throw new Error('refused');
    expect(await store.outbox.findByMessage('send', first.message.id)).toMatchObject({ state: 'ready', conversationId: first.message.conversationId });
    expect(queue.sends).toEqual([]);
    const retry = await requestOutbound(deps, req({ platformMessageId: 'slack:C1:2' }));
    expect(retry).toMatchObject({ ok: true, duplicate: true });
    expect(queue.sends).toEqual([[first.message.id, first.message.conversationId]]);
    expect(await store.outbox.pendingConversations('send')).toHaveLength(1);
  });

  it('does not hand a message on again once its send is done', async () => {
    const first = await requestOutbound(deps, req({ platformMessageId: 'slack:C1:3' }));
    if (!first.ok) throw new Error('refused');
    await store.messages.advanceStatus(first.message.id, 'sent');
    await store.outbox.remove((await store.outbox.findByMessage('send', first.message.id))!.seq);
    const again = await requestOutbound(deps, req({ platformMessageId: 'slack:C1:3' }));
    expect(again).toMatchObject({ ok: true, duplicate: true, message: { status: 'sent' } });
    expect(queue.sends).toHaveLength(1);
  });

  it('a retried event is answered the same even if the contact opted out meanwhile (send time decides)', async () => {
    await requestOutbound(deps, req({ platformMessageId: 'slack:C1:4' }));
    await store.optOuts.set(OUR, CONTACT, true, 'STOP');
    expect(await requestOutbound(deps, req({ platformMessageId: 'slack:C1:4' }))).toMatchObject({ ok: true, duplicate: true });
  });
});

describe('rule 7: turning SMS off', () => {
  it('refuses a user whose SMS is off, looked up by platform and user id', async () => {
    await store.users.upsert('slack', 'U1', { smsEnabled: false });
    const r = await requestOutbound(deps, req());
    expect(r).toMatchObject({ ok: false, refusals: [{ code: 'sms_disabled_user' }] });
    expect(await requestOutbound(deps, req({ author: { platform: 'teams', userId: 'U1' } }))).toMatchObject({ ok: true });
  });
});

describe('rule 12: opt-out', () => {
  it('refuses a contact who texted STOP to this number', async () => {
    await store.optOuts.set(OUR, CONTACT, true, 'STOP');
    const r = await requestOutbound(deps, req());
    expect(r).toMatchObject({ ok: false, refusals: [{ code: 'opted_out' }] });
    expect(queue.sends).toEqual([]);
  });
});

describe('rule 11: caller ID', () => {
  it('sends from the provisioned number given by the channel; an unprovisioned number is refused', async () => {
    const r = await requestOutbound(deps, req({ fromNumber: '+1 415 555 9999' }));
    expect(r).toMatchObject({ ok: false, refusals: [{ code: 'sender_not_provisioned' }] });
  });

  it('a reply in a conversation always goes from the conversation\'s own number to its contact', () => {
    const conversation = { id: 'c1', number: OUR, contact: CONTACT, createdAt: '2026-01-01T00:00:00.000Z' };
    const r = requestFromConversation(conversation, { body: 'hi', media: [], author: { platform: 'teams', userId: 'u' }, platformMessageId: null });
    expect(r.fromNumber).toBe(OUR);
    expect(r.to).toEqual([CONTACT]);
  });

  it('stores the message in the conversation of the sending number, normalised', async () => {
    const r = await requestOutbound(deps, req({ fromNumber: '(415) 555-0100' }));
    if (!r.ok) throw new Error('refused');
    expect((await store.conversations.get(r.message.conversationId))?.number).toBe(OUR);
  });
});

describe('rule 6: co-workers', () => {
  beforeEach(async () => {
    await store.numbers.create({ e164: COWORKER, provider: '8x8', type: 'local', status: 'active', country: 'CA' });
  });

  it('delivers a message to another provisioned number internally, never through the provider', async () => {
    const r = await requestOutbound(deps, req({ to: ['(416) 555-0111'], body: 'Can you call the client back?' }));
    if (!r.ok) throw new Error(JSON.stringify(r.refusals));
    expect(r).toMatchObject({ internal: true, duplicate: false, message: { direction: 'internal', status: 'delivered' } });
    expect(queue.sends).toEqual([]);

    const mine = await store.conversations.get(r.message.conversationId);
    expect(mine).toMatchObject({ number: OUR, contact: COWORKER });
    const theirs = await store.conversations.find(COWORKER, OUR);
    expect(theirs).not.toBeNull();
    const copies = await store.messages.listForConversation(theirs?.id ?? '');
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatchObject({ direction: 'internal', status: 'delivered', body: 'Can you call the client back?', author: { userId: 'U1' } });
    // Shown in our threads (mirrors, /sms) and, as the copy, in the co-worker's.
    expect(queue.deliveries).toEqual([[r.message.id, mine?.id], [copies[0]?.id, theirs?.id]]);
  });

  it('an internal message is not subject to carrier rules (a toll-free co-worker number)', async () => {
    await store.numbers.update(OUR, { type: 'toll-free' });
    expect(await requestOutbound(deps, req({ to: [COWORKER] }))).toMatchObject({ ok: true, internal: true });
  });

  it('a retried chat event re-hands the co-worker copy to delivery without storing it twice', async () => {
    await requestOutbound(deps, req({ to: [COWORKER], platformMessageId: 'teams:a1' }));
    const again = await requestOutbound(deps, req({ to: [COWORKER], platformMessageId: 'teams:a1' }));
    expect(again).toMatchObject({ ok: true, duplicate: true, internal: true });
    expect(store.state.messages.size).toBe(2);
    // Both deliveries (ours, the copy's) are woken again, nothing is added.
    expect(queue.deliveries).toHaveLength(4);
    expect(queue.deliveries.slice(2)).toEqual(queue.deliveries.slice(0, 2));
    const copy = await store.messages.getByProviderId(INTERNAL_PROVIDER, (again.ok && again.message.id) || '');
    expect(queue.deliveries[1]?.[0]).toBe(copy?.id);
    expect(await store.outbox.pendingConversations('deliver')).toHaveLength(2);
  });

  it('is refused while SMS is off for the user', async () => {
    await store.users.upsert('slack', 'U1', { smsEnabled: false });
    expect(await requestOutbound(deps, req({ to: [COWORKER] }))).toMatchObject({ ok: false, refusals: [{ code: 'sms_disabled_user' }] });
  });
});

describe('rule 5: files on outbound messages', () => {
  it('moves an already downloaded file onto the message', async () => {
    const pre = await store.media.create({ messageId: 'pending', contentType: 'image/png', size: 2048, path: 'media/a.png', sourceUrl: 'https://files.slack.com/a', status: 'stored', reason: null });
    const r = await requestOutbound(deps, req({ media: [{ contentType: 'image/png', size: 2048, mediaId: pre.id }] }));
    if (!r.ok) throw new Error(JSON.stringify(r.refusals));
    expect(r.message.media.map((m) => [m.id, m.path, m.status])).toEqual([[pre.id, 'media/a.png', 'stored']]);
  });

  it('copies the file row onto the message when the store cannot attach', async () => {
    store.media.attach = async () => null; // as for a row another message already owns
    const pre = await store.media.create({ messageId: 'pending', contentType: 'image/png', size: 2048, path: 'media/a.png', sourceUrl: null, status: 'stored', reason: null });
    const r = await requestOutbound(deps, req({ media: [{ contentType: 'image/png', size: 2048, mediaId: pre.id }] }));
    if (!r.ok) throw new Error('refused');
    expect(r.message.media).toHaveLength(1);
    expect(r.message.media[0]).toMatchObject({ path: 'media/a.png', messageId: r.message.id, status: 'stored' });
  });

  it('a copied file row takes the file\'s bytes with it, so its own link serves the file', async () => {
    store.media.attach = async () => null; // as for a row another message already owns
    const pre = await store.media.create({ messageId: 'pending', contentType: 'image/png', size: 3, path: null, sourceUrl: null, status: 'stored', reason: null });
    await store.mediaFiles.put(pre.id, Buffer.from('png'));
    const r = await requestOutbound(deps, req({ media: [{ contentType: 'image/png', size: 3, mediaId: pre.id }] }));
    if (!r.ok) throw new Error('refused');
    const copy = r.message.media[0]!;
    expect(copy.id).not.toBe(pre.id);
    expect((await store.mediaFiles.get(copy.id))?.toString()).toBe('png');
  });

  it('records a file that was not downloaded as pending', async () => {
    const r = await requestOutbound(deps, req({ body: '', media: [{ contentType: 'image/jpeg', size: 10 }] }));
    if (!r.ok) throw new Error('refused');
    expect(r.message.media).toMatchObject([{ status: 'pending', contentType: 'image/jpeg', size: 10, path: null }]);
  });

  it('refuses files over the provider limit before anything is stored', async () => {
    const r = await requestOutbound(deps, req({ media: [{ contentType: 'image/png', size: 6 * 1024 * 1024 }] }));
    expect(r).toMatchObject({ ok: false, refusals: [{ code: 'media_too_large' }] });
    expect(store.state.media.size).toBe(0);
  });
});
