import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/core/errors.js';
import { createTempStore, type TempStore } from '../support/tempStore.js';
import { steppingClock } from './clock.js';

let temp: TempStore;
beforeEach(async () => {
  temp = await createTempStore({ clock: steppingClock() });
});
afterEach(() => temp.cleanup());

const local = { e164: '+12025550100', provider: 'twilio', type: 'local', status: 'active', country: 'US' } as const;

describe('numbers', () => {
  it('stores a provisioned number and lists it', async () => {
    const n = await temp.store.numbers.create(local);
    expect(n).toMatchObject({ ...local, segmentsPerSecond: null });
    expect(n.createdAt).toBe(n.updatedAt);
    expect(await temp.store.numbers.get(local.e164)).toEqual(n);
    expect(await temp.store.numbers.list()).toEqual([n]);
  });

  it('lists numbers in E.164 order', async () => {
    await temp.store.numbers.create({ ...local, e164: '+16135550100', country: 'CA' });
    await temp.store.numbers.create(local);
    expect((await temp.store.numbers.list()).map((n) => n.e164)).toEqual(['+12025550100', '+16135550100']);
  });

  it('refuses a number that is already provisioned with ConflictError', async () => {
    await temp.store.numbers.create(local);
    await expect( temp.store.numbers.create({ ...local, provider: '8x8' })).rejects.toThrow(ConflictError);
    expect((await temp.store.numbers.get(local.e164))?.provider).toBe('twilio');
  });

  it('updates only the fields given and bumps updatedAt', async () => {
    const created = await temp.store.numbers.create({ ...local, segmentsPerSecond: 5 });
    const updated = await temp.store.numbers.update(local.e164, { status: 'porting' });
    expect(updated).toMatchObject({ status: 'porting', provider: 'twilio', type: 'local', segmentsPerSecond: 5 });
    expect(updated!.updatedAt > created.updatedAt).toBe(true);
    expect((await temp.store.numbers.update(local.e164, { segmentsPerSecond: null }))?.segmentsPerSecond).toBeNull();
  });

  it('updating an unknown number returns null', async () => {
    expect(await temp.store.numbers.update('+19995550100', { status: 'active' })).toBeNull();
  });

  it('removing a number takes it out of get and list; removing twice says false', async () => {
    await temp.store.numbers.create(local);
    expect(await temp.store.numbers.remove(local.e164)).toBe(true);
    expect(await temp.store.numbers.get(local.e164)).toBeNull();
    expect(await temp.store.numbers.list()).toEqual([]);
    expect(await temp.store.numbers.remove(local.e164)).toBe(false);
    expect(await temp.store.numbers.update(local.e164, { status: 'porting' })).toBeNull();
  });

  it('a removed number keeps its conversations and messages', async () => {
    const { store } = temp;
    await store.numbers.create(local);
    const { conversation } = await store.conversations.getOrCreate(local.e164, '+14155550123');
    const { message } = await store.messages.insert({
      conversationId: conversation.id,
      direction: 'inbound',
      body: 'still here',
      status: 'received',
      encoding: 'GSM-7',
      segments: 1,
    });
    await store.numbers.remove(local.e164);
    expect(await store.conversations.get(conversation.id)).toEqual(conversation);
    expect((await store.messages.get(message.id))?.body).toBe('still here');
    expect(await store.messages.search({ number: local.e164 })).toHaveLength(1);
  });

  it('removing a number also removes its channel mappings', async () => {
    const { store } = temp;
    await store.numbers.create(local);
    await store.mappings.create({ number: local.e164, platform: 'slack', channel: 'C1' });
    await store.mappings.create({ number: '+16135550100', platform: 'slack', channel: 'C1' });
    await store.numbers.remove(local.e164);
    expect((await store.mappings.list()).map((m) => m.number)).toEqual(['+16135550100']);
  });

  it('creating a removed number again brings it back with the new settings', async () => {
    const { store } = temp;
    await store.numbers.create(local);
    await store.numbers.remove(local.e164);
    const revived = await store.numbers.create({ ...local, provider: '8x8', status: 'porting' });
    expect(revived).toMatchObject({ e164: local.e164, provider: '8x8', status: 'porting' });
    expect(await store.numbers.list()).toHaveLength(1);
  });

  it('rejects a type or status outside the schema', async () => {
    await expect(temp.store.numbers.create({ ...local, type: 'mobile' as never })).rejects.toThrow(/check/i);
  });
});
