// Media handling in the send worker: files go out as the signed links the media part makes, and a
// message with files never goes out without them.
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from './support/harness.js';

const LOCAL = '+14152345678';
let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('media in the send worker', () => {
  async function messageWithFile(x: Harness): Promise<string> {
    const r = await x.send(LOCAL, '+12123456789', 'see picture');
    if (!r.ok) throw new Error('refused');
    await x.temp.store.media.create({ messageId: r.message.id, contentType: 'image/png', size: 1000, path: 'media/m1', sourceUrl: null, status: 'stored', reason: null });
    return r.message.id;
  }

  it('a message with a file is sent with its signed link', async () => {
    h = await createHarness({ worker: false });
    await h.addNumber(LOCAL);
    const id = await messageWithFile(h);
    h.deps.mediaUrls = (m) => m.media.map((f) => `https://bridge.example/media/${f.id}?sig=x`);
    await h.startWorker();
    await h.waitFor(async () => (await h!.message(id)).status === 'sent', 'sent');
    expect(h.fake.sent[0]!.mediaUrls).toHaveLength(1);
    expect(h.fake.sent[0]!.mediaUrls[0]).toMatch(/^https:\/\/bridge\.example\/media\//);
  });

  it('without media links configured the message fails with the reason instead of going out without its file', async () => {
    h = await createHarness({ worker: false });
    await h.addNumber(LOCAL);
    const id = await messageWithFile(h);
    await h.startWorker();
    await h.waitFor(async () => (await h!.message(id)).status === 'failed', 'failed');
    expect((await h.message(id)).errorCode).toBe('media_unavailable');
    expect(h.fake.requests).toHaveLength(0);
  });
});
