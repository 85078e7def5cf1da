// Rule 10: every message, both directions, with its status, is stored and can be browsed,
// searched and exported; nothing expires. Against the real bridge (real SQLite file, real HTTP).

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CSV_COLUMNS, EXPORT_PAGE_SIZE } from '../../src/admin/history.js';
import type { Conversation } from '../../src/core/types.js';
import { ADMIN_TOKEN, json, startTestBridge, type TestBridge } from '../http/helpers.js';

const OURS = '+14155552671';
const OTHER_OURS = '+16175550142';
const CONTACT = '+16465553890';

let bridge: TestBridge;
beforeEach(async () => {
  bridge = await startTestBridge();
});
afterEach(async () => {
  await bridge.cleanup();
});

let seq = 0;
function at(minute: number): string {
  return new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
}

async function inbound(c: Conversation, body: string, createdAt: string) {
  return (await bridge.ctx.store.messages.insert({
    conversationId: c.id, direction: 'inbound', body, status: 'received', provider: 'twilio',
    providerMessageId: `SM${++seq}`, encoding: 'GSM-7', segments: 1, createdAt,
  })).message;
}

async function outbound(c: Conversation, body: string, createdAt: string) {
  return (await bridge.ctx.store.messages.insert({
    conversationId: c.id, direction: 'outbound', body, status: 'queued',
    author: { platform: 'slack', userId: 'U1', name: 'Ann' }, platformMessageId: `slack:T:C:${++seq}`,
    encoding: 'GSM-7', segments: 1, createdAt,
  })).message;
}

