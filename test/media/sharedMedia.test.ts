// Media across bridge instances on one database: a file one instance downloads is served by any
// other (its own DATA_DIR, its own store connection), the signing key is the same everywhere, and
// neither depends on the process or the disk that made them.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMediaFetcher } from '../../src/media/fetcher.js';
import { ruleFromUrl } from '../../src/media/hostRules.js';
import { mediaRouter } from '../../src/media/mediaRoute.js';
import { createMediaUrlSigner, LEGACY_SECRET_FILE, loadMediaSecret, type MediaUrlSigner } from '../../src/media/signedUrls.js';
import { storedMediaReader } from '../../src/media/storedMedia.js';
import type { BridgeStore } from '../../src/infra/store/index.js';
import { MediaShelf, startFakeServer, type FakeServer } from '../contract/support/httpFake.js';
import { createTempStore, type TempStore } from '../support/tempStore.js';

/** One bridge instance's media parts, built as src/wiring.ts builds them. */
interface Instance {
  dataDir: string;
  signer: MediaUrlSigner;
  url: string;
  close(): Promise<void>;
}

async function startInstance(store: BridgeStore, dataDir: string): Promise<Instance> {
  const app = express();
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const signer = createMediaUrlSigner({ secret: await loadMediaSecret({ settings: store.settings, dataDir }), publicUrl: url });
  app.use(mediaRouter({ media: store.media, files: storedMediaReader({ files: store.mediaFiles, dataDir }), signer }));
  return { dataDir, signer, url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** The same link (id, expiry, signature) addressed to another instance. */
function onInstance(link: string, other: Instance): string {
  const u = new URL(link);
  return `${other.url}${u.pathname}${u.search}`;
}

describe('media shared by several instances on one database', () => {
  let temp: TempStore;
  let provider: FakeServer;
  const shelf = new MediaShelf();
  const dirs: string[] = [];
  const instances: Instance[] = [];
  const dataDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'smsb-instance-'));
    dirs.push(dir);
    return dir;
  };

  beforeEach(async () => {
    temp = await createTempStore();
    provider = await startFakeServer((req, res) => {
      if (!shelf.serve(req, res)) res.writeHead(404).end();
    });
  });
  afterEach(async () => {
    for (const i of instances.splice(0)) await i.close();
    await provider.close();
    await temp.cleanup();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** An inbound MMS whose one picture instance `store` downloads; returns the media id. */
  async function downloadOn(store: BridgeStore, body: Buffer): Promise<string> {
    shelf.put('/Media/ME1', { contentType: 'image/png', body });
    const { conversation } = await store.conversations.getOrCreate('+14156901234', '+14158675309');
    const { message } = await store.messages.insert({
      conversationId: conversation.id, direction: 'inbound', body: '', status: 'received', provider: 'twilio', providerMessageId: 'MM1', encoding: 'GSM-7', segments: 1,
    });
    await store.media.create({ messageId: message.id, contentType: 'image/png', size: 0, path: null, sourceUrl: `${provider.url}/Media/ME1`, status: 'pending', reason: null });
    const fetcher = createMediaFetcher({ store, sources: { twilio: { allowed: [ruleFromUrl(provider.url)] } } });
    const [item] = await fetcher.fetchPendingMedia(message.id);
    expect(item).toMatchObject({ status: 'stored', path: null });
    return item!.id;
  }

  it('a link one instance signs for a file it downloaded is served by another with a different DATA_DIR', async () => {
    const a = await startInstance(temp.store, dataDir());
    const b = await startInstance(await temp.openAnother(), dataDir());
    instances.push(a, b);
    const bytes = Buffer.from('\x89PNG picture bytes');
    const id = await downloadOn(temp.store, bytes);

    const res = await fetch(onInstance(a.signer.sign(id, 60), b));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(bytes);
    // Nothing was written to either instance's disk.
    expect(readdirSync(a.dataDir)).toEqual([]);
    expect(readdirSync(b.dataDir)).toEqual([]);
  });

  it('both instances sign with the same key: each one\'s links are valid on the other', async () => {
    const a = await startInstance(temp.store, dataDir());
    const b = await startInstance(await temp.openAnother(), dataDir());
    instances.push(a, b);
    expect(a.signer.sign('m1', 60).replace(a.url, '')).toBe(b.signer.sign('m1', 60).replace(b.url, ''));
  });

  it('the bytes survive a restart of the store', async () => {
    const id = await downloadOn(temp.store, Buffer.from('kept across restarts'));
    const dir = dataDir();
    const before = await startInstance(temp.store, dir);
    const link = before.signer.sign(id, 60);
    await before.close();

    const after = await startInstance(await temp.reopen(), dir);
    instances.push(after);
    const res = await fetch(onInstance(link, after));
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).toString()).toBe('kept across restarts');
  });

  it('after an upgrade, the old key and the old files of the instance that had them keep working', async () => {
    // What an older version left in its DATA_DIR: its key and one downloaded file.
    const old = dataDir();
    const oldKey = Buffer.alloc(32, 5);
    writeFileSync(join(old, LEGACY_SECRET_FILE), oldKey.toString('base64'));
    mkdirSync(join(old, 'media'));
    writeFileSync(join(old, 'media', 'legacy'), 'old picture');
    const { conversation } = await temp.store.conversations.getOrCreate('+14156901234', '+14158675309');
    const { message } = await temp.store.messages.insert({
      conversationId: conversation.id, direction: 'inbound', body: '', status: 'received', provider: 'twilio', providerMessageId: 'MM-old', encoding: 'GSM-7', segments: 1,
    });
    const row = await temp.store.media.create({ messageId: message.id, contentType: 'image/png', size: 11, path: 'media/legacy', sourceUrl: null, status: 'stored', reason: null });
    const handedOut = createMediaUrlSigner({ secret: oldKey, publicUrl: 'https://bridge.example.com' }).sign(row.id, 3600);

    const upgraded = await startInstance(temp.store, old);
    const second = await startInstance(await temp.openAnother(), dataDir());
    instances.push(upgraded, second);
    const res = await fetch(onInstance(handedOut, upgraded));
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).toString()).toBe('old picture');
    // The second instance took the adopted key; the file itself is only on the old disk.
    const elsewhere = await fetch(onInstance(handedOut, second));
    expect(elsewhere.status).toBe(404);
  });
});
