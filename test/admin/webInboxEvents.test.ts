// Live updates of the web inbox (Server-Sent Events) across instances: two bridges share Redis
// (same QUEUE_PREFIX) and the database; a console connected to the second one sees a text the
// first one received, and the status of a reply sent from the first. Closing the stream releases
// its subscription. Real HTTP, real Redis pub/sub, SQLite shared by both instances.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { dropTestDatabase } from '../support/testDatabase.js';
import { ADMIN_TOKEN, tempDataDir } from '../http/helpers.js';
import { REDIS_URL, uniquePrefix, withRedis } from '../support/redis.js';
import { waitUntil } from '../support/wait.js';
import { inboxEventsChannel } from '../../src/infra/events/redisInboxEvents.js';
import { addLocalNumber, contactTexts, startInboxBridge, storeEnv, type InboxBridge } from './webInboxHarness.js';

let bridges: InboxBridge[] = [];
afterAll(() => dropTestDatabase());
afterEach(async () => {
  for (const b of bridges.reverse()) await b.cleanup();
  bridges = [];
});

interface SseEvent {
  event: string;
  data: { conversationId: string; message: { id: string; direction: string; body: string; status: string; notices: string[] } };
}

/** Opens the event stream and collects what arrives (events and keep-alive comments). */
async function listen(b: InboxBridge): Promise<{ events: SseEvent[]; comments: string[]; close(): void; status: number; type: string | null }> {
  const abort = new AbortController();
  const res = await fetch(`${b.url}/admin/api/events`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: abort.signal });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (data) events.push({ event, data: JSON.parse(data) as SseEvent['data'] });
        }
      }
    } catch {
      // aborted
    }
  })();
  return { events, comments, close: () => abort.abort(), status: res.status, type: res.headers.get('content-type') };
}

describe('web inbox live updates', () => {
  it('a console on one instance sees a text another instance received, and the status of a reply; closing the stream releases it', async () => {
    const dataDir = tempDataDir();
    const QUEUE_PREFIX = uniquePrefix();
    const env = { QUEUE_PREFIX, ...(await storeEnv()) };
    const a = await startInboxBridge({ dataDir, keepDataDir: true, env });
    bridges.push(a);
    const b = await startInboxBridge({ dataDir, env });
    bridges.push(b);
    await addLocalNumber(a);

    const stream = await listen(b);
    expect(stream.status).toBe(200);
    expect(stream.type).toMatch(/^text\/event-stream/);
    const { conversationId, messageId } = await contactTexts(a, 'Are you open on Sunday?');
    await waitUntil(() => stream.events.some((e) => e.event === 'message' && e.data.message.id === messageId), 'the text on the other instance');
    expect(stream.events.find((e) => e.data.message.id === messageId)!.data).toMatchObject({
      conversationId,
      message: { direction: 'inbound', body: 'Are you open on Sunday?', notices: [] },
    });

    const reply = await a.call('POST', `/admin/api/conversations/${conversationId}/messages`, { body: { text: 'Yes, 10 to 4.' } });
    expect(reply.status).toBe(202);
    const replyId = ((await reply.json()) as { message: { id: string } }).message.id;
    await waitUntil(() => stream.events.some((e) => e.event === 'status' && e.data.message.id === replyId && e.data.message.status === 'sent'), 'the reply sent, live');
    await waitUntil(() => stream.events.some((e) => e.event === 'message' && e.data.message.id === replyId), 'the reply itself, live');
    await waitUntil(() => stream.comments.includes('keep-alive'), 'a keep-alive comment');

    const subscribers = async () =>
      withRedis(async (r) => Number(((await r.pubsub('NUMSUB', inboxEventsChannel(QUEUE_PREFIX))) as [string, number])[1]), REDIS_URL);
    expect(await subscribers()).toBe(1); // one connection for the instance, whatever its streams
    stream.close();
    await waitUntil(async () => (await subscribers()) === 0, 'the subscription released');

    // A stream still open at shutdown is ended, so the instance stops (it would wait forever).
    await listen(b);
    const started = Date.now();
    await b.stop();
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
