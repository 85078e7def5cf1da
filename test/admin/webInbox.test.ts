// The web inbox, as a person at the console uses it (issue 15): every number shows there while no
// Slack or Teams runs; replies go through the same rules and lanes as chat replies, refused with
// every reason; `//` notes are kept and never sent; unread counts are per console session; the
// list orders by activity; a number mapped later gets the texts no chat showed. Whole bridge:
// real HTTP, the local dev provider, lanes on real Redis, SQLite.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { dropTestDatabase } from '../support/testDatabase.js';
import { json } from '../http/helpers.js';
import { waitUntil } from '../support/wait.js';
import { addLocalNumber, asSession, CONTACT, contactTexts, devOutbox, OURS, signIn, standInPlatform, startInboxBridge, waitDeliveriesDone, waitPosted, type InboxBridge } from './webInboxHarness.js';

let bridges: InboxBridge[] = [];
afterAll(() => dropTestDatabase());
afterEach(async () => {
  for (const b of bridges.reverse()) await b.cleanup();
  bridges = [];
});

async function bridge(): Promise<InboxBridge> {
  const b = await startInboxBridge();
  bridges.push(b);
  return b;
}

interface ListItem {
  id: string;
  contact: string;
  number: string;
  unread: number;
  web: boolean;
  lastActivityAt: string;
  lastMessage: { id: string; direction: string; body: string; status: string; createdAt: string } | null;
}

interface MessageItem {
  id: string;
  direction: string;
  body: string;
  status: string;
  author?: { platform: string; userId: string; name: string };
  media: Array<{ id: string; contentType: string; url: string | null; status: string }>;
  notices: string[];
}

