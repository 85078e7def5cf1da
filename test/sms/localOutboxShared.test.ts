// The local dev provider's outbox is the store's: with two instances on one database, the dev
// phone of either lists what the other "sent", and a status posted to either moves the message.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalProvider, type LocalAdapter, type LocalOutboxEntry } from '../../adapters/sms/local/index.js';
import { requireAdmin } from '../../src/admin/auth.js';
import type { BridgeStore } from '../../src/infra/store/index.js';
import { serveRouters, type TestApp } from '../contract/support/app.js';
import { RecordingNotifier, RecordingTurnQueue } from '../contract/support/recorders.js';
import { createTempStore, type TempStore } from '../support/tempStore.js';

const TOKEN = 'admin-token-for-tests';
const OUR = '+14156901234';
const CONTACT = '+14158675309';

interface Instance {
  store: BridgeStore;
  adapter: LocalAdapter;
  app: TestApp;
}

let temp: TempStore;
let a: Instance;
let b: Instance;
const instance = async (store: BridgeStore): Promise<Instance> => {
  const adapter = createLocalProvider(
    { requireAdmin: requireAdmin(TOKEN) },
    { store, clock: { now: () => new Date() }, queue: new RecordingTurnQueue(), notifier: new RecordingNotifier() },
  );
  return { store, adapter, app: await serveRouters(adapter.router) };
};
beforeEach(async () => {
  temp = await createTempStore();
  a = await instance(temp.store);
  b = await instance(await temp.openAnother());
});
afterEach(async () => {
  await a.app.close();
  await b.app.close();
  await temp.cleanup();
});

const devOutbox = async (i: Instance): Promise<LocalOutboxEntry[]> => {
  const res = await fetch(`${i.app.url}/admin/api/dev/outbox`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as LocalOutboxEntry[];
};
/** An outbound message as the send lane leaves it before the provider call. */
const queuedMessage = async (store: BridgeStore, body: string) => {
  const { conversation } = await store.conversations.getOrCreate(OUR, CONTACT);
  return (await store.messages.insert({ conversationId: conversation.id, direction: 'outbound', body, status: 'queued', provider: 'local', encoding: 'GSM-7', segments: 1 })).message;
};

describe('the local provider outbox, shared by the instances on one store', () => {
  it("lists on B's dev phone what A sent, and B's status route moves its status", async () => {
    const m = await queuedMessage(a.store, 'sent through A');
    const sent = await a.adapter.provider.send({ messageId: m.id, from: OUR, to: CONTACT, body: 'sent through A', mediaUrls: ['https://bridge.test/media/1'] });
    await a.store.messages.setProviderMessageId(m.id, 'local', sent.providerMessageId);

    expect(await devOutbox(b)).toEqual([
      { providerMessageId: sent.providerMessageId, messageId: m.id, from: OUR, to: CONTACT, body: 'sent through A', mediaUrls: ['https://bridge.test/media/1'], at: expect.any(String) },
    ]);
    const res = await fetch(`${b.app.url}/admin/api/dev/status`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ providerMessageId: sent.providerMessageId, status: 'delivered' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ changed: true, messageId: m.id, status: 'delivered' });
    expect((await a.store.messages.get(m.id))?.status).toBe('delivered');
  });

  it('a message sent again through the other instance keeps its first entry and provider id', async () => {
    const sms = { messageId: 'm-1', from: OUR, to: CONTACT, body: 'once', mediaUrls: [] };
    const first = await a.adapter.provider.send(sms);
    const again = await b.adapter.provider.send(sms);
    expect(again.providerMessageId).toBe(first.providerMessageId);
    expect((await devOutbox(a)).map((e) => e.providerMessageId)).toEqual([first.providerMessageId]);
  });

  it('lists the entries of both instances oldest first', async () => {
    await a.adapter.provider.send({ messageId: 'm-1', from: OUR, to: CONTACT, body: 'one', mediaUrls: [] });
    await b.adapter.provider.send({ messageId: 'm-2', from: OUR, to: CONTACT, body: 'two', mediaUrls: [] });
    await a.adapter.provider.send({ messageId: 'm-3', from: OUR, to: CONTACT, body: 'three', mediaUrls: [] });
    expect((await devOutbox(b)).map((e) => e.body)).toEqual(['one', 'two', 'three']);
    expect((await devOutbox(a)).map((e) => e.body)).toEqual(['one', 'two', 'three']);
  });
});

describe('the local outbox table', () => {
  it('keeps only the latest entries when pruned, and pruning fewer than it keeps removes nothing', async () => {
    const entry = (n: number) => ({ providerMessageId: `local-${n}`, messageId: `m-${n}`, from: OUR, to: CONTACT, body: `#${n}`, mediaUrls: [], at: new Date().toISOString() });
    for (let n = 1; n <= 5; n++) await a.store.localOutbox.record(entry(n));
    expect(await a.store.localOutbox.prune(10)).toBe(0);
    expect(await a.store.localOutbox.prune(3)).toBe(2);
    expect((await b.store.localOutbox.list(10)).map((e) => e.body)).toEqual(['#3', '#4', '#5']);
    expect((await b.store.localOutbox.list(2)).map((e) => e.body)).toEqual(['#4', '#5']);
  });
});
