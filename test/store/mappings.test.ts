import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/core/errors.js';
import { createTempStore, type TempStore } from '../support/tempStore.js';
import { steppingClock } from './clock.js';

let temp: TempStore;
beforeEach(async () => {
  temp = await createTempStore({ clock: steppingClock() });
});
afterEach(() => temp.cleanup());

const A = '+12025550100';
const B = '+16135550100';

describe('mappings', () => {
  it('maps a number to a channel and finds it by id', async () => {
    const m = await temp.store.mappings.create({ number: A, platform: 'slack', channel: 'C1' });
    expect(m).toMatchObject({ number: A, platform: 'slack', channel: 'C1' });
    expect(m.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await temp.store.mappings.get(m.id)).toEqual(m);
  });

  it('the same number, platform and channel cannot be mapped twice (ConflictError)', async () => {
    await temp.store.mappings.create({ number: A, platform: 'slack', channel: 'C1' });
    await expect( temp.store.mappings.create({ number: A, platform: 'slack', channel: 'C1' })).rejects.toThrow(ConflictError);
    expect(await temp.store.mappings.list()).toHaveLength(1);
  });

  it('a number may be mapped to several channels and platforms, and a channel to several numbers', async () => {
    const { mappings } = temp.store;
    await mappings.create({ number: A, platform: 'slack', channel: 'C1' });
    await mappings.create({ number: A, platform: 'teams', channel: '19:abc@thread.tacv2' });
    await mappings.create({ number: B, platform: 'slack', channel: 'C1' });
    expect((await mappings.list({ number: A })).map((m) => m.platform)).toEqual(['slack', 'teams']);
    expect((await mappings.list({ platform: 'slack', channel: 'C1' })).map((m) => m.number)).toEqual([A, B]);
    expect(await mappings.list({ platform: 'teams' })).toHaveLength(1);
    expect(await mappings.list()).toHaveLength(3);
  });

  it('a removed mapping is gone from get and list, and the channel can be mapped again', async () => {
    const { mappings } = temp.store;
    const first = await mappings.create({ number: A, platform: 'slack', channel: 'C1' });
    expect(await mappings.remove(first.id)).toBe(true);
    expect(await mappings.remove(first.id)).toBe(false);
    expect(await mappings.get(first.id)).toBeNull();
    expect(await mappings.list()).toEqual([]);
    const again = await mappings.create({ number: A, platform: 'slack', channel: 'C1' });
    expect(again.id).not.toBe(first.id);
    expect(await mappings.list()).toEqual([again]);
  });

  it('removing a mapping keeps the conversations and messages of its number', async () => {
    const { store } = temp;
    const m = await store.mappings.create({ number: A, platform: 'slack', channel: 'C1' });
    const { conversation } = await store.conversations.getOrCreate(A, '+14155550123');
    await store.threads.save({ conversationId: conversation.id, platform: 'slack', channel: 'C1', threadId: '1.1' });
    await store.messages.insert({
      conversationId: conversation.id, direction: 'inbound', body: 'hello', status: 'received',
      encoding: 'GSM-7', segments: 1,
    });
    await store.mappings.remove(m.id);
    expect(await store.conversations.list({ number: A })).toHaveLength(1);
    expect(await store.messages.listForConversation(conversation.id)).toHaveLength(1);
    expect(await store.threads.listForConversation(conversation.id)).toHaveLength(1);
  });

  it('unknown id: get returns null and remove returns false', async () => {
    expect(await temp.store.mappings.get('nope')).toBeNull();
    expect(await temp.store.mappings.remove('nope')).toBe(false);
  });
});