describe('web inbox', () => {
  it('shows every number with no Slack or Teams on; a reply goes out as SMS, authored by the person signed in', async () => {
    const b = await bridge();
    await addLocalNumber(b);
    const { conversationId, messageId, routed, webInbox } = await contactTexts(b, 'Is the shop open today?');
    expect({ routed, webInbox }).toEqual({ routed: true, webInbox: true }); // the dev phone says where it shows
    await waitPosted(b, messageId);
    expect((await json(b.call('GET', '/admin/api/unrouted'))).body).toEqual([]);

    const list = await json<ListItem[]>(b.call('GET', '/admin/api/conversations?order=activity'));
    expect(list.body).toEqual([
      expect.objectContaining({ id: conversationId, contact: CONTACT, web: true, lastMessage: expect.objectContaining({ direction: 'inbound', body: 'Is the shop open today?' }) }),
    ]);

    const dana = await signIn(b, 'Dana Reyes');
    const sent = await json<{ message: MessageItem }>(b.call('POST', `/admin/api/conversations/${conversationId}/messages`, asSession(dana, { body: { text: 'Yes, until 6pm.' } })));
    expect(sent.status).toBe(202);
    expect(sent.body.message).toMatchObject({ direction: 'outbound', body: 'Yes, until 6pm.', author: { platform: 'web', name: 'Dana Reyes' } });
    await waitUntil(async () => (await devOutbox(b)).length === 1, 'the reply sent');
    expect((await devOutbox(b))[0]).toMatchObject({ from: OURS, to: CONTACT, body: 'Yes, until 6pm.' });
    await waitUntil(async () => (await b.ctx.store.messages.get(sent.body.message.id))?.status === 'sent', 'the reply marked sent');

    // A request retried with the same Idempotency-Key (a double click) sends once.
    const once = asSession(dana, { body: { text: 'See you then' }, headers: { 'idempotency-key': 'k-1' } });
    const first = await json<{ message: MessageItem }>(b.call('POST', `/admin/api/conversations/${conversationId}/messages`, once));
    const again = await json<{ message: MessageItem }>(b.call('POST', `/admin/api/conversations/${conversationId}/messages`, once));
    expect([first.status, again.status]).toEqual([202, 202]);
    expect(again.body.message.id).toBe(first.body.message.id);
    // Each send is audited once, in the name of the person signed in.
    const audit = await json<Array<{ actor: string; action: string; target: string; targetLabel: string }>>(b.call('GET', '/admin/api/audit'));
    const sends = audit.body.filter((e) => e.action === 'message.send');
    expect(sends.map((e) => [e.actor, e.target])).toEqual([
      ['Dana Reyes', first.body.message.id],
      ['Dana Reyes', sent.body.message.id],
    ]);
    expect(sends[0]!.targetLabel).toBe('text to (646) 555-3890 from (415) 555-2671');
    await waitUntil(async () => (await devOutbox(b)).length === 2, 'the second reply sent');
    await new Promise((r) => setTimeout(r, 300));
    expect((await devOutbox(b)).map((m) => m.body)).toEqual(['Yes, until 6pm.', 'See you then']);
  });

  it('refuses a reply with every reason while SMS is off and the contact opted out, and sends nothing', async () => {
    const b = await bridge();
    await addLocalNumber(b);
    const { conversationId, messageId } = await contactTexts(b, 'STOP');
    await waitPosted(b, messageId);
    const view = await json<MessageItem[]>(b.call('GET', `/admin/api/conversations/${conversationId}/messages`));
    expect(view.body[0]!.notices.join(' ')).toMatch(/opted out/);

    const optedOut = await json<{ error: { code: string; reasons: Array<{ code: string; message: string }> } }>(
      b.call('POST', `/admin/api/conversations/${conversationId}/messages`, { body: { text: 'Sorry to see you go' } }),
    );
    expect(optedOut.status).toBe(422);
    expect(optedOut.body.error.code).toBe('refused');
    expect(optedOut.body.error.reasons.map((r) => r.code)).toEqual(['opted_out']);

    await b.ctx.store.policy.update({ smsEnabled: false });
    const both = await json<{ error: { code: string; message: string; reasons: Array<{ code: string; message: string }> } }>(
      b.call('POST', `/admin/api/conversations/${conversationId}/messages`, { body: { text: 'Still there?' } }),
    );
    expect(both.status).toBe(422);
    expect(both.body.error.reasons.map((r) => r.code).sort()).toEqual(['opted_out', 'sms_disabled_company']);
    expect(both.body.error.reasons.every((r) => r.message.length > 0)).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(await devOutbox(b)).toEqual([]);
    expect((await b.ctx.store.messages.listForConversation(conversationId)).map((m) => m.body)).toEqual(['STOP']);
  });

  it('keeps a // note in the conversation for colleagues and never sends it', async () => {
    const b = await bridge();
    await addLocalNumber(b);
    const { conversationId, messageId } = await contactTexts(b, 'Can I change my booking?');
    await waitPosted(b, messageId);
    const sam = await signIn(b, 'Sam');
    const note = await json<{ message: MessageItem }>(b.call('POST', `/admin/api/conversations/${conversationId}/messages`, asSession(sam, { body: { text: '// she called earlier, see ticket 42' } })));
    expect(note.status).toBe(202);
    expect(note.body.message).toMatchObject({ direction: 'internal', body: '// she called earlier, see ticket 42', author: { name: 'Sam' } });
    // Even with SMS off a note is kept: it is not a text.
    await b.ctx.store.policy.update({ smsEnabled: false });
    expect((await b.call('POST', `/admin/api/conversations/${conversationId}/messages`, { body: { text: '//second note' } })).status).toBe(202);
    await new Promise((r) => setTimeout(r, 400));
    expect(await devOutbox(b)).toEqual([]);
    const view = await json<MessageItem[]>(b.call('GET', `/admin/api/conversations/${conversationId}/messages`));
    expect(view.body.map((m) => [m.direction, m.body])).toEqual([
      ['inbound', 'Can I change my booking?'],
      ['internal', '// she called earlier, see ticket 42'],
      ['internal', '//second note'],
    ]);
  });

  it('counts unread texts per console session; reading marks them for that session only', async () => {
    const b = await bridge();
    await addLocalNumber(b);
    const first = await contactTexts(b, 'Hello?');
    await waitPosted(b, (await contactTexts(b, 'Anyone?')).messageId);
    const [s1, s2] = [await signIn(b, 'Ann'), await signIn(b, 'Bo')];
    const unread = async (opts: { token?: null; headers?: Record<string, string> }) =>
      (await json<ListItem[]>(b.call('GET', '/admin/api/conversations', opts))).body.find((c) => c.id === first.conversationId)!.unread;
    expect(await unread(asSession(s1))).toBe(2);
    expect(await unread(asSession(s2))).toBe(2);
    expect(await unread({})).toBe(0); // a script with the token alone has no session
    expect((await b.call('POST', `/admin/api/conversations/${first.conversationId}/read`, asSession(s1))).status).toBe(204);
    expect(await unread(asSession(s1))).toBe(0);
    expect(await unread(asSession(s2))).toBe(2);
    await waitPosted(b, (await contactTexts(b, 'Third try')).messageId);
    expect(await unread(asSession(s1))).toBe(1);
    expect((await b.call('POST', '/admin/api/conversations/nope/read', asSession(s1))).status).toBe(404);
    expect((await json<ListItem>(b.call('GET', `/admin/api/conversations/${first.conversationId}`, asSession(s2)))).body).toMatchObject({ unread: 3, web: true, lastMessage: { body: 'Third try' } });
    // Marking read changes state: a cookie request from another site is refused.
    expect((await b.call('POST', `/admin/api/conversations/${first.conversationId}/read`, asSession({ ...s2, origin: 'https://evil.example' }))).status).toBe(403);
    expect(await unread(asSession(s2))).toBe(3);
  });

  it('orders by newest activity with order=activity, keeps the default order, and filters by text', async () => {
    const b = await bridge();
    await addLocalNumber(b);
    const a = await contactTexts(b, 'first contact', { from: '+16465550001' });
    const c = await contactTexts(b, 'second contact about a refund', { from: '+16465550002' });
    await waitPosted(b, c.messageId);
    await new Promise((r) => setTimeout(r, 5));
    const again = await contactTexts(b, 'first contact again', { from: '+16465550001' });
    await waitPosted(b, again.messageId);
    const ids = async (q: string) => (await json<ListItem[]>(b.call('GET', `/admin/api/conversations${q}`))).body.map((x) => x.id);
    expect(await ids('?order=activity')).toEqual([a.conversationId, c.conversationId]);
    expect(await ids('')).toEqual([a.conversationId, c.conversationId]); // oldest first, as documented
    await waitPosted(b, (await contactTexts(b, 'now me', { from: '+16465550002' })).messageId);
    expect(await ids('?order=activity')).toEqual([c.conversationId, a.conversationId]);
    expect(await ids('')).toEqual([a.conversationId, c.conversationId]);
    expect(await ids('?q=REFUND')).toEqual([c.conversationId]);
    expect(await ids(`?q=${encodeURIComponent('(646) 555-0001')}&order=activity`)).toEqual([a.conversationId]);
    const paged = await b.call('GET', '/admin/api/conversations?order=activity&limit=1');
    expect(paged.headers.get('link')).toMatch(/order=activity/);
    expect((await json(b.call('GET', '/admin/api/conversations?order=newest'))).status).toBe(422);
    const top = (await json<ListItem[]>(b.call('GET', '/admin/api/conversations?order=activity'))).body[0]!;
    expect(top.lastMessage).toMatchObject({ body: 'now me', direction: 'inbound' });
    expect(top.lastActivityAt).toBe(top.lastMessage!.createdAt);
  });

  it('starts a conversation with {number, contact, text}', async () => {
    const b = await bridge();
    await addLocalNumber(b);
    const started = await json<{ conversation: { id: string; number: string; contact: string }; message: MessageItem }>(
      b.call('POST', '/admin/api/conversations', { body: { number: '(415) 555-2671', contact: '646 555 3890', text: 'Your table is ready' } }),
    );
    expect(started.status).toBe(202);
    expect(started.body.conversation).toMatchObject({ number: OURS, contact: CONTACT });
    expect(started.body.message).toMatchObject({ direction: 'outbound', body: 'Your table is ready' });
    await waitUntil(async () => (await devOutbox(b)).length === 1, 'the first text sent');
    const refused = await json<{ error: { reasons: Array<{ code: string }> } }>(
      b.call('POST', '/admin/api/conversations', { body: { number: OURS, contact: '+18005550100', text: 'hi' } }),
    );
    expect(refused.status).toBe(422);
    expect(refused.body.error.reasons.map((r) => r.code)).toEqual(['destination_toll_free']);
    expect((await json(b.call('POST', '/admin/api/conversations', { body: { number: OURS, contact: CONTACT } }))).status).toBe(422);
  });

  it('sends a picture as MMS from the composer; the view links it for <img>, and a file over the MMS limit is refused with the reason', async () => {
    const b = await bridge();
    await addLocalNumber(b);
    const { conversationId, messageId } = await contactTexts(b, 'Send me a photo');
    await waitPosted(b, messageId);
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a1e3a5d20000000049454e44ae426082', 'hex');
    const form = new FormData();
    form.append('text', 'Here it is');
    form.append('files', new Blob([png], { type: 'image/png' }), 'dot.png');
    const res = await fetch(`${b.url}/admin/api/conversations/${conversationId}/messages`, { method: 'POST', headers: { authorization: 'Bearer test-admin-token-0123456789' }, body: form });
    expect(res.status).toBe(202);
    const { message } = (await res.json()) as { message: MessageItem };
    expect(message.media).toEqual([expect.objectContaining({ contentType: 'image/png', status: 'stored', url: expect.stringMatching(/^http/) })]);
    const picture = await fetch(new URL(new URL(message.media[0]!.url!).pathname + new URL(message.media[0]!.url!).search, b.url));
    expect(picture.status).toBe(200);
    expect(Buffer.from(await picture.arrayBuffer()).equals(png)).toBe(true);
    await waitUntil(async () => (await devOutbox(b)).length === 1, 'the MMS sent');
    expect((await devOutbox(b))[0]).toMatchObject({ body: 'Here it is', mediaUrls: [expect.any(String)] });

    await b.ctx.store.policy.update({ mms: { maxTotalBytes: 1000 } });
    const big = new FormData();
    big.append('text', 'too big');
    big.append('files', new Blob([Buffer.alloc(5000, 1)], { type: 'image/jpeg' }), 'big.jpg');
    const refused = await fetch(`${b.url}/admin/api/conversations/${conversationId}/messages`, { method: 'POST', headers: { authorization: 'Bearer test-admin-token-0123456789' }, body: big });
    expect(refused.status).toBe(422);
    const body = (await refused.json()) as { error: { reasons: Array<{ code: string }> } };
    expect(body.error.reasons.map((r) => r.code)).toEqual(['media_too_large']);
  });

  it('with a chat platform on, shows only numbers mapped to web; unmapped texts are unrouted until a mapping posts them, in order', async () => {
    const b = await bridge();
    const teams = standInPlatform('teams');
    b.registry.register(teams);
    await addLocalNumber(b);
    const t1 = await contactTexts(b, 'one');
    expect(t1).toMatchObject({ routed: false, webInbox: false });
    const t2 = await contactTexts(b, 'two');
    await waitUntil(async () => (await json<unknown[]>(b.call('GET', '/admin/api/unrouted'))).body.length === 2, 'both texts unrouted');
    await waitDeliveriesDone(b); // delivered nowhere (a text arriving as the mapping commits: deliverUnshown.ts)
    const listed = (await json<ListItem[]>(b.call('GET', '/admin/api/conversations'))).body;
    expect(listed.map((c) => c.web)).toEqual([false]);

    const mapped = await json<{ channel: string }>(b.call('POST', '/admin/api/mappings', { body: { number: OURS, platform: 'web' } }));
    expect(mapped).toMatchObject({ status: 201, body: { channel: 'inbox' } });
    await waitPosted(b, t1.messageId);
    await waitPosted(b, t2.messageId);
    expect(await contactTexts(b, 'three')).toMatchObject({ routed: true, webInbox: true });
    expect((await json(b.call('GET', '/admin/api/unrouted'))).body).toEqual([]);
    expect((await json<ListItem[]>(b.call('GET', '/admin/api/conversations'))).body.map((c) => c.web)).toEqual([true]);

    // Mapped later to the other platform too: those texts were shown (in the web inbox), so only
    // new ones go there; a number shown nowhere gets its earlier texts posted, oldest first.
    const OTHER = '+14155550199';
    await addLocalNumber(b, OTHER);
    await contactTexts(b, 'early', { to: OTHER });
    await contactTexts(b, 'later', { to: OTHER });
    await waitUntil(async () => (await json<unknown[]>(b.call('GET', '/admin/api/unrouted'))).body.length === 2, 'the other number unrouted');
    await waitDeliveriesDone(b);
    // The stand-in is not turned on in the configuration, so the mapping says it maps ahead.
    expect((await b.call('POST', '/admin/api/mappings', { body: { number: OTHER, platform: 'teams', channel: '19:support@thread.tacv2', allowOff: true } })).status).toBe(201);
    await waitUntil(() => teams.posted.length === 2, 'the earlier texts posted in the new channel');
    expect(teams.posted).toEqual([
      { channel: '19:support@thread.tacv2', body: 'early' },
      { channel: '19:support@thread.tacv2', body: 'later' },
    ]);
    expect((await json(b.call('GET', '/admin/api/unrouted'))).body).toEqual([]);
    expect((await json(b.call('POST', '/admin/api/mappings', { body: { number: OURS, platform: 'web', channel: 'C123' } }))).status).toBe(422);
  });
});
