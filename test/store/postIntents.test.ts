// Chat post intents (schema 012): recorded before a platform call, ended once the post is
// recorded; an attempt that finds one knows an earlier attempt may have posted, and since when.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PostIntentKey } from '../../src/core/ports.js';
import { createTempStore, type TempStore } from '../support/tempStore.js';
import { steppingClock } from './clock.js';

let temp: TempStore;
beforeEach(async () => {
  temp = await createTempStore({ clock: steppingClock() });
});
afterEach(() => temp.cleanup());

const key: PostIntentKey = { kind: 'message', subjectId: 'm1', platform: 'slack', channel: 'C1' };

describe('chat post intents', () => {
  it('the first attempt starts it; a later attempt sees it with the first attempt\'s time', async () => {
    const first = await temp.store.postIntents.begin(key);
    expect(first.earlier).toBe(false);
    const again = await temp.store.postIntents.begin(key);
    expect(again).toEqual({ startedAt: first.startedAt, earlier: true });
  });

  it('an ended intent is gone: the next attempt is a fresh start', async () => {
    const first = await temp.store.postIntents.begin(key);
    await temp.store.postIntents.end(key);
    const next = await temp.store.postIntents.begin(key);
    expect(next.earlier).toBe(false);
    expect(next.startedAt > first.startedAt).toBe(true);
  });

  it('each kind, subject, platform and channel has its own intent', async () => {
    await temp.store.postIntents.begin(key);
    for (const other of [
      { ...key, kind: 'thread_root' as const },
      { ...key, subjectId: 'm2' },
      { ...key, platform: 'teams' },
      { ...key, channel: 'C2' },
    ]) {
      expect((await temp.store.postIntents.begin(other)).earlier).toBe(false);
    }
  });

  it('survives a restart (it is on disk before the platform call)', async () => {
    const first = await temp.store.postIntents.begin(key);
    await temp.reopen();
    expect(await temp.store.postIntents.begin(key)).toEqual({ startedAt: first.startedAt, earlier: true });
  });
});
