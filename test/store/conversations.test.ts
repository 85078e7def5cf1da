import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTempStore, type TempStore } from '../support/tempStore.js';
import { steppingClock } from './clock.js';

const run = promisify(execFile);
let temp: TempStore;
beforeEach(async () => {
  temp = await createTempStore({ clock: steppingClock() });
});
afterEach(() => temp.cleanup());

const N = '+12025550100';

describe('conversations', () => {
  it('(number, contact) is one conversation: the second getOrCreate finds the first', async () => {
    const first = await temp.store.conversations.getOrCreate(N, '+14155550123');
    const second = await temp.store.conversations.getOrCreate(N, '+14155550123');
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.conversation).toEqual(first.conversation);
    expect(await temp.store.conversations.list()).toHaveLength(1);
  });

  it('different contacts or numbers are different conversations', async () => {
    const { conversations } = temp.store;
    const a = (await conversations.getOrCreate(N, '+14155550123')).conversation;
    const b = (await conversations.getOrCreate(N, '+14155550124')).conversation;
    const c = (await conversations.getOrCreate('+16135550100', '+14155550123')).conversation;
    expect(new Set([a.id, b.id, c.id]).size).toBe(3);
    expect((await conversations.list({ number: N })).map((x) => x.id)).toEqual([a.id, b.id]);
    expect((await conversations.list({ contact: '+14155550123' })).map((x) => x.id)).toEqual([a.id, c.id]);
    expect(await conversations.list({ number: N, contact: '+14155550124' })).toEqual([b]);
  });

  it('keeps conversations with numbers that are not provisioned and alphanumeric senders', async () => {
    const { conversation } = await temp.store.conversations.getOrCreate('+447700900123', 'ACME');
    expect(await temp.store.conversations.find('+447700900123', 'ACME')).toEqual(conversation);
    expect(await temp.store.conversations.get(conversation.id)).toEqual(conversation);
  });

  it('find and get return null for unknown conversations', async () => {
    expect(await temp.store.conversations.find(N, '+14155550199')).toBeNull();
    expect(await temp.store.conversations.get('nope')).toBeNull();
  });

  it('two connections to the same file calling getOrCreate get the same single conversation', async () => {
    const other = await temp.openAnother();
    const a = await temp.store.conversations.getOrCreate(N, '+14155550123');
    const b = await other.conversations.getOrCreate(N, '+14155550123');
    expect(b.conversation.id).toBe(a.conversation.id);
    expect([a.created, b.created]).toEqual([true, false]);
  });

  it('processes racing getOrCreate on the same file at the same moment end with one conversation per pair', async () => {
    await temp.store.close();
    const worker = fileURLToPath(new URL('./fixtures/getOrCreateWorker.ts', import.meta.url));
    const pairs = 40;
    const racers = 3;
    const outputs = await Promise.all(
      Array.from({ length: racers }, () =>
        run(process.execPath, ['--import', 'tsx', worker, temp.path, String(racers), String(pairs), temp.databaseUrl ?? ''], {
          cwd: process.cwd(),
        }),
      ),
    );
    const results = outputs.flatMap(
      (o) => JSON.parse(o.stdout) as { contact: string; id: string; created: boolean }[],
    );
    expect(results).toHaveLength(racers * pairs);
    const store = await temp.reopen();
    expect(await store.conversations.list({ number: N })).toHaveLength(pairs);
    for (const c of await store.conversations.list({ number: N })) {
      const seen = results.filter((r) => r.contact === c.contact);
      expect(seen.map((r) => r.id)).toEqual([c.id, c.id, c.id]);
      expect(seen.filter((r) => r.created)).toHaveLength(1);
    }
  });
});

describe('threads', () => {
  it('saves one thread per (conversation, platform, channel) and keeps the first one', async () => {
    const { store } = temp;
    const { conversation } = await store.conversations.getOrCreate(N, '+14155550123');
    const first = await store.threads.save({ conversationId: conversation.id, platform: 'slack', channel: 'C1', threadId: '1.1' });
    const second = await store.threads.save({ conversationId: conversation.id, platform: 'slack', channel: 'C1', threadId: '2.2' });
    expect(second).toEqual(first);
    expect((await store.threads.get(conversation.id, 'slack', 'C1'))?.threadId).toBe('1.1');
  });

  it('a conversation has a thread in each mapped channel, found again from a reply in the thread', async () => {
    const { store } = temp;
    const { conversation } = await store.conversations.getOrCreate(N, '+14155550123');
    await store.threads.save({ conversationId: conversation.id, platform: 'slack', channel: 'C1', threadId: '1.1' });
    await store.threads.save({ conversationId: conversation.id, platform: 'teams', channel: '19:x', threadId: 'act1' });
    await store.threads.save({ conversationId: conversation.id, platform: 'slack', channel: 'C2', threadId: '1.1' });
    expect((await store.threads.listForConversation(conversation.id)).map((t) => `${t.platform}/${t.channel}`)).toEqual([
      'slack/C1', 'teams/19:x', 'slack/C2',
    ]);
    expect(await store.threads.findByThread('slack', 'C2', '1.1')).toMatchObject({ conversationId: conversation.id, channel: 'C2' });
    expect(await store.threads.findByThread('slack', 'C1', '9.9')).toBeNull();
    expect(await store.threads.get(conversation.id, 'teams', 'other')).toBeNull();
  });

  it('refuses a thread for a conversation that does not exist (foreign key)', async () => {
    await expect(
      temp.store.threads.save({ conversationId: 'missing', platform: 'slack', channel: 'C1', threadId: '1' })
    ).rejects.toThrow(/foreign key/i);
  });
});
