import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTempStore, type TempStore } from '../support/tempStore.js';

let temp: TempStore;
beforeEach(async () => {
  temp = await createTempStore();
});
afterEach(() => temp.cleanup());

describe('store.transaction', () => {
  it('commits everything done inside it', async () => {
    const { store } = temp;
    await store.transaction(async () => {
      await store.conversations.getOrCreate('+12025550100', '+14155550101');
      await store.optOuts.set('+12025550100', '+14155550101', true, 'STOP');
    });
    expect(await store.conversations.find('+12025550100', '+14155550101')).not.toBeNull();
    expect(await store.optOuts.isOptedOut('+12025550100', '+14155550101')).toBe(true);
  });

  it('rolls everything back when the function throws', async () => {
    const { store } = temp;
    await expect(
      store.transaction(async () => {
        await store.conversations.getOrCreate('+12025550100', '+14155550101');
        throw new Error('boom');
      })
    ).rejects.toThrow('boom');
    expect(await store.conversations.find('+12025550100', '+14155550101')).toBeNull();
  });

  it('returns the function result', async () => {
    expect(await temp.store.transaction(async () => 42)).toBe(42);
  });

  it('nested transactions join the outer one: an outer failure undoes the inner work too', async () => {
    const { store } = temp;
    await expect(
      store.transaction(async () => {
        await store.transaction(() => store.conversations.getOrCreate('+12025550100', '+14155550101'));
        // repository methods that use transactions themselves nest the same way
        await store.numbers.create({ e164: '+12025550100', provider: 'local', type: 'local', status: 'active', country: 'US' });
        throw new Error('outer fails');
      })
    ).rejects.toThrow('outer fails');
    expect(await store.conversations.list()).toEqual([]);
    expect(await store.numbers.list()).toEqual([]);
    expect(store.sql.inTransaction()).toBe(false);
  });

  it('an inner failure caught by the outer function undoes only the inner work (savepoint)', async () => {
    const { store } = temp;
    await store.transaction(async () => {
      await store.conversations.getOrCreate('+12025550100', '+14155550101');
      try {
        await store.transaction(async () => {
          await store.conversations.getOrCreate('+12025550100', '+14155550102');
          throw new Error('inner fails');
        });
      } catch {
        // the outer goes on
      }
    });
    expect((await store.conversations.list()).map((c) => c.contact)).toEqual(['+14155550101']);
  });

  it('commits only after the async function finished; other callers wait for it', async () => {
    const { store } = temp;
    let release!: () => void;
    const paused = new Promise<void>((r) => (release = r));
    const tx = store.transaction(async () => {
      await store.conversations.getOrCreate('+12025550100', '+14155550101');
      await paused;
      throw new Error('late failure');
    });
    // Asked while the transaction is open: answered after it ends, so the rolled-back row is never seen.
    const seen = store.conversations.list();
    release();
    await expect(tx).rejects.toThrow('late failure');
    expect(await seen).toEqual([]);
    expect(await store.conversations.list()).toEqual([]);
  });
});
