import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTempStore, type TempStore } from '../support/tempStore.js';
import { steppingClock } from './clock.js';

let temp: TempStore;
beforeEach(async () => {
  temp = await createTempStore({ clock: steppingClock() });
});
afterEach(() => temp.cleanup());

async function newMessageId(): Promise<string> {
  const c = (await temp.store.conversations.getOrCreate('+12025550100', '+14155550123')).conversation;
  return (await temp.store.messages.insert({
    conversationId: c.id, direction: 'outbound', body: 'x', status: 'queued', encoding: 'GSM-7', segments: 1,
  })).message.id;
}

describe('send ledger', () => {
  it('records a provider call before it starts and its result after', async () => {
    const id = await newMessageId();
    const { entry, previous } = await temp.store.sendLedger.begin(id, 'twilio');
    expect(previous).toBeNull();
    expect(entry).toMatchObject({ messageId: id, attempts: 1, state: 'calling', provider: 'twilio', finishedAt: null });
    const done = await temp.store.sendLedger.finish(id, 'SM1');
    expect(done).toMatchObject({ state: 'done', providerMessageId: 'SM1', attempts: 1 });
    expect(done!.finishedAt).not.toBeNull();
    expect(await temp.store.sendLedger.get(id)).toEqual(done);
  });

  it('a call interrupted by a crash shows up as "calling" in the next attempt', async () => {
    const id = await newMessageId();
    await temp.store.sendLedger.begin(id, 'twilio');
    const store = await temp.reopen();
    const { entry, previous } = await store.sendLedger.begin(id, 'twilio');
    expect(previous?.state).toBe('calling');
    expect(entry).toMatchObject({ attempts: 2, state: 'calling' });
  });

  it('a message already sent is never begun again', async () => {
    const id = await newMessageId();
    await temp.store.sendLedger.begin(id, 'twilio');
    const done = await temp.store.sendLedger.finish(id, 'SM1');
    const again = await temp.store.sendLedger.begin(id, 'twilio');
    expect(again.previous).toEqual(done);
    expect(again.entry).toEqual(done);
    expect((await temp.store.sendLedger.fail(id))?.state).toBe('done');
  });

  it('a failed call may be tried again', async () => {
    const id = await newMessageId();
    await temp.store.sendLedger.begin(id, 'twilio');
    expect((await temp.store.sendLedger.fail(id))?.state).toBe('failed');
    const retry = await temp.store.sendLedger.begin(id, 'twilio');
    expect(retry.previous?.state).toBe('failed');
    expect(retry.entry).toMatchObject({ state: 'calling', attempts: 2, finishedAt: null });
  });

  it('unknown messages: get, finish and fail return null; begin refuses an unknown message id', async () => {
    expect(await temp.store.sendLedger.get('nope')).toBeNull();
    expect(await temp.store.sendLedger.finish('nope', 'SM')).toBeNull();
    expect(await temp.store.sendLedger.fail('nope')).toBeNull();
    await expect(temp.store.sendLedger.begin('nope', 'twilio')).rejects.toThrow(/foreign key/i);
  });
});

describe('chat channels', () => {
  const reference = { serviceUrl: 'http://127.0.0.1:1/', conversation: { id: '19:x@thread.tacv2' }, tenantId: 't1' };

  it('stores a channel with its conversation reference and lists it', async () => {
    const ch = await temp.store.chatChannels.upsert({ platform: 'teams', channel: '19:x@thread.tacv2', name: 'Support', reference });
    expect(ch).toMatchObject({ platform: 'teams', name: 'Support', reference, removedAt: null });
    expect(await temp.store.chatChannels.get('teams', '19:x@thread.tacv2')).toEqual(ch);
    expect(await temp.store.chatChannels.list({ platform: 'teams' })).toEqual([ch]);
    expect(await temp.store.chatChannels.list({ platform: 'slack' })).toEqual([]);
  });

  it('an upsert without name or reference keeps the stored ones', async () => {
    await temp.store.chatChannels.upsert({ platform: 'teams', channel: '19:x', name: 'Support', reference });
    const again = await temp.store.chatChannels.upsert({ platform: 'teams', channel: '19:x' });
    expect(again).toMatchObject({ name: 'Support', reference });
    expect((await temp.store.chatChannels.upsert({ platform: 'teams', channel: '19:x', name: 'Renamed' })).name).toBe('Renamed');
  });

  it('a removed channel leaves the list but stays readable, and a re-install brings it back', async () => {
    const { chatChannels } = temp.store;
    const first = await chatChannels.upsert({ platform: 'teams', channel: '19:x', reference });
    expect(await chatChannels.markRemoved('teams', '19:x')).toBe(true);
    expect(await chatChannels.markRemoved('teams', '19:x')).toBe(false);
    expect(await chatChannels.list()).toEqual([]);
    expect(await chatChannels.list({ includeRemoved: true })).toHaveLength(1);
    expect((await chatChannels.get('teams', '19:x'))?.removedAt).not.toBeNull();
    const back = await chatChannels.upsert({ platform: 'teams', channel: '19:x' });
    expect(back.removedAt).toBeNull();
    expect(back.installedAt > first.installedAt).toBe(true);
    expect(back.reference).toEqual(reference);
  });
});
