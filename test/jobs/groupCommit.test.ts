// Group commit (src/app/groupCommit.ts): writes queued in one event-loop turn share a transaction,
// yet a failing write is undone alone and fails only its own caller.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGroupCommit } from '../../src/app/groupCommit.js';
import { createTempStore, type TempStore } from '../support/tempStore.js';

let temp: TempStore;
beforeEach(async () => {
  temp = await createTempStore();
});
afterEach(async () => temp.cleanup());

const addNumber = (e164: string) => async () =>
  await temp.store.numbers.create({ e164, provider: 'twilio', type: 'local', status: 'active', country: 'US' });

describe('group commit', () => {
  it('commits the writes of one turn together and hands each caller its own result', async () => {
    const commit = createGroupCommit(temp.store);
    const results = await Promise.all([commit.run(addNumber('+12025550101')), commit.run(addNumber('+12025550102'))]);
    expect(results.map((n) => n.e164)).toEqual(['+12025550101', '+12025550102']);
    expect((await temp.store.numbers.list()).map((n) => n.e164)).toEqual(['+12025550101', '+12025550102']);
  });

  it('a failing write is undone alone (its partial work too) and rejects only its caller', async () => {
    const commit = createGroupCommit(temp.store);
    const failing = commit.run(async () => {
      await addNumber('+12025550103')();
      throw new Error('boom');
    });
    const ok = [commit.run(addNumber('+12025550101')), commit.run(addNumber('+12025550102'))];
    await expect(failing).rejects.toThrow('boom');
    await Promise.all(ok);
    expect((await temp.store.numbers.list()).map((n) => n.e164)).toEqual(['+12025550101', '+12025550102']);
  });

  it('a failing write alone in its turn is rejected and leaves nothing behind', async () => {
    const commit = createGroupCommit(temp.store);
    await expect(
      commit.run(async () => {
        await addNumber('+12025550104')();
        throw new Error('alone');
      }),
    ).rejects.toThrow('alone');
    expect(await temp.store.numbers.list()).toEqual([]);
  });
});
