import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, InvalidInputError } from '../../src/core/errors.js';
import type { NewMessage } from '../../src/core/ports.js';
import { createTempStore, type TempStore } from '../support/tempStore.js';
import { steppingClock } from './clock.js';

let temp: TempStore;
let conversationId: string;
beforeEach(async () => {
  temp = await createTempStore({ clock: steppingClock() });
  conversationId = (await temp.store.conversations.getOrCreate('+12025550100', '+14155550123')).conversation.id;
});
afterEach(() => temp.cleanup());

function inbound(over: Partial<NewMessage> = {}): NewMessage {
  return {
    conversationId, direction: 'inbound', body: 'hello', status: 'received', encoding: 'GSM-7', segments: 1,
    provider: 'twilio', providerMessageId: `SM${Math.random()}`, ...over,
  };
}

function outbound(over: Partial<NewMessage> = {}): NewMessage {
  return {
    conversationId, direction: 'outbound', body: 'reply', status: 'queued', encoding: 'GSM-7', segments: 1,
    author: { platform: 'slack', userId: 'U1', name: 'Ana' }, platformMessageId: `slack:C1:${Math.random()}`, ...over,
  };
}

describe('messages: insert and read', () => {
  it('stores every field and reads it back the same', async () => {
    const { message, duplicate } = await temp.store.messages.insert(
      outbound({
        body: 'Héllo 😀', encoding: 'UCS-2', segments: 2, statusReason: null, errorCode: null,
        platformMessageId: 'slack:C1:1.1', createdAt: '2025-12-31T23:59:00.000Z',
      }),
    );
    expect(duplicate).toBe(false);
    expect(message).toMatchObject({
      conversationId, direction: 'outbound', body: 'Héllo 😀', status: 'queued', encoding: 'UCS-2', segments: 2,
      author: { platform: 'slack', userId: 'U1', name: 'Ana' }, provider: null, providerMessageId: null,
      platformMessageId: 'slack:C1:1.1', otherRecipients: [], media: [], createdAt: '2025-12-31T23:59:00.000Z',
    });
    expect(await temp.store.messages.get(message.id)).toEqual(message);
    expect(await temp.store.messages.getByPlatformMessageId('slack:C1:1.1')).toEqual(message);
  });

  it('keeps the other recipients of an inbound group message', async () => {
    const { message } = await temp.store.messages.insert(inbound({ otherRecipients: ['+14155550001', '+14155550002'] }));
    expect((await temp.store.messages.get(message.id))?.otherRecipients).toEqual(['+14155550001', '+14155550002']);
  });

  it('a message without author comes back with author null', async () => {
    const { message } = await temp.store.messages.insert(inbound());
    expect(message.author).toBeNull();
  });

  it('the same provider message id stored twice is one message: the second insert returns it as duplicate', async () => {
    const first = await temp.store.messages.insert(inbound({ providerMessageId: 'SM1', body: 'first' }));
    const again = await temp.store.messages.insert(inbound({ providerMessageId: 'SM1', body: 'retry' }));
    expect(again.duplicate).toBe(true);
    expect(again.message).toEqual(first.message);
    expect(await temp.store.messages.listForConversation(conversationId)).toHaveLength(1);
    expect((await temp.store.messages.getByProviderId('twilio', 'SM1'))?.body).toBe('first');
  });

  it('the same provider message id from another provider is another message', async () => {
    await temp.store.messages.insert(inbound({ providerMessageId: 'X1' }));
    const other = await temp.store.messages.insert(inbound({ provider: '8x8', providerMessageId: 'X1' }));
    expect(other.duplicate).toBe(false);
    expect(await temp.store.messages.listForConversation(conversationId)).toHaveLength(2);
  });

  it('the same platform message id stored twice is one message (a retried chat event)', async () => {
    const first = await temp.store.messages.insert(outbound({ platformMessageId: 'slack:C1:1.1' }));
    const again = await temp.store.messages.insert(outbound({ platformMessageId: 'slack:C1:1.1', body: 'again' }));
    expect(again).toEqual({ message: first.message, duplicate: true });
  });

  it('many messages without provider or platform ids are all kept', async () => {
    for (let i = 0; i < 3; i++) {
      await temp.store.messages.insert(outbound({ platformMessageId: null, provider: null, providerMessageId: null }));
    }
    expect(await temp.store.messages.listForConversation(conversationId)).toHaveLength(3);
  });

  it('refuses a message for an unknown conversation, or with a status outside the schema', async () => {
    await expect( temp.store.messages.insert(inbound({ conversationId: 'missing' }))).rejects.toThrow(/foreign key/i);
    await expect( temp.store.messages.insert(inbound({ status: 'lost' as never }))).rejects.toThrow(/check/i);
  });

  it('unknown ids read as null', async () => {
    expect(await temp.store.messages.get('nope')).toBeNull();
    expect(await temp.store.messages.getByProviderId('twilio', 'nope')).toBeNull();
    expect(await temp.store.messages.getByPlatformMessageId('nope')).toBeNull();
  });

  it('messages come back with their media', async () => {
    const { message } = await temp.store.messages.insert(inbound());
    const a = await temp.store.media.create({
      messageId: message.id, contentType: 'image/jpeg', size: 10, path: 'media/a.jpg', sourceUrl: 'https://x/a',
      status: 'stored', reason: null,
    });
    const b = await temp.store.media.create({
      messageId: message.id, contentType: 'image/png', size: 0, path: null, sourceUrl: 'https://x/b',
      status: 'pending', reason: null,
    });
    expect((await temp.store.messages.get(message.id))?.media).toEqual([a, b]);
    expect((await temp.store.messages.listForConversation(conversationId))[0]?.media).toEqual([a, b]);
    expect((await temp.store.messages.search({ text: 'hello' }))[0]?.media).toEqual([a, b]);
  });

  it('a message marked sent comes back with its media, one without media with none', async () => {
    const withFile = (await temp.store.messages.insert(outbound())).message;
    const file = await temp.store.media.create({
      messageId: withFile.id, contentType: 'image/png', size: 5, path: 'media/c.png', sourceUrl: null, status: 'stored', reason: null,
    });
    const plain = (await temp.store.messages.insert(outbound())).message;
    expect((await temp.store.messages.markSent(withFile.id, { provider: 'twilio', providerMessageId: 'SMa' }))?.media).toEqual([file]);
    expect((await temp.store.messages.markSent(plain.id))?.media).toEqual([]);
    expect((await temp.store.messages.get(plain.id))?.media).toEqual([]);
  });

  it('message ids are time-ordered UUIDs: a later message has a larger id (new rows go to the end of the id index)', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) ids.push((await temp.store.messages.insert(inbound())).message.id);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
  });

  it('has no way to delete a message', () => {
    expect(Object.keys(temp.store.messages).filter((k) => /delete|remove|purge/i.test(k))).toEqual([]);
  });
});

