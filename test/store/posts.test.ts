import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/core/errors.js';
import { createTempStore, type TempStore } from '../support/tempStore.js';
import { steppingClock } from './clock.js';

let temp: TempStore;
let m1: string;
let m2: string;
beforeEach(async () => {
  temp = await createTempStore({ clock: steppingClock() });
  const c = (await temp.store.conversations.getOrCreate('+12025550100', '+14155550123')).conversation;
  const add = async () =>
    (await temp.store.messages.insert({
      conversationId: c.id, direction: 'inbound', body: 'x', status: 'received', encoding: 'GSM-7', segments: 1,
    })).message.id;
  m1 = await add();
  m2 = await add();
});
afterEach(() => temp.cleanup());

describe('message posts', () => {
  it('records where a message was posted in every channel and finds the message from a chat message id', async () => {
    const slack = await temp.store.posts.save({ messageId: m1, platform: 'slack', channel: 'C1', platformMessageId: '1.1' });
    const teams = await temp.store.posts.save({ messageId: m1, platform: 'teams', channel: '19:x', platformMessageId: 'a1' });
    expect(await temp.store.posts.listForMessage(m1)).toEqual([slack, teams]);
    expect(await temp.store.posts.findByPlatformMessageId('slack', '1.1')).toEqual(slack);
    expect(await temp.store.posts.findByPlatformMessageId('teams', '1.1')).toBeNull();
  });

  it('posting the same message to the same channel again keeps the first post (retried delivery)', async () => {
    const first = await temp.store.posts.save({ messageId: m1, platform: 'slack', channel: 'C1', platformMessageId: '1.1' });
    const again = await temp.store.posts.save({ messageId: m1, platform: 'slack', channel: 'C1', platformMessageId: '1.2' });
    expect(again).toEqual(first);
    expect(await temp.store.posts.listForMessage(m1)).toHaveLength(1);
  });

  it('one chat message cannot belong to two bridge messages (ConflictError)', async () => {
    await temp.store.posts.save({ messageId: m1, platform: 'slack', channel: 'C1', platformMessageId: '1.1' });
    await expect(
      temp.store.posts.save({ messageId: m2, platform: 'slack', channel: 'C1', platformMessageId: '1.1' })
    ).rejects.toThrow(ConflictError);
  });
});
