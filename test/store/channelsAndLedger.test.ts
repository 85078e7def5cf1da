import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTempStore, type TempStore } from '../support/tempStore.js';
import { steppingClock } from './clock.js';

let temp: TempStore;
beforeEach(() => {
  temp = createTempStore({ clock: steppingClock() });
});
afterEach(() => temp.cleanup());

function newMessageId(): string {
  const c = temp.store.conversations.getOrCreate('+12025550100', '+14155550123').conversation;
  return temp.store.messages.insert({
    conversationId: c.id, direction: 'outbound', body: 'x', status: 'queued', encoding: 'GSM-7', segments: 1,
  }).message.id;
}

describe('send ledger', () => {
  it('records a provider call before it starts and its result after', () => {
    const id = newMessageId();
    const { entry, previous } = temp.store.sendLedger.begin(id, 'twilio');
    expect(previous).toBeNull();
    expect(entry).toMatchObject({ messageId: id, attempts: 1, state: 'calling', provider: 'twilio', finishedAt: null });
    const done = temp.store.sendLedger.finish(id, 'SM1');
    expect(done).toMatchObject({ state: 'done', providerMessageId: 'SM1', attempts: 1 });
    expect(done!.finishedAt).not.toBeNull();
    expect(temp.store.sendLedger.get(id)).toEqual(done);
  });

  it('a call interrupted by a crash shows up as "calling" in the next attempt', () => {
    const id = newMessageId();
    temp.store.sendLedger.begin(id, 'twilio');
    const store = temp.reopen();
    const { entry, previous } = store.sendLedger.begin(id, 'twilio');
    expect(previous?.state).toBe('calling');
    expect(entry).toMatchObject({ attempts: 2, state: 'calling' });
  });

  it('a message already sent is never begun again', () => {
    const id = newMessageId();
    temp.store.sendLedger.begin(id, 'twilio');
    const done = temp.store.sendLedger.finish(id, 'SM1');
    const again = temp.store.sendLedger.begin(id, 'twilio');
    expect(again.previous).toEqual(done);
    expect(again.entry).toEqual(done);
    expect(temp.store.sendLedger.fail(id)?.state).toBe('done');
  });

  it('a failed call may be tried again', () => {
    const id = newMessageId();
    temp.store.sendLedger.begin(id, 'twilio');
    expect(temp.store.sendLedger.fail(id)?.state).toBe('failed');
    const retry = temp.store.sendLedger.begin(id, 'twilio');
    expect(retry.previous?.state).toBe('failed');
    expect(retry.entry).toMatchObject({ state: 'calling', attempts: 2, finishedAt: null });
  });

  it('unknown messages: get, finish and fail return null; begin refuses an unknown message id', () => {
    expect(temp.store.sendLedger.get('nope')).toBeNull();
    expect(temp.store.sendLedger.finish('nope', 'SM')).toBeNull();
    expect(temp.store.sendLedger.fail('nope')).toBeNull();
    expect(() => temp.store.sendLedger.begin('nope', 'twilio')).toThrow(/FOREIGN KEY/);
  });
});

describe('chat channels', () => {
  const reference = { serviceUrl: 'http://127.0.0.1:1/', conversation: { id: '19:x@thread.tacv2' }, tenantId: 't1' };

  it('stores a channel with its conversation reference and lists it', () => {
    const ch = temp.store.chatChannels.upsert({ platform: 'teams', channel: '19:x@thread.tacv2', name: 'Support', reference });
    expect(ch).toMatchObject({ platform: 'teams', name: 'Support', reference, removedAt: null });
    expect(temp.store.chatChannels.get('teams', '19:x@thread.tacv2')).toEqual(ch);
    expect(temp.store.chatChannels.list({ platform: 'teams' })).toEqual([ch]);
    expect(temp.store.chatChannels.list({ platform: 'slack' })).toEqual([]);
  });

  it('an upsert without name or reference keeps the stored ones', () => {
    temp.store.chatChannels.upsert({ platform: 'teams', channel: '19:x', name: 'Support', reference });
    const again = temp.store.chatChannels.upsert({ platform: 'teams', channel: '19:x' });
    expect(again).toMatchObject({ name: 'Support', reference });
    expect(temp.store.chatChannels.upsert({ platform: 'teams', channel: '19:x', name: 'Renamed' }).name).toBe('Renamed');
  });

  it('a removed channel leaves the list but stays readable, and a re-install brings it back', () => {
    const { chatChannels } = temp.store;
    const first = chatChannels.upsert({ platform: 'teams', channel: '19:x', reference });
    expect(chatChannels.markRemoved('teams', '19:x')).toBe(true);
    expect(chatChannels.markRemoved('teams', '19:x')).toBe(false);
    expect(chatChannels.list()).toEqual([]);
    expect(chatChannels.list({ includeRemoved: true })).toHaveLength(1);
    expect(chatChannels.get('teams', '19:x')?.removedAt).not.toBeNull();
    const back = chatChannels.upsert({ platform: 'teams', channel: '19:x' });
    expect(back.removedAt).toBeNull();
    expect(back.installedAt > first.installedAt).toBe(true);
    expect(back.reference).toEqual(reference);
  });
});
