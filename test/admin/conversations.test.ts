import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { json, startTestBridge } from '../http/helpers.js';
import type { TestBridge } from '../http/helpers.js';

let bridge: TestBridge;
beforeEach(async () => {
  bridge = await startTestBridge();
});
afterEach(async () => {
  await bridge.cleanup();
});

const OURS = '+14155552671';
const CONTACT = '+16465553890';

/** Seeds a conversation with an inbound and an outbound message and a Slack thread. */
function seed() {
  const { store } = bridge.ctx;
  const { conversation } = store.conversations.getOrCreate(OURS, CONTACT);
  store.messages.insert({ conversationId: conversation.id, direction: 'inbound', body: 'hello', status: 'received', provider: 'twilio', providerMessageId: 'SM1', encoding: 'GSM-7', segments: 1 });
  store.messages.insert({
    conversationId: conversation.id,
    direction: 'outbound',
    body: 'hi back',
    status: 'queued',
    author: { platform: 'slack', userId: 'U1', name: 'Ann' },
    platformMessageId: 'slack:C1:1.1',
    encoding: 'GSM-7',
    segments: 1,
  });
  store.threads.save({ conversationId: conversation.id, platform: 'slack', channel: 'C1', threadId: '1700000000.000100' });
  return conversation;
}

describe('admin API: conversations and history', () => {
  it('lists conversations filtered by number and contact typed in any format, with their threads', async () => {
    const c = seed();
    bridge.ctx.store.conversations.getOrCreate(OURS, '+16045552671');
    const all = await json<unknown[]>(bridge.call('GET', '/admin/api/conversations'));
    expect(all.body).toHaveLength(2);
    const q = `?number=${encodeURIComponent('(415) 555-2671')}&contact=${encodeURIComponent('646.555.3890')}`;
    const res = await json<{ id: string; number: string; contact: string; threads: unknown[] }[]>(bridge.call('GET', `/admin/api/conversations${q}`));
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      expect.objectContaining({ id: c.id, number: OURS, contact: CONTACT, threads: [expect.objectContaining({ platform: 'slack', channel: 'C1', threadId: '1700000000.000100' })] }),
    ]);
  });

  it('an unparsable number filter is a 400', async () => {
    expect(await json(bridge.call('GET', '/admin/api/conversations?number=xyz!'))).toMatchObject({ status: 400, body: { error: { field: 'number' } } });
  });

  it('an alphanumeric contact is matched as received', async () => {
    bridge.ctx.store.conversations.getOrCreate(OURS, 'AMAZON');
    const res = await json<unknown[]>(bridge.call('GET', '/admin/api/conversations?contact=AMAZON'));
    expect(res.body).toHaveLength(1);
  });

  it('lists a conversation’s messages oldest first, with direction, status and author', async () => {
    const c = seed();
    const res = await json<{ direction: string; body: string; status: string; author?: unknown; media: unknown[] }[]>(
      bridge.call('GET', `/admin/api/conversations/${c.id}/messages`),
    );
    expect(res.status).toBe(200);
    expect(res.body.map((m) => [m.direction, m.body, m.status])).toEqual([
      ['inbound', 'hello', 'received'],
      ['outbound', 'hi back', 'queued'],
    ]);
    expect(res.body[0]).not.toHaveProperty('author');
    expect(res.body[1]?.author).toEqual({ platform: 'slack', userId: 'U1', name: 'Ann' });
    expect(res.body[0]?.media).toEqual([]);
  });

  it('an unknown conversation is a 404', async () => {
    expect((await json(bridge.call('GET', '/admin/api/conversations/nope/messages'))).status).toBe(404);
  });

  it('lists inbound messages for unmapped numbers as unrouted, and not once the number is mapped', async () => {
    seed();
    const unrouted = await json<{ body: string; direction: string }[]>(bridge.call('GET', '/admin/api/unrouted'));
    expect(unrouted.body.map((m) => [m.direction, m.body])).toEqual([['inbound', 'hello']]);
    await bridge.call('POST', '/admin/api/numbers', { body: { number: OURS, provider: 'twilio' } });
    await bridge.call('POST', '/admin/api/mappings', { body: { number: OURS, platform: 'slack', channel: 'C1' } });
    expect((await json(bridge.call('GET', '/admin/api/unrouted'))).body).toEqual([]);
  });

  it('?limit= is validated', async () => {
    expect(await json(bridge.call('GET', '/admin/api/audit?limit=0'))).toMatchObject({ status: 422, body: { error: { field: 'limit' } } });
    expect((await json(bridge.call('GET', '/admin/api/unrouted?limit=5'))).status).toBe(200);
  });
});
