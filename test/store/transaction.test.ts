import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTempStore, type TempStore } from '../support/tempStore.js';

let temp: TempStore;
beforeEach(() => {
  temp = createTempStore();
});
afterEach(() => temp.cleanup());

describe('store.transaction', () => {
  it('commits everything done inside it', () => {
    const { store } = temp;
    store.transaction(() => {
      store.conversations.getOrCreate('+12025550100', '+14155550101');
      store.optOuts.set('+12025550100', '+14155550101', true, 'STOP');
    });
    expect(store.conversations.find('+12025550100', '+14155550101')).not.toBeNull();
    expect(store.optOuts.isOptedOut('+12025550100', '+14155550101')).toBe(true);
  });

  it('rolls everything back when the function throws', () => {
    const { store } = temp;
    expect(() =>
      store.transaction(() => {
        store.conversations.getOrCreate('+12025550100', '+14155550101');
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(store.conversations.find('+12025550100', '+14155550101')).toBeNull();
  });

  it('returns the function result', () => {
    expect(temp.store.transaction(() => 42)).toBe(42);
  });

  it('nested transactions join the outer one: an outer failure undoes the inner work too', () => {
    const { store } = temp;
    expect(() =>
      store.transaction(() => {
        store.transaction(() => store.conversations.getOrCreate('+12025550100', '+14155550101'));
        // repository methods that use transactions themselves nest the same way
        store.numbers.create({ e164: '+12025550100', provider: 'local', type: 'local', status: 'active', country: 'US' });
        throw new Error('outer fails');
      }),
    ).toThrow('outer fails');
    expect(store.conversations.list()).toEqual([]);
    expect(store.numbers.list()).toEqual([]);
    expect(store.db.inTransaction).toBe(false);
  });

  it('an inner failure caught by the outer function undoes only the inner work (savepoint)', () => {
    const { store } = temp;
    store.transaction(() => {
      store.conversations.getOrCreate('+12025550100', '+14155550101');
      try {
        store.transaction(() => {
          store.conversations.getOrCreate('+12025550100', '+14155550102');
          throw new Error('inner fails');
        });
      } catch {
        // the outer goes on
      }
    });
    expect(store.conversations.list().map((c) => c.contact)).toEqual(['+14155550101']);
  });

  it('refuses an async function instead of committing before it finished', () => {
    const { store } = temp;
    expect(() =>
      store.transaction(async () => {
        store.conversations.getOrCreate('+12025550100', '+14155550101');
      }),
    ).toThrow(/promise/);
    expect(store.conversations.list()).toEqual([]);
  });
});
