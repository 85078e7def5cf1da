import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTempStore, type TempStore } from '../support/tempStore.js';
import { steppingClock } from './clock.js';

let temp: TempStore;
let messageId: string;
beforeEach(async () => {
  temp = await createTempStore({ clock: steppingClock() });
  const c = (await temp.store.conversations.getOrCreate('+12025550100', '+14155550123')).conversation;
  messageId = (await temp.store.messages.insert({
    conversationId: c.id, direction: 'inbound', body: '', status: 'received', encoding: 'GSM-7', segments: 0,
  })).message.id;
});
afterEach(() => temp.cleanup());

describe('media', () => {
  it('a pending file is recorded with its source and later marked stored with its path and size', async () => {
    const pending = await temp.store.media.create({
      messageId, contentType: 'image/jpeg', size: 0, path: null, sourceUrl: 'https://api.twilio.test/M1',
      status: 'pending', reason: null,
    });
    expect(pending).toMatchObject({ messageId, status: 'pending', path: null, sourceUrl: 'https://api.twilio.test/M1' });
    const stored = await temp.store.media.update(pending.id, { status: 'stored', path: 'media/ab/cd.jpg', size: 12345 });
    expect(stored).toMatchObject({ status: 'stored', path: 'media/ab/cd.jpg', size: 12345, contentType: 'image/jpeg' });
    expect(await temp.store.media.get(pending.id)).toEqual(stored);
  });

  it('a file that cannot be kept is refused with a human reason, never dropped', async () => {
    const m = await temp.store.media.create({
      messageId, contentType: 'application/x-msdownload', size: 10, path: null, sourceUrl: null, status: 'pending',
      reason: null,
    });
    await temp.store.media.update(m.id, { status: 'refused', reason: 'type not allowed' });
    expect(await temp.store.media.listForMessage(messageId)).toEqual([
      expect.objectContaining({ id: m.id, status: 'refused', reason: 'type not allowed' }),
    ]);
  });

  it('lists a message files in the order they were added', async () => {
    const ids: string[] = [];
    for (const n of ['a', 'b', 'c']) {
      ids.push(
        (await temp.store.media.create({
          messageId, contentType: 'image/png', size: 1, path: `media/${n}`, sourceUrl: null, status: 'stored', reason: null,
        })).id,
      );
    }
    expect((await temp.store.media.listForMessage(messageId)).map((m) => m.id)).toEqual(ids);
    expect(await temp.store.media.listForMessage('other')).toEqual([]);
  });

  it('unknown media: get and update return null; a file for an unknown message is refused', async () => {
    expect(await temp.store.media.get('nope')).toBeNull();
    expect(await temp.store.media.update('nope', { status: 'stored' })).toBeNull();
    await expect(
      temp.store.media.create({
        messageId: 'missing', contentType: 'image/png', size: 1, path: null, sourceUrl: null, status: 'pending', reason: null,
      }),
    ).rejects.toThrow(/foreign key/i);
  });
});

describe('media attach', () => {
  const saveUnowned = () =>
    temp.store.media.create({
      messageId: null as unknown as string, contentType: 'image/png', size: 3, path: 'media/x.png', sourceUrl: null,
      status: 'stored', reason: null,
    });

  it('a chat file saved before its message exists is attached to the message once', async () => {
    const file = await saveUnowned();
    expect(await temp.store.media.attach(file.id, messageId)).toMatchObject({ id: file.id, messageId });
    expect((await temp.store.media.listForMessage(messageId)).map((m) => m.id)).toEqual([file.id]);
  });

  it('never moves a file that already belongs to another message', async () => {
    const c = (await temp.store.conversations.getOrCreate('+12025550100', '+14155550199')).conversation;
    const other = (await temp.store.messages.insert({
      conversationId: c.id, direction: 'inbound', body: '', status: 'received', encoding: 'GSM-7', segments: 0,
    })).message.id;
    const file = await saveUnowned();
    await temp.store.media.attach(file.id, other);
    expect(await temp.store.media.attach(file.id, messageId)).toBeNull();
    expect((await temp.store.media.get(file.id))?.messageId).toBe(other);
  });
});

describe('media file bytes', () => {
  const pending = () =>
    temp.store.media.create({ messageId, contentType: 'image/png', size: 0, path: null, sourceUrl: null, status: 'pending', reason: null });

  it('keeps every byte value as given and returns it on another connection', async () => {
    const m = await pending();
    const bytes = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
    await temp.store.mediaFiles.put(m.id, bytes);
    const other = await temp.openAnother();
    expect(await other.mediaFiles.get(m.id)).toEqual(bytes);
  });

  it('has nothing for a file not kept in the store; a second put replaces the bytes', async () => {
    const m = await pending();
    expect(await temp.store.mediaFiles.get(m.id)).toBeNull();
    await temp.store.mediaFiles.put(m.id, Buffer.from('first'));
    await temp.store.mediaFiles.put(m.id, Buffer.from('second'));
    expect((await temp.store.mediaFiles.get(m.id))?.toString()).toBe('second');
  });

  it('refuses bytes for a media row that does not exist', async () => {
    await expect(temp.store.mediaFiles.put('no-such-media', Buffer.from('x'))).rejects.toThrow(/foreign key/i);
  });

  it('bytes written in a transaction that fails are not kept, like the row', async () => {
    const m = await pending();
    await expect(
      temp.store.transaction(async () => {
        await temp.store.mediaFiles.put(m.id, Buffer.from('x'));
        await temp.store.media.update(m.id, { status: 'stored' });
        throw new Error('crash before commit');
      }),
    ).rejects.toThrow('crash before commit');
    expect(await temp.store.mediaFiles.get(m.id)).toBeNull();
    expect((await temp.store.media.get(m.id))?.status).toBe('pending');
  });
});

describe('settings', () => {
  it('the first value stored under a key stays; later offers get it back', async () => {
    expect(await temp.store.settings.get('k')).toBeNull();
    expect(await temp.store.settings.putIfAbsent('k', 'first')).toBe('first');
    const other = await temp.openAnother();
    expect(await other.settings.putIfAbsent('k', 'second')).toBe('first');
    expect(await temp.store.settings.get('k')).toBe('first');
  });

  it('two connections offering at once agree on one value', async () => {
    const other = await temp.openAnother();
    const [a, b] = await Promise.all([temp.store.settings.putIfAbsent('race', 'a'), other.settings.putIfAbsent('race', 'b')]);
    expect(a).toBe(b);
  });
});
