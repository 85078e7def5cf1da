// The web inbox's store queries, on both engines (TEST_STORE=postgres for PostgreSQL): unread
// counts per console session, the list by latest activity and by text, and the inbound texts no
// chat shows yet (what a new mapping delivers).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Direction } from '../../src/core/types.js';
import { createTempStore, type TempStore } from '../support/tempStore.js';
import { steppingClock } from './clock.js';

let temp: TempStore;
beforeEach(async () => {
  temp = await createTempStore({ clock: steppingClock() });
});
afterEach(() => temp.cleanup());

const N = '+12025550100';
const OTHER = '+12025550199';
let sid = 0;

async function text(conversationId: string, body: string, direction: Direction = 'inbound') {
  sid++;
  return (
    await temp.store.messages.insert({
      conversationId,
      direction,
      body,
      status: direction === 'inbound' ? 'received' : 'queued',
      provider: 'local',
      providerMessageId: direction === 'inbound' ? `in-${sid}` : null,
      encoding: 'GSM-7',
      segments: 1,
    })
  ).message;
}

describe('web inbox store', () => {
  it('counts unread inbound texts per session: a read mark covers what was there, later texts count again', async () => {
    const { store } = temp;
    const c = (await store.conversations.getOrCreate(N, '+14155550123')).conversation;
    expect(await store.inbox.unreadCount('s1', c.id)).toBe(0);
    await text(c.id, 'one');
    await text(c.id, 'two');
    await text(c.id, 'our answer', 'outbound'); // ours never counts as unread
    expect(await store.inbox.unreadCount('s1', c.id)).toBe(2);
    await store.inbox.markRead('s1', c.id);
    expect(await store.inbox.unreadCount('s1', c.id)).toBe(0);
    expect(await store.inbox.unreadCount('s2', c.id)).toBe(2); // another session has read nothing
    await text(c.id, 'three');
    expect(await store.inbox.unreadCount('s1', c.id)).toBe(1);
    await store.inbox.markRead('s1', c.id); // marking again moves the mark
    expect(await store.inbox.unreadCount('s1', c.id)).toBe(0);
  });

  it('lists by newest activity first, pages without repeats, and finds text in contacts, numbers and messages', async () => {
    const { store, inbox } = { store: temp.store, inbox: temp.store.inbox };
    const a = (await store.conversations.getOrCreate(N, '+14155550001')).conversation;
    const b = (await store.conversations.getOrCreate(N, '+14155550002')).conversation;
    const c = (await store.conversations.getOrCreate(OTHER, 'ACME_50%')).conversation;
    await text(b.id, 'Where is my order?');
    await text(c.id, 'Your code is 1234');
    await text(a.id, 'Invoice paid, thanks'); // a: created first, active last
    const ids = (p: { items: Array<{ conversation: { id: string } }> }) => p.items.map((i) => i.conversation.id);
    expect(ids(await inbox.list({}, { order: 'activity' }))).toEqual([a.id, c.id, b.id]);
    expect(ids(await inbox.list({}, { order: 'created' }))).toEqual([a.id, b.id, c.id]);

    const first = await inbox.list({}, { order: 'activity', limit: 2 });
    expect(ids(first)).toEqual([a.id, c.id]);
    expect(first.next).not.toBeNull();
    const second = await inbox.list({}, { order: 'activity', limit: 2, cursor: first.next! });
    expect(ids(second)).toEqual([b.id]);
    expect(second.next).toBeNull();
    expect(first.items[0]!.lastActivityAt > first.items[1]!.lastActivityAt).toBe(true);

    expect(ids(await inbox.list({ q: 'ORDER' }, { order: 'activity' }))).toEqual([b.id]); // message text, any case
    expect(ids(await inbox.list({ q: '(415) 555-0002' }, { order: 'activity' }))).toEqual([b.id]); // a contact as typed
    expect(ids(await inbox.list({ q: '50%' }, { order: 'activity' }))).toEqual([c.id]); // % is a character, not a wildcard
    expect(ids(await inbox.list({ q: '202555' }, { order: 'created' }))).toEqual([a.id, b.id, c.id]); // our numbers
    expect(ids(await inbox.list({ number: N, q: 'thanks' }, { order: 'activity' }))).toEqual([a.id]);
    expect(ids(await inbox.list({ q: 'nothing like this' }, { order: 'activity' }))).toEqual([]);
    await expect(inbox.list({}, { order: 'activity', cursor: 'nonsense' })).rejects.toMatchObject({ field: 'cursor' });
  });

  it('lists the inbound texts of a number that no chat shows, oldest first, and not once posted', async () => {
    const { store } = temp;
    const a = (await store.conversations.getOrCreate(N, '+14155550001')).conversation;
    const b = (await store.conversations.getOrCreate(N, '+14155550002')).conversation;
    const elsewhere = (await store.conversations.getOrCreate(OTHER, '+14155550001')).conversation;
    const m1 = await text(a.id, 'first');
    const m2 = await text(b.id, 'second');
    await text(a.id, 'ours', 'outbound');
    const m3 = await text(a.id, 'third');
    await text(elsewhere.id, 'another number');
    await store.posts.save({ messageId: m2.id, platform: 'web', channel: 'inbox', platformMessageId: `web:${m2.id}` });
    expect(await store.inbox.unshownInbound(N)).toEqual([
      { id: m1.id, conversationId: a.id },
      { id: m3.id, conversationId: a.id },
    ]);
  });
});
