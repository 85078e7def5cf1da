// The chat inbox: raw chat events stored before the platform gets its answer, open until handled.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTempStore, type TempStore } from '../support/tempStore.js';
import { steppingClock } from './clock.js';

let temp: TempStore;
beforeEach(async () => {
  temp = await createTempStore({ clock: steppingClock() });
});
afterEach(() => temp.cleanup());

describe('chat inbox', () => {
  it('keeps the first copy of an event id per platform; a retry is recognised', async () => {
    const { chatInbox } = temp.store;
    expect(await chatInbox.accept('slack', 'Ev1', '{"a":1}')).toBe(true);
    expect(await chatInbox.accept('slack', 'Ev1', '{"a":2}')).toBe(false);
    expect(await chatInbox.accept('teams', 'Ev1', '{"b":1}')).toBe(true);
    expect((await chatInbox.listOpen('slack')).map((e) => [e.eventId, e.payload])).toEqual([['Ev1', '{"a":1}']]);
  });

  it('lists the events never handled, oldest first, until each is marked done', async () => {
    const { chatInbox } = temp.store;
    for (const id of ['Ev1', 'Ev2', 'Ev3']) await chatInbox.accept('slack', id, `{"id":"${id}"}`);
    await chatInbox.markDone('slack', 'Ev2');
    expect((await chatInbox.listOpen('slack')).map((e) => e.eventId)).toEqual(['Ev1', 'Ev3']);
    await chatInbox.markDone('slack', 'Ev1');
    await chatInbox.markDone('slack', 'Ev3');
    expect(await chatInbox.listOpen('slack')).toEqual([]);
  });

  it('lists only events received before a given time, and counts replays', async () => {
    const { chatInbox } = temp.store;
    await chatInbox.accept('slack', 'EvA', '{}');
    const cut = (await chatInbox.listOpen('slack'))[0]!.receivedAt;
    await chatInbox.accept('slack', 'EvB', '{}'); // the stepping clock: received later
    expect((await chatInbox.listOpen('slack', { receivedBefore: cut })).map((e) => e.eventId)).toEqual(['EvA']);
    await chatInbox.countAttempt('slack', 'EvA');
    await chatInbox.countAttempt('slack', 'EvA');
    expect((await chatInbox.listOpen('slack')).map((e) => [e.eventId, e.attempts])).toEqual([['EvA', 2], ['EvB', 0]]);
  });

  it('forgets handled events after a while, never open ones', async () => {
    const { chatInbox } = temp.store;
    await chatInbox.accept('slack', 'EvOld', '{}');
    await chatInbox.accept('slack', 'EvOpen', '{}');
    await chatInbox.markDone('slack', 'EvOld');
    expect(await chatInbox.pruneDone('9999-01-01T00:00:00.000Z')).toBe(1);
    expect((await chatInbox.listOpen('slack')).map((e) => e.eventId)).toEqual(['EvOpen']);
    expect(await chatInbox.accept('slack', 'EvOld', '{}')).toBe(true); // forgotten: a new copy is kept
  });
});

describe('chat inbox owners (several instances on one store)', () => {
  it('records who accepted an event; a claim moves it only from the owner read, once', async () => {
    const { chatInbox } = temp.store;
    await chatInbox.accept('slack', 'Ev1', '{}', 'a~1');
    expect((await chatInbox.listOpen('slack'))[0]?.owner).toBe('a~1');
    expect(await chatInbox.claim('slack', 'Ev1', 'x~9', 'b~1')).toBe(false); // not its owner any more (or never)
    expect(await chatInbox.claim('slack', 'Ev1', 'a~1', 'b~1')).toBe(true);
    expect(await chatInbox.claim('slack', 'Ev1', 'a~1', 'c~1')).toBe(false); // B got there first
    expect((await chatInbox.listOpen('slack'))[0]?.owner).toBe('b~1');
  });

  it('claims an event stored without an owner, and never a done one', async () => {
    const { chatInbox } = temp.store;
    await chatInbox.accept('slack', 'EvOld', '{}');
    await chatInbox.accept('slack', 'EvDone', '{}', 'a~1');
    await chatInbox.markDone('slack', 'EvDone');
    expect(await chatInbox.claim('slack', 'EvDone', 'a~1', 'b~1')).toBe(false);
    expect(await chatInbox.claim('slack', 'EvOld', null, 'b~1')).toBe(true);
    expect(await chatInbox.claim('slack', 'EvOld', null, 'c~1')).toBe(false);
  });

  it('of concurrent claims from two connections, exactly one wins each event', async () => {
    const other = await temp.openAnother();
    const ids = Array.from({ length: 20 }, (_, i) => `Ev${i}`);
    for (const id of ids) await temp.store.chatInbox.accept('slack', id, '{}', 'dead~1');
    const wins = await Promise.all(
      ids.flatMap((id) => [temp.store.chatInbox.claim('slack', id, 'dead~1', 'b~1'), other.chatInbox.claim('slack', id, 'dead~1', 'c~1')]),
    );
    for (let i = 0; i < ids.length; i++) expect(Number(wins[2 * i]) + Number(wins[2 * i + 1])).toBe(1);
  });
});
