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
async function seed() {
  const { store } = bridge.ctx;
  const { conversation } = await store.conversations.getOrCreate(OURS, CONTACT);
  await store.messages.insert({ conversationId: conversation.id, direction: 'inbound', body: 'hello', status: 'received', provider: 'twilio', providerMessageId: 'SM1', encoding: 'GSM-7', segments: 1 });
  await store.messages.insert({
    conversationId: conversation.id,
    direction: 'outbound',
    body: 'hi back',
    status: 'queued',
    author: { platform: 'slack', userId: 'U1', name: 'Ann' },
    platformMessageId: 'slack:C1:1.1',
    encoding: 'GSM-7',
    segments: 1,
  });
  await store.threads.save({ conversationId: conversation.id, platform: 'slack', channel: 'C1', threadId: '1700000000.000100' });
  return conversation;
}

describe('admin API: conversations and history', () => {
  it('lists conversations filtered by number and contact typed in any format, with their threads', async () => {
    const c = await seed();
    await bridge.ctx.store.conversations.getOrCreate(OURS, '+16045552671');
    const all = await json<unknown[]>(bridge.call('GET', '/admin/api/conversations'));
    expect(all.body).toHaveLength(2);
    const q = `?number=${encodeURIComponent('(415) 555-2671')}&contact=${encodeURIComponent('646.555.3890')}`;
    const res = await json<{ id: string; number: string; contact: string; threads: unknown[] }[]>(bridge.call('GET', `/admin/api/conversations${q}`));
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      expect.objectContaining({ id: c.id, number: OURS, contact: CONTACT, threads: [expect.objectContaining({ platform: 'slack', channel: 'C1', threadId: '1700000000.000100' })] }),
    ]);
  });

  it('lists at most `limit` conversations, oldest first, and a Link rel="next" pages through all of them once (filter kept, later ones not mixed in)', async () => {
    const { store } = bridge.ctx;
    for (let i = 0; i < 7; i++) await store.conversations.getOrCreate(OURS, `+1646555${String(1000 + i)}`);
    await store.conversations.getOrCreate('+14155550000', '+16465559999'); // another number: filtered out
    const seen: string[] = [];
    let url: string | null = `/admin/api/conversations?number=${encodeURIComponent(OURS)}&limit=3`;
    let pages = 0;
    while (url !== null && pages < 10) {
      const res = await bridge.call('GET', url);
      expect(res.status).toBe(200);
      const body = (await res.json()) as Array<{ contact: string }>;
      expect(body.length).toBeLessThanOrEqual(3);
      seen.push(...body.map((c) => c.contact));
      pages++;
      if (pages === 1) await store.conversations.getOrCreate(OURS, '+16465558888'); // created mid-run
      const link = res.headers.get('link');
      url = link === null ? null : (/^<([^>]+)>; rel="next"$/.exec(link)?.[1] ?? null);
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => `+1646555${String(1000 + i)}`));
    const defaultPage = await json<unknown[]>(bridge.call('GET', '/admin/api/conversations'));
    expect(defaultPage.body).toHaveLength(9); // default limit 200
    expect(await json(bridge.call('GET', '/admin/api/conversations?limit=0'))).toMatchObject({ status: 422, body: { error: { field: 'limit' } } });
    expect(await json(bridge.call('GET', '/admin/api/conversations?cursor=nonsense'))).toMatchObject({ status: 400, body: { error: { field: 'cursor' } } });
  });

  it('an unparsable number filter is a 400', async () => {
    expect(await json(bridge.call('GET', '/admin/api/conversations?number=xyz!'))).toMatchObject({ status: 400, body: { error: { field: 'number' } } });
  });

  it('an alphanumeric contact is matched as received', async () => {
    await bridge.ctx.store.conversations.getOrCreate(OURS, 'AMAZON');
    const res = await json<unknown[]>(bridge.call('GET', '/admin/api/conversations?contact=AMAZON'));
    expect(res.body).toHaveLength(1);
  });

  it('lists a conversation’s messages oldest first, with direction, status and author', async () => {
    const c = await seed();
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

  describe('paging a conversation’s messages', () => {
    type Page = { status: number; bodies: string[]; next: string | null };
    async function get(path: string): Promise<Page> {
      const res = await bridge.call('GET', path);
      const link = res.headers.get('link');
      const next = link ? /^<([^>]+)>; rel="next"$/.exec(link)?.[1] ?? 'unparsable link' : null;
      const body = (await res.json()) as { body: string }[];
      return { status: res.status, bodies: Array.isArray(body) ? body.map((m) => m.body) : [], next };
    }
    /** `n` inbound messages in bursts of 4 sharing a millisecond. */
    async function seedBursts(n: number) {
      const { store } = bridge.ctx;
      const c = (await store.conversations.getOrCreate(OURS, CONTACT)).conversation;
      await store.transaction(async () => {
        for (let i = 0; i < n; i++) {
          await store.messages.insert({
            conversationId: c.id, direction: 'inbound', body: `m${i}`, status: 'received', provider: 'twilio',
            providerMessageId: `SM-b${i}`, encoding: 'GSM-7', segments: 1,
            createdAt: new Date(Date.UTC(2026, 0, 1) + Math.floor(i / 4)).toISOString(),
          });
        }
      });
      return c;
    }

    it('follows the Link rel="next" header backwards through every message once, although bursts sharing a millisecond straddle page edges', async () => {
      const c = await seedBursts(23);
      const first = await get(`/admin/api/conversations/${c.id}/messages?limit=5`);
      expect(first.bodies).toEqual(['m18', 'm19', 'm20', 'm21', 'm22']);
      const pages = [first.bodies];
      let next = first.next;
      while (next !== null && pages.length < 50) {
        expect(next).toMatch(new RegExp(`^/admin/api/conversations/${c.id}/messages\\?cursor=[^&]+&limit=5$`));
        const page = await get(next);
        expect(page.status).toBe(200);
        pages.push(page.bodies);
        next = page.next;
      }
      expect(pages.reverse().flat()).toEqual(Array.from({ length: 23 }, (_, i) => `m${i}`));
    });

    it('keeps ?before= working (strictly older than that time) and hands out a cursor from there', async () => {
      const c = await seedBursts(12); // m0-m3 at +0ms, m4-m7 at +1ms, m8-m11 at +2ms
      const before = new Date(Date.UTC(2026, 0, 1) + 2).toISOString();
      const first = await get(`/admin/api/conversations/${c.id}/messages?limit=3&before=${encodeURIComponent(before)}`);
      expect(first.bodies).toEqual(['m5', 'm6', 'm7']);
      const second = await get(first.next!);
      expect(second.bodies).toEqual(['m2', 'm3', 'm4']);
      expect(first.next).not.toContain('before=');
      // The same instant written with an offset means the same thing; a date word or epoch ms is refused.
      const shifted = new Date(Date.UTC(2026, 0, 1) + 2 + 3_600_000).toISOString().replace('Z', '+01:00');
      expect((await get(`/admin/api/conversations/${c.id}/messages?limit=3&before=${encodeURIComponent(shifted)}`)).bodies).toEqual(['m5', 'm6', 'm7']);
      // A date alone is midnight UTC.
      expect((await get(`/admin/api/conversations/${c.id}/messages?limit=3&before=2026-01-02`)).bodies).toEqual(['m9', 'm10', 'm11']);
      // Refused: a date word, epoch ms, a day that does not exist (Date would roll it over to March),
      // a time without a zone (it would be read in the server's zone).
      for (const bad of ['yesterday', '1767225600000', '2026-02-31', '2026-01-01T09:30', '2026-13-01T00:00:00Z']) {
        expect(await json(bridge.call('GET', `/admin/api/conversations/${c.id}/messages?before=${bad}`))).toMatchObject({ status: 422, body: { error: { field: 'before' } } });
      }
    });

    it('a page that reaches the first message has no Link; a bad cursor is a 400, cursor with before a 422', async () => {
      const c = await seedBursts(3);
      expect(await get(`/admin/api/conversations/${c.id}/messages?limit=3`)).toMatchObject({ bodies: ['m0', 'm1', 'm2'], next: null });
      expect(await json(bridge.call('GET', `/admin/api/conversations/${c.id}/messages?cursor=nonsense`))).toMatchObject({ status: 400, body: { error: { field: 'cursor' } } });
      expect(await json(bridge.call('GET', `/admin/api/conversations/${c.id}/messages?cursor=x&before=2026-01-01T00:00:00.000Z`))).toMatchObject({ status: 422, body: { error: { field: 'cursor' } } });
    });
  });

  it('a misspelt or unknown query parameter is refused with 422 naming it, never answered as if there were no filter', async () => {
    await seed();
    const id = (await bridge.ctx.store.conversations.list())[0]!.id;
    for (const path of ['/admin/api/conversations?contcat=%2B12125551234', '/admin/api/mappings?numbr=1', `/admin/api/conversations/${id}/messages?befor=2026-01-01`]) {
      const res = await json<{ error: { code: string; message: string } }>(bridge.call('GET', path));
      expect(res.status, path).toBe(422);
      expect(res.body.error.message, path).toMatch(/contcat|numbr|befor/);
    }
  });

  it('an unknown conversation is a 404', async () => {
    expect((await json(bridge.call('GET', '/admin/api/conversations/nope/messages'))).status).toBe(404);
  });

  it('with no Slack or Teams on, an unmapped number shows in the web inbox, so its texts are not unrouted', async () => {
    await seed();
    expect((await json(bridge.call('GET', '/admin/api/unrouted'))).body).toEqual([]);
  });

  // Unrouted while a chat platform runs: test/admin/webInbox.test.ts.

  it('?limit= is validated', async () => {
    expect(await json(bridge.call('GET', '/admin/api/audit?limit=0'))).toMatchObject({ status: 422, body: { error: { field: 'limit' } } });
    expect((await json(bridge.call('GET', '/admin/api/unrouted?limit=5'))).status).toBe(200);
  });
});
