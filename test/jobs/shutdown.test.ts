// Issue 4, behaviour 9: on stop (SIGTERM) the send worker takes no new jobs and lets the send in
// progress finish and be recorded; what was not started waits in Redis for the next worker.
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from './support/harness.js';

const LOCAL = '+14152345678';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('shutdown', () => {
  it('stop() finishes the active send, records it, and leaves queued messages for the next worker', async () => {
    h = await createHarness({ worker: false, concurrency: 1 });
    await h.addNumber(LOCAL);
    h.fake.setScript(() => 'hold');
    const first = await h.send(LOCAL, '+12123456781', 'in flight');
    const second = await h.send(LOCAL, '+12123456782', 'not started');
    if (!first.ok || !second.ok) throw new Error('refused');
    const worker = await h.startWorker();
    await h.fake.waitForRequests(1);
    const stopping = worker.stop();
    await new Promise((r) => setTimeout(r, 100));
    h.fake.releaseHeld();
    await stopping;
    expect((await h.message(first.message.id)).status).toBe('sent');
    expect((await h.message(second.message.id)).status).toBe('queued');
    expect(h.fake.requests).toHaveLength(1);

    h.fake.setScript(() => 'ok');
    await h.startWorker();
    await h.waitFor(async () => (await h!.message(second.message.id)).status === 'sent', 'second sent by the next worker');
    expect(h.fake.requests).toHaveLength(2);
  });
});
