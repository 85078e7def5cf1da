import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mediaRouter } from '../../src/media/mediaRoute.js';
import { createMediaUrlSigner } from '../../src/media/signedUrls.js';
import { createStoredMedia, storedMediaReader } from '../../src/media/storedMedia.js';
import { createTempStore, type TempStore } from '../support/tempStore.js';

describe('GET /media/:id serves stored files to signed links only', () => {
  let temp: TempStore;
  let server: Server;
  let base: string;
  let mediaId: string;
  let messageId: string;
  let signer: ReturnType<typeof createMediaUrlSigner>;

  beforeEach(async () => {
    temp = await createTempStore();
    const { store } = temp;
    const { conversation } = await store.conversations.getOrCreate('+14155550123', '+16045550142');
    const { message } = await store.messages.insert({
      conversationId: conversation.id,
      direction: 'inbound',
      body: 'picture',
      status: 'received',
      encoding: 'GSM-7',
      segments: 1,
      provider: 'twilio',
      providerMessageId: 'MM1',
    });
    messageId = message.id;
    mediaId = (await createStoredMedia(store, { messageId: message.id, contentType: 'image/png', sourceUrl: null }, Buffer.from('PNGDATA'))).id;

    const app = express();
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    signer = createMediaUrlSigner({ secret: Buffer.from('s'.repeat(32)), publicUrl: base });
    app.use(mediaRouter({ media: store.media, files: storedMediaReader({ files: store.mediaFiles, dataDir: temp.dir }), signer }));
  });

  afterEach(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await temp.cleanup();
  });

  it('serves the file from the store with its content type to a valid link', async () => {
    const res = await fetch(signer.sign(mediaId, 60));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('content-length')).toBe('7');
    expect(Buffer.from(await res.arrayBuffer()).toString()).toBe('PNGDATA');
  });

  it('still serves a file an older version kept under DATA_DIR/media (an upgrade loses no file)', async () => {
    mkdirSync(join(temp.dir, 'media'), { recursive: true });
    writeFileSync(join(temp.dir, 'media', 'legacy-id'), Buffer.from('OLDPNG'));
    const id = (await temp.store.media.create({ messageId, contentType: 'image/png', size: 6, path: 'media/legacy-id', sourceUrl: null, status: 'stored', reason: null })).id;
    const res = await fetch(signer.sign(id, 60));
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).toString()).toBe('OLDPNG');
  });

  it('answers 404 for a stored row whose bytes are nowhere (not in the store, no file)', async () => {
    const id = (await temp.store.media.create({ messageId, contentType: 'image/png', size: 6, path: 'media/gone', sourceUrl: null, status: 'stored', reason: null })).id;
    expect((await fetch(signer.sign(id, 60))).status).toBe(404);
  });

  it('a picture is shown inline; an HTML or SVG file is a download that can run no script on our origin', async () => {
    const inline = await fetch(signer.sign(mediaId, 60));
    expect(inline.headers.get('content-disposition')).toMatch(/^inline/);
    expect(inline.headers.get('content-security-policy')).toMatch(/^sandbox/);
    const { store } = temp;
    for (const type of ['text/html', 'image/svg+xml', 'application/xhtml+xml']) {
      const script = Buffer.from('<script>alert(document.cookie)</script>');
      const id = (await createStoredMedia(store, { messageId, contentType: type, sourceUrl: null }, script)).id;
      const res = await fetch(signer.sign(id, 60));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toMatch(/^attachment/);
      expect(res.headers.get('content-security-policy')).toMatch(/^sandbox/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('refuses a link without a signature', async () => {
    const res = await fetch(`${base}/media/${mediaId}`);
    expect(res.status).toBe(403);
  });

  it('refuses a tampered signature', async () => {
    const url = new URL(signer.sign(mediaId, 60));
    url.searchParams.set('sig', 'A'.repeat(43));
    expect((await fetch(url)).status).toBe(403);
  });

  it('answers 404 for a validly signed id that is not stored', async () => {
    expect((await fetch(signer.sign('no-such-media', 60))).status).toBe(404);
  });

  it('never serves a file outside DATA_DIR even with a valid link', async () => {
    writeFileSync(join(temp.dir, '..', `outside-${process.pid}`), 'secret');
    const id = (await temp.store.media.create({ messageId, contentType: 'text/plain', size: 6, path: `../outside-${process.pid}`, sourceUrl: null, status: 'stored', reason: null })).id;
    try {
      expect((await fetch(signer.sign(id, 60))).status).toBe(404);
    } finally {
      rmSync(join(temp.dir, '..', `outside-${process.pid}`), { force: true });
    }
  });

  it('does not serve media that was refused at download', async () => {
    await temp.store.media.update(mediaId, { status: 'refused', reason: 'outside provider' });
    expect((await fetch(signer.sign(mediaId, 60))).status).toBe(404);
  });
});