/** Minimal RFC 4180 reader: quoted fields may hold commas, doubled quotes, CR and LF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(field); field = ''; }
    else if (ch === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; }
    else field += ch;
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  return rows;
}

function records(text: string): Record<string, string>[] {
  const [head, ...rows] = parseCsv(text);
  return rows.map((r) => Object.fromEntries(head!.map((h, i) => [h, r[i] ?? ''])));
}

describe('rule 10: history can be searched', () => {
  it('finds messages of both directions by text across conversations, newest first, naming number and contact', async () => {
    const { store } = bridge.ctx;
    const a = (await store.conversations.getOrCreate(OURS, CONTACT)).conversation;
    const b = (await store.conversations.getOrCreate(OTHER_OURS, '+16045552671')).conversation;
    await inbound(a, 'Is the invoice ready?', at(1));
    await outbound(a, 'Invoice sent this morning', at(2));
    await inbound(b, 'where is my INVOICE', at(3));
    await inbound(a, 'thanks', at(4));
    const res = await json<{ body: string; direction: string; number: string; contact: string; status: string }[]>(
      bridge.call('GET', '/admin/api/messages?q=invoice'),
    );
    expect(res.status).toBe(200);
    expect(res.body.map((m) => [m.body, m.direction, m.number, m.contact])).toEqual([
      ['where is my INVOICE', 'inbound', OTHER_OURS, '+16045552671'],
      ['Invoice sent this morning', 'outbound', OURS, CONTACT],
      ['Is the invoice ready?', 'inbound', OURS, CONTACT],
    ]);
    expect(res.body[1]?.status).toBe('queued');
  });

  it('filters by our number and the contact typed in any common format, and by direction', async () => {
    const { store } = bridge.ctx;
    const a = (await store.conversations.getOrCreate(OURS, CONTACT)).conversation;
    const b = (await store.conversations.getOrCreate(OURS, '+16045552671')).conversation;
    const c = (await store.conversations.getOrCreate(OTHER_OURS, CONTACT)).conversation;
    await inbound(a, 'a-in', at(1));
    await outbound(a, 'a-out', at(2));
    await inbound(b, 'b-in', at(3));
    await inbound(c, 'c-in', at(4));
    const q = `?number=${encodeURIComponent('(415) 555-2671')}&contact=${encodeURIComponent('646.555.3890')}`;
    const both = await json<{ body: string }[]>(bridge.call('GET', `/admin/api/messages${q}`));
    expect(both.body.map((m) => m.body)).toEqual(['a-out', 'a-in']);
    const byNumber = await json<{ body: string }[]>(bridge.call('GET', `/admin/api/messages?number=${encodeURIComponent('415 555 2671')}`));
    expect(byNumber.body.map((m) => m.body)).toEqual(['b-in', 'a-out', 'a-in']);
    const inOnly = await json<{ body: string }[]>(bridge.call('GET', `/admin/api/messages${q}&direction=inbound`));
    expect(inOnly.body.map((m) => m.body)).toEqual(['a-in']);
    const outOnly = await json<{ body: string }[]>(bridge.call('GET', '/admin/api/messages?direction=outbound'));
    expect(outOnly.body.map((m) => m.body)).toEqual(['a-out']);
  });

  it('blank parameters mean no filter; limit caps the newest hits; % and _ are matched literally', async () => {
    const a = (await bridge.ctx.store.conversations.getOrCreate(OURS, CONTACT)).conversation;
    await inbound(a, '100% sure', at(1));
    await inbound(a, '1000 sure', at(2));
    await inbound(a, 'a_b', at(3));
    await inbound(a, 'axb', at(4));
    const all = await json<{ body: string }[]>(bridge.call('GET', '/admin/api/messages?q=&number=&contact=&direction='));
    expect(all.body.map((m) => m.body)).toEqual(['axb', 'a_b', '1000 sure', '100% sure']);
    expect((await json<{ body: string }[]>(bridge.call('GET', '/admin/api/messages?limit=2'))).body.map((m) => m.body)).toEqual(['axb', 'a_b']);
    expect((await json<{ body: string }[]>(bridge.call('GET', '/admin/api/messages?q=0%25'))).body.map((m) => m.body)).toEqual(['100% sure']);
    expect((await json<{ body: string }[]>(bridge.call('GET', '/admin/api/messages?q=a_b'))).body.map((m) => m.body)).toEqual(['a_b']);
  });

  it('the direction filter finds matches however many newer messages of the other direction there are', async () => {
    const a = (await bridge.ctx.store.conversations.getOrCreate(OURS, CONTACT)).conversation;
    await bridge.ctx.store.transaction(async () => {
      await outbound(a, 'the one reply', at(0));
      for (let i = 0; i < 1500; i++) await inbound(a, `question ${i}`, new Date(Date.UTC(2026, 0, 1, 1) + i).toISOString());
    });
    const out = await json<{ body: string; direction: string }[]>(bridge.call('GET', '/admin/api/messages?direction=outbound'));
    expect(out.body.map((m) => [m.body, m.direction])).toEqual([['the one reply', 'outbound']]);
    const ins = await json<{ body: string }[]>(bridge.call('GET', '/admin/api/messages?direction=inbound&limit=1000'));
    expect(ins.body).toHaveLength(1000);
    expect(ins.body[0]!.body).toBe('question 1499');
  });

  it('finds alphanumeric senders as received', async () => {
    const a = (await bridge.ctx.store.conversations.getOrCreate(OURS, 'AMAZON')).conversation;
    await inbound(a, 'Your code is 1234', at(1));
    const res = await json<{ contact: string }[]>(bridge.call('GET', '/admin/api/messages?contact=AMAZON'));
    expect(res.body.map((m) => m.contact)).toEqual(['AMAZON']);
  });

  it('is validated like the other admin routes', async () => {
    expect(await json(bridge.call('GET', '/admin/api/messages?number=xyz!'))).toMatchObject({ status: 400, body: { error: { field: 'number' } } });
    expect(await json(bridge.call('GET', '/admin/api/messages?direction=sideways'))).toMatchObject({ status: 422, body: { error: { field: 'direction' } } });
    expect(await json(bridge.call('GET', '/admin/api/messages?limit=0'))).toMatchObject({ status: 422, body: { error: { field: 'limit' } } });
    expect(await json(bridge.call('GET', '/admin/api/messages?limit=1001'))).toMatchObject({ status: 422, body: { error: { field: 'limit' } } });
    expect((await json(bridge.call('GET', '/admin/api/messages?qq=typo'))).status).toBe(422);
    expect((await json(bridge.call('GET', '/admin/api/messages?q=a&q=b'))).status).toBe(422);
  });

  it('needs the admin token', async () => {
    expect((await bridge.call('GET', '/admin/api/messages', { token: null })).status).toBe(401);
    expect((await bridge.call('GET', '/admin/api/messages', { token: 'wrong' })).status).toBe(401);
  });
});

describe('rule 10: a conversation can be exported', () => {
  async function seedTricky() {
    const { store } = bridge.ctx;
    const c = (await store.conversations.getOrCreate(OURS, CONTACT)).conversation;
    const m1 = await inbound(c, 'Hello, world', at(1));
    await store.media.create({ messageId: m1.id, contentType: 'image/jpeg', size: 10, path: 'x.jpg', sourceUrl: null, status: 'stored', reason: null });
    await store.media.create({ messageId: m1.id, contentType: 'image/png', size: 20, path: 'y.png', sourceUrl: null, status: 'stored', reason: null });
    await outbound(c, 'She said "hi", then left', at(2));
    await inbound(c, 'line one\nline two\r\nline three', at(3));
    await inbound(c, '=HYPERLINK("http://evil.example","click")', at(4));
    await inbound(c, '', at(5));
    return c;
  }

  it('as CSV: an attachment, oldest first, bodies with commas, quotes and newlines intact', async () => {
    const c = await seedTricky();
    const res = await bridge.call('GET', `/admin/api/conversations/${c.id}/export?format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="conversation-\+14155552671-\+16465553890\.csv"$/);
    const text = await res.text();
    expect(text.split('\r\n')[0]).toBe(CSV_COLUMNS.join(','));
    const rows = records(text);
    expect(rows.map((r) => r.body)).toEqual([
      'Hello, world',
      'She said "hi", then left',
      'line one\nline two\r\nline three',
      `'=HYPERLINK("http://evil.example","click")`, // shown as text, never run as a formula
      '',
    ]);
    expect(rows.map((r) => [r.direction, r.status, r.number, r.contact])).toEqual([
      ['inbound', 'received', OURS, CONTACT],
      ['outbound', 'queued', OURS, CONTACT],
      ['inbound', 'received', OURS, CONTACT],
      ['inbound', 'received', OURS, CONTACT],
      ['inbound', 'received', OURS, CONTACT],
    ]);
    expect(rows[1]).toMatchObject({ authorPlatform: 'slack', authorUserId: 'U1', authorName: 'Ann' });
    expect(rows[0]!.createdAt).toBe(at(1));
    expect(rows[0]!.updatedAt).not.toBe('');
    const mediaIds = (await bridge.ctx.store.messages.listForConversation(c.id))[0]!.media.map((m) => m.id);
    expect(rows[0]!.mediaIds!.split(' ')).toEqual(mediaIds);
    expect(rows[0]!.mediaTypes).toBe('image/jpeg image/png');
  });

  it('as CSV: no cell with outside text starts like a spreadsheet formula, whatever column it is in', async () => {
    const { store } = bridge.ctx;
    const c = (await store.conversations.getOrCreate(OURS, CONTACT)).conversation;
    // Every value below came from a contact, a provider or a chat user, and each starts the way a
    // spreadsheet would run it: plain = + - @, after a space or a line break, or full-width.
    const m = (await store.messages.insert({
      conversationId: c.id, direction: 'outbound', body: ' =1+1', status: 'failed', provider: 'twilio',
      providerMessageId: '@SUM(A1)', author: { platform: 'teams', userId: '=cmd|\' /C calc\'!A0', name: '\n=HYPERLINK("x")' },
      otherRecipients: ['-2+3'], statusReason: '\uff1dHYPERLINK("http://evil.example")', errorCode: '-1+2',
      encoding: 'GSM-7', segments: 1, createdAt: at(1),
    })).message;
    await store.media.create({ messageId: m.id, contentType: '+image/png', size: 1, path: 'x', sourceUrl: null, status: 'stored', reason: null });
    await inbound(c, '\uff1d1+1', at(2));
    await inbound(c, '\t=1+1', at(3));
    const [row, fullWidth, tab] = records(await (await bridge.call('GET', `/admin/api/conversations/${c.id}/export?format=csv`)).text());
    expect(row).toMatchObject({
      body: "' =1+1",
      providerMessageId: "'@SUM(A1)",
      authorUserId: "'=cmd|' /C calc'!A0",
      authorName: "'\n=HYPERLINK(\"x\")",
      otherRecipients: "'-2+3",
      statusReason: "'\uff1dHYPERLINK(\"http://evil.example\")",
      errorCode: "'-1+2",
      mediaTypes: "'+image/png",
      // The bridge's own values and phone numbers stay as they are.
      number: OURS,
      contact: CONTACT,
      direction: 'outbound',
      provider: 'twilio',
    });
    expect([fullWidth!.body, tab!.body]).toEqual(["'\uff1d1+1", "'\t=1+1"]);
  });

  it('as JSON: every message verbatim with direction, status, author, media ids and timestamps', async () => {
    const c = await seedTricky();
    const res = await bridge.call('GET', `/admin/api/conversations/${c.id}/export?format=json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename=".+\.json"$/);
    const body = (await res.json()) as { conversation: Conversation; messages: { body: string; direction: string; status: string; author?: unknown; media: { id: string }[]; createdAt: string; updatedAt: string }[] };
    expect(body.conversation).toMatchObject({ id: c.id, number: OURS, contact: CONTACT });
    expect(body.messages.map((m) => m.body)).toEqual([
      'Hello, world',
      'She said "hi", then left',
      'line one\nline two\r\nline three',
      '=HYPERLINK("http://evil.example","click")',
      '',
    ]);
    expect(body.messages[1]).toMatchObject({ direction: 'outbound', status: 'queued', author: { platform: 'slack', userId: 'U1', name: 'Ann' } });
    expect(body.messages[0]!.media).toHaveLength(2);
    expect(body.messages.every((m) => m.createdAt && m.updatedAt)).toBe(true);
  });

  it('pages through a large conversation without skipping or repeating messages that share a timestamp', async () => {
    const { store } = bridge.ctx;
    const c = (await store.conversations.getOrCreate(OURS, CONTACT)).conversation;
    const total = EXPORT_PAGE_SIZE * 2 + 37;
    await store.transaction(async () => {
      // Bursts of 7 messages in the same millisecond, straddling every page boundary.
      for (let i = 0; i < total; i++) await inbound(c, `m${i}`, new Date(Date.UTC(2026, 0, 1) + Math.floor(i / 7)).toISOString());
    });
    const other = (await store.conversations.getOrCreate(OURS, '+16045552671')).conversation;
    await inbound(other, 'not this conversation', at(0));
    const res = await json<{ messages: { body: string }[] }>(bridge.call('GET', `/admin/api/conversations/${c.id}/export`));
    expect(res.body.messages.map((m) => m.body)).toEqual(Array.from({ length: total }, (_, i) => `m${i}`));
    const csv = records(await (await bridge.call('GET', `/admin/api/conversations/${c.id}/export?format=csv`)).text());
    expect(csv.map((r) => r.body)).toEqual(Array.from({ length: total }, (_, i) => `m${i}`));
  });

  it('a client that goes away in the middle of an export leaves the bridge serving, and the next export is whole', async () => {
    const { store } = bridge.ctx;
    const c = (await store.conversations.getOrCreate(OURS, CONTACT)).conversation;
    const total = EXPORT_PAGE_SIZE * 4;
    const long = 'x'.repeat(1500);
    await store.transaction(async () => {
      for (let i = 0; i < total; i++) await inbound(c, `${i} ${long}`, new Date(Date.UTC(2026, 0, 1) + i).toISOString());
    });
    const abort = new AbortController();
    // One export is left waiting on a client that does not read yet (backpressure) ...
    const res = await bridge.call('GET', `/admin/api/conversations/${c.id}/export?format=csv`);
    // ... while another client reads a first chunk and hangs up.
    const cut = await fetch(`${bridge.url}/admin/api/conversations/${c.id}/export?format=csv`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      signal: abort.signal,
    });
    const reader = cut.body!.getReader();
    await reader.read();
    abort.abort();
    await reader.cancel().catch(() => undefined);
    expect((await bridge.call('GET', '/healthz', { token: null })).status).toBe(200);
    expect(records(await res.text())).toHaveLength(total);
    expect(records(await (await bridge.call('GET', `/admin/api/conversations/${c.id}/export?format=csv`)).text())).toHaveLength(total);
  });

  it('an empty conversation exports a header only; an unknown one is a 404; the format is validated; the token is needed', async () => {
    const c = (await bridge.ctx.store.conversations.getOrCreate(OURS, CONTACT)).conversation;
    expect(await (await bridge.call('GET', `/admin/api/conversations/${c.id}/export?format=csv`)).text()).toBe(`${CSV_COLUMNS.join(',')}\r\n`);
    expect((await json<{ messages: unknown[] }>(bridge.call('GET', `/admin/api/conversations/${c.id}/export`))).body.messages).toEqual([]);
    expect((await json(bridge.call('GET', '/admin/api/conversations/nope/export?format=csv'))).status).toBe(404);
    expect(await json(bridge.call('GET', `/admin/api/conversations/${c.id}/export?format=xml`))).toMatchObject({ status: 422, body: { error: { field: 'format' } } });
    expect((await bridge.call('GET', `/admin/api/conversations/${c.id}/export?format=csv`, { token: null })).status).toBe(401);
  });
});

describe('rule 10: nothing is ever deleted', () => {
  it('removing the number and its mapping, searching, exporting and restarting keep every message', async () => {
    await bridge.call('POST', '/admin/api/numbers', { body: { number: OURS, provider: 'twilio' } });
    const mapping = await json<{ id: string }>(bridge.call('POST', '/admin/api/mappings', { body: { number: OURS, platform: 'slack', channel: 'C1', allowOff: true } }));
    const c = (await bridge.ctx.store.conversations.getOrCreate(OURS, CONTACT)).conversation;
    await inbound(c, 'first', at(1));
    await outbound(c, 'second', at(2));
    expect((await bridge.call('DELETE', `/admin/api/mappings/${mapping.body.id}`)).status).toBeLessThan(300);
    expect((await bridge.call('DELETE', `/admin/api/numbers/${encodeURIComponent(OURS)}`)).status).toBeLessThan(300);
    // There is no way to delete history through the admin API.
    expect((await bridge.call('DELETE', `/admin/api/conversations/${c.id}`)).status).toBe(404);
    expect((await bridge.call('DELETE', `/admin/api/conversations/${c.id}/messages`)).status).toBe(404);
    expect((await bridge.call('DELETE', '/admin/api/messages')).status).toBe(404);
    await bridge.call('GET', '/admin/api/messages?q=first');
    await bridge.call('GET', `/admin/api/conversations/${c.id}/export?format=csv`);

    // Restart on the same data folder: the history is still all there.
    const dataDir = bridge.dataDir;
    await bridge.stop();
    const again = await startTestBridge({}, { dataDir });
    try {
      const exported = await json<{ messages: { body: string; status: string }[] }>(again.call('GET', `/admin/api/conversations/${c.id}/export`));
      expect(exported.body.messages.map((m) => [m.body, m.status])).toEqual([['first', 'received'], ['second', 'queued']]);
      const found = await json<{ body: string }[]>(again.call('GET', `/admin/api/messages?number=${encodeURIComponent(OURS)}`));
      expect(found.body.map((m) => m.body)).toEqual(['second', 'first']);
    } finally {
      await again.cleanup();
    }
  });
});