describe('messages: lists and search', () => {
  it('lists a conversation oldest first, pages backwards with before + limit', async () => {
    const ids = [];
    for (const i of [1, 2, 3, 4, 5]) ids.push((await temp.store.messages.insert(inbound({ body: `m${i}` }))).message);
    const list = await temp.store.messages.listForConversation(conversationId);
    expect(list.map((m) => m.body)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect((await temp.store.messages.listForConversation(conversationId, { limit: 2 })).map((m) => m.body)).toEqual(['m4', 'm5']);
    expect(
      (await temp.store.messages.listForConversation(conversationId, { limit: 2, before: ids[3]!.createdAt })).map((m) => m.body),
    ).toEqual(['m2', 'm3']);
  });

  it('search finds text anywhere in the body, newest first, and filters by number and contact', async () => {
    const other = (await temp.store.conversations.getOrCreate('+16135550100', '+14155550999')).conversation.id;
    await temp.store.messages.insert(inbound({ body: 'Invoice 42 attached' }));
    await temp.store.messages.insert(inbound({ body: 'no match here' }));
    await temp.store.messages.insert(inbound({ conversationId: other, body: 'your invoice is ready' }));
    expect((await temp.store.messages.search({ text: 'invoice' })).map((m) => m.body)).toEqual([
      'your invoice is ready', 'Invoice 42 attached',
    ]);
    expect((await temp.store.messages.search({ text: 'invoice', number: '+12025550100' })).map((m) => m.body)).toEqual([
      'Invoice 42 attached',
    ]);
    expect(await temp.store.messages.search({ contact: '+14155550999' })).toHaveLength(1);
    expect(await temp.store.messages.search({ limit: 2 })).toHaveLength(2);
  });

  it('search treats % and _ in the text literally', async () => {
    await temp.store.messages.insert(inbound({ body: '50% off' }));
    await temp.store.messages.insert(inbound({ body: '50 percent off' }));
    await temp.store.messages.insert(inbound({ body: 'file_name.pdf' }));
    await temp.store.messages.insert(inbound({ body: 'fileXname.pdf' }));
    await temp.store.messages.insert(inbound({ body: 'back\\slash' }));
    expect((await temp.store.messages.search({ text: '50%' })).map((m) => m.body)).toEqual(['50% off']);
    expect((await temp.store.messages.search({ text: 'file_' })).map((m) => m.body)).toEqual(['file_name.pdf']);
    expect((await temp.store.messages.search({ text: 'k\\s' })).map((m) => m.body)).toEqual(['back\\slash']);
  });

  it('inbound messages for a number without an active mapping are listed as unrouted, newest first', async () => {
    const { store } = temp;
    const routed = (await store.conversations.getOrCreate('+16135550100', '+14155550999')).conversation.id;
    const mapping = await store.mappings.create({ number: '+16135550100', platform: 'slack', channel: 'C1' });
    await store.messages.insert(inbound({ body: 'nobody listens 1' }));
    await store.messages.insert(outbound({ body: 'outbound is never unrouted' }));
    await store.messages.insert(inbound({ conversationId: routed, body: 'routed' }));
    await store.messages.insert(inbound({ body: 'nobody listens 2' }));
    expect((await store.messages.listUnrouted()).map((m) => m.body)).toEqual(['nobody listens 2', 'nobody listens 1']);
    expect(await store.messages.listUnrouted(1)).toHaveLength(1);
    await store.mappings.remove(mapping.id);
    expect((await store.messages.listUnrouted()).map((m) => m.body)).toContain('routed');
    await store.mappings.create({ number: '+12025550100', platform: 'teams', channel: '19:x' });
    expect((await store.messages.listUnrouted()).map((m) => m.body)).toEqual(['routed']);
  });

  it('a mapped message that no channel took is listed with the unrouted ones until it is posted after all', async () => {
    const { store } = temp;
    await store.mappings.create({ number: '+12025550100', platform: 'slack', channel: 'C1' });
    const { message } = await store.messages.insert(inbound({ body: 'slack was down' }));
    expect(await store.messages.listUnrouted()).toEqual([]);
    await store.messages.markNotPosted(message.id, 'not posted to any chat channel (slack 503)');
    expect((await store.messages.listUnrouted()).map((m) => [m.body, m.statusReason])).toEqual([['slack was down', 'not posted to any chat channel (slack 503)']]);
    await store.posts.save({ messageId: message.id, platform: 'slack', channel: 'C1', platformMessageId: '1700000000.000100' });
    expect(await store.messages.listUnrouted()).toEqual([]);
  });
});

describe('messages: cursor pages by (created_at, rowid)', () => {
  const T0 = Date.UTC(2026, 0, 1);
  /** `n` messages in bursts of `burst` sharing one millisecond; bodies m0..m(n-1) in insert order. */
  async function seedBursts(n: number, burst: number): Promise<string[]> {
    const bodies = Array.from({ length: n }, (_, i) => `m${i}`);
    await temp.store.transaction(async () => {
      for (const [i, body] of bodies.entries()) {
        await temp.store.messages.insert(inbound({ body, createdAt: new Date(T0 + Math.floor(i / burst)).toISOString() }));
      }
    });
    return bodies;
  }

  async function readAll(from: 'oldest' | 'newest', limit: number): Promise<{ pages: string[][]; cursors: (string | null)[] }> {
    const pages: string[][] = [];
    const cursors: (string | null)[] = [];
    let cursor: string | undefined;
    for (let guard = 0; guard < 1000; guard++) {
      const page = await temp.store.messages.pageForConversation(conversationId, { from, cursor, limit });
      pages.push(page.messages.map((m) => m.body));
      cursors.push(page.next);
      if (page.next === null) break;
      cursor = page.next;
    }
    return { pages, cursors };
  }

  it('from the oldest: every message exactly once, in order, although bursts of one millisecond straddle each page edge', async () => {
    const bodies = await seedBursts(53, 7);
    const { pages } = await readAll('oldest', 5);
    expect(pages.flat()).toEqual(bodies);
    expect(pages.map((p) => p.length)).toEqual([...Array(10).fill(5), 3]);
  });

  it('from the newest: the latest page first, each next page older, each page oldest first, nothing skipped or repeated', async () => {
    const bodies = await seedBursts(53, 7);
    const { pages } = await readAll('newest', 5);
    expect(pages[0]).toEqual(['m48', 'm49', 'm50', 'm51', 'm52']);
    expect(pages[1]).toEqual(['m43', 'm44', 'm45', 'm46', 'm47']);
    expect([...pages].reverse().flat()).toEqual(bodies);
  });

  it('a conversation that fits one page has no next; an empty one is an empty last page', async () => {
    const empty = await temp.store.messages.pageForConversation(conversationId, { limit: 3 });
    expect(empty).toEqual({ messages: [], next: null });
    await seedBursts(3, 3);
    expect((await temp.store.messages.pageForConversation(conversationId, { limit: 3 })).next).toBeNull();
    expect((await temp.store.messages.pageForConversation(conversationId, { limit: 2 })).next).not.toBeNull();
  });

  it('only pages its own conversation', async () => {
    const other = (await temp.store.conversations.getOrCreate('+16135550100', '+14155550999')).conversation.id;
    await seedBursts(4, 4);
    await temp.store.messages.insert(inbound({ conversationId: other, body: 'elsewhere', createdAt: new Date(T0).toISOString() }));
    expect((await readAll('oldest', 2)).pages.flat()).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect((await temp.store.messages.pageForConversation(other)).messages.map((m) => m.body)).toEqual(['elsewhere']);
  });

  it('a paging run ends with the messages that existed when it began, even when more arrive meanwhile', async () => {
    await seedBursts(6, 6);
    const first = await temp.store.messages.pageForConversation(conversationId, { limit: 4 });
    // Arrives after the run began, with a timestamp that sorts inside the remaining range.
    await temp.store.messages.insert(inbound({ body: 'late', createdAt: new Date(T0).toISOString() }));
    await temp.store.messages.insert(inbound({ body: 'later', createdAt: new Date(T0 + 10).toISOString() }));
    const second = await temp.store.messages.pageForConversation(conversationId, { limit: 4, cursor: first.next! });
    expect([...first.messages, ...second.messages].map((m) => m.body)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
    expect(second.next).toBeNull();
    // A new run sees them.
    expect((await readAll('oldest', 4)).pages.flat()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'late', 'later']);
  });

  it('createdBefore starts a newest-first run strictly before that time, then pages by cursor', async () => {
    await seedBursts(12, 3); // m0-m2 at T0, m3-m5 at T0+1, m6-m8 at T0+2, m9-m11 at T0+3
    const first = await temp.store.messages.pageForConversation(conversationId, { from: 'newest', limit: 4, createdBefore: new Date(T0 + 2).toISOString() });
    expect(first.messages.map((m) => m.body)).toEqual(['m2', 'm3', 'm4', 'm5']);
    const second = await temp.store.messages.pageForConversation(conversationId, { from: 'newest', limit: 4, cursor: first.next! });
    expect(second).toMatchObject({ next: null });
    expect(second.messages.map((m) => m.body)).toEqual(['m0', 'm1']);
  });

  it('a cursor it did not hand out is an input error naming the cursor; messages come with their media', async () => {
    await expect( temp.store.messages.pageForConversation(conversationId, { cursor: 'garbage' })).rejects.toThrow(InvalidInputError);
    await expect( temp.store.messages.pageForConversation(conversationId, { cursor: Buffer.from('["x",1]').toString('base64url') })).rejects.toThrow(/cursor/);
    const m = (await temp.store.messages.insert(inbound())).message;
    await temp.store.media.create({ messageId: m.id, contentType: 'image/png', size: 3, path: 'a.png', sourceUrl: null, status: 'stored', reason: null });
    expect((await temp.store.messages.pageForConversation(conversationId)).messages[0]!.media.map((x) => x.contentType)).toEqual(['image/png']);
  });
});

describe('messages: search by direction', () => {
  it('filters by direction in the store, so the limit counts only matching messages', async () => {
    await temp.store.transaction(async () => {
      await temp.store.messages.insert(outbound({ body: 'old reply' }));
      for (let i = 0; i < 1200; i++) await temp.store.messages.insert(inbound({ body: `in ${i}` }));
    });
    expect((await temp.store.messages.search({ direction: 'outbound', limit: 5 })).map((m) => m.body)).toEqual(['old reply']);
    const ins = await temp.store.messages.search({ direction: 'inbound', limit: 3 });
    expect(ins.map((m) => m.body)).toEqual(['in 1199', 'in 1198', 'in 1197']);
    expect(await temp.store.messages.search({ direction: 'internal' })).toEqual([]);
  });
});

describe('messages: status moves forward only', () => {
  it('queued -> sending -> sent -> delivered, each move recorded with updatedAt', async () => {
    const { message } = await temp.store.messages.insert(outbound());
    const sending = await temp.store.messages.advanceStatus(message.id, 'sending');
    const sent = await temp.store.messages.advanceStatus(message.id, 'sent');
    const delivered = await temp.store.messages.advanceStatus(message.id, 'delivered');
    expect([sending?.status, sent?.status, delivered?.status]).toEqual(['sending', 'sent', 'delivered']);
    expect(delivered!.updatedAt > sent!.updatedAt).toBe(true);
  });

  it('a late "sent" never overwrites "delivered"', async () => {
    const { message } = await temp.store.messages.insert(outbound());
    await temp.store.messages.advanceStatus(message.id, 'delivered');
    expect(await temp.store.messages.advanceStatus(message.id, 'sent')).toBeNull();
    expect((await temp.store.messages.get(message.id))?.status).toBe('delivered');
  });

  it('a final status is never replaced by another final status', async () => {
    const { message } = await temp.store.messages.insert(outbound());
    await temp.store.messages.advanceStatus(message.id, 'undelivered', { reason: 'carrier said no', errorCode: '30005' });
    expect(await temp.store.messages.advanceStatus(message.id, 'delivered')).toBeNull();
    expect(await temp.store.messages.get(message.id)).toMatchObject({
      status: 'undelivered', statusReason: 'carrier said no', errorCode: '30005',
    });
  });

  it('the same status twice is not a move', async () => {
    const { message } = await temp.store.messages.insert(outbound());
    expect(await temp.store.messages.advanceStatus(message.id, 'sent')).not.toBeNull();
    expect(await temp.store.messages.advanceStatus(message.id, 'sent')).toBeNull();
  });

  it('records reason and error code of a failure; a move without them keeps the earlier ones', async () => {
    const { message } = await temp.store.messages.insert(outbound());
    await temp.store.messages.advanceStatus(message.id, 'sending', { reason: 'retrying after 429', errorCode: '429' });
    const failed = await temp.store.messages.advanceStatus(message.id, 'failed', { reason: 'opted out', errorCode: '21610' });
    expect(failed).toMatchObject({ status: 'failed', statusReason: 'opted out', errorCode: '21610' });
    const m2 = (await temp.store.messages.insert(outbound())).message;
    await temp.store.messages.advanceStatus(m2.id, 'sending', { reason: 'first try', errorCode: null });
    expect(await temp.store.messages.advanceStatus(m2.id, 'sent')).toMatchObject({ statusReason: 'first try' });
  });

  it('advancing an unknown message returns null', async () => {
    expect(await temp.store.messages.advanceStatus('nope', 'sent')).toBeNull();
  });
});

describe('messages: provider message id', () => {
  it('is set after sending and then finds the message', async () => {
    const { message } = await temp.store.messages.insert(outbound());
    await temp.store.messages.setProviderMessageId(message.id, 'twilio', 'SM42');
    expect((await temp.store.messages.getByProviderId('twilio', 'SM42'))?.id).toBe(message.id);
  });

  it('cannot take a provider id that belongs to another message (ConflictError)', async () => {
    await temp.store.messages.insert(inbound({ providerMessageId: 'SM42' }));
    const { message } = await temp.store.messages.insert(outbound());
    await expect( temp.store.messages.setProviderMessageId(message.id, 'twilio', 'SM42')).rejects.toThrow(ConflictError);
  });

  it('a clash caught inside a transaction undoes only itself: the rest of the transaction commits', async () => {
    // The send worker records a send whose provider id is already taken: it logs that and still
    // marks the message sent in the same transaction.
    await temp.store.messages.insert(inbound({ providerMessageId: 'SM42' }));
    const { message } = await temp.store.messages.insert(outbound());
    await temp.store.transaction(async () => {
      await expect(temp.store.messages.markSent(message.id, { provider: 'twilio', providerMessageId: 'SM42' })).rejects.toThrow(ConflictError);
      await temp.store.messages.markSent(message.id);
    });
    const after = await temp.store.messages.get(message.id);
    expect(after?.status).toBe('sent');
    expect(after?.providerMessageId).toBeNull();
  });
});
