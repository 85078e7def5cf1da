// Stored before acknowledged, for Slack replies: Bolt answers Slack before the reply is handled
// (which can take seconds: users.info, file downloads), so the raw event is kept in the chat inbox
// before that answer, and events a crash left unhandled are handled at the next start, once.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHANNEL, CONTACT, OUR, createSlackHarness, openConversationThread, type SlackHarness } from './harness.js';

let h: SlackHarness;
let rootTs: string;
beforeEach(async () => {
  h = await createSlackHarness();
  rootTs = await openConversationThread(h);
});
afterEach(async () => {
  await h.close();
});

const ts = () => `${Math.floor(Date.now() / 1000)}.${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
/** Rows of the event in the inbox, open or done (either engine). */
const storedCount = async (eventId: string): Promise<number> =>
  Number((await h.temp.store.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM chat_inbox WHERE event_id = ?', [eventId]))?.n);
const outbound = async () => (await h.messages()).filter((m) => m.direction === 'outbound');

describe('Slack replies are stored before Slack gets its answer', () => {
  it('when Slack gets its 200 the reply is already in the inbox; it is marked done once handled', async () => {
    h.slack.failNext('users.info', { kind: 'slow', delayMs: 1500 });
    const res = await h.slackEvent({ user: 'UAGENT', text: 'On its way', ts: ts(), thread_ts: rootTs }, { eventId: 'EvSLOW' });
    expect(res.status).toBe(200);
    expect(await outbound()).toEqual([]); // not handled yet (users.info is slow) ...
    expect((await h.temp.store.chatInbox.listOpen('slack')).map((e) => e.eventId)).toEqual(['EvSLOW']); // ... but kept
    await h.waitFor(() => h.twilio.calls.length === 1, 'the SMS');
    await h.waitFor(async () => (await h.temp.store.chatInbox.listOpen('slack')).length === 0, 'inbox row done');
  });

  it('a reply whose handling a crash cut short is handled at the next start, and sent once', async () => {
    // What a crash right after Slack's 200 leaves behind: the stored event, nothing else.
    const replyTs = ts();
    const envelope = {
      type: 'event_callback',
      team_id: h.slack.teamId,
      event_id: 'EvCRASH',
      event: { type: 'message', channel: CHANNEL, user: 'UAGENT', text: 'Sent after the restart', ts: replyTs, thread_ts: rootTs },
    };
    await h.temp.store.chatInbox.accept('slack', 'EvCRASH', JSON.stringify(envelope));
    expect(await h.slackRt.replayInbox()).toBe(1);
    await h.waitFor(() => h.twilio.calls.length === 1, 'the SMS after the restart');
    expect(h.twilio.calls[0]).toMatchObject({ From: OUR, To: CONTACT, Body: 'Sent after the restart' });
    expect(await h.temp.store.chatInbox.listOpen('slack')).toEqual([]);
    // Replayed again (another restart) or retried by Slack: recognised, no second SMS.
    await h.temp.store.chatInbox.accept('slack', 'EvCRASH2', JSON.stringify({ ...envelope, event_id: 'EvCRASH2' }));
    await h.slackRt.replayInbox();
    await h.slackEvent(envelope.event, { eventId: 'EvCRASH', retryNum: 1 });
    await new Promise((r) => setTimeout(r, 300));
    expect(h.twilio.calls).toHaveLength(1);
    expect(await outbound()).toHaveLength(1);
  });

  it('a reply whose handling failed stays in the inbox, keeps its place (the next reply waits for it), and the upkeep sends it, once', async () => {
    const messages = h.temp.store.messages;
    const insert = messages.insert;
    messages.insert = async () => {
      messages.insert = insert; // the database is back after this one call
      throw new Error('SQLITE_FULL: database or disk is full');
    };
    await h.slackEvent({ user: 'UAGENT', text: 'Try again', ts: ts(), thread_ts: rootTs }, { eventId: 'EvDOWN' });
    await h.slackEvent({ user: 'UAGENT', text: 'And this one after it', ts: ts(), thread_ts: rootTs }, { eventId: 'EvNEXT' });
    await h.waitFor(async () => (await outbound()).length === 1, 'the second reply stored');
    await new Promise((r) => setTimeout(r, 300));
    expect(h.twilio.calls).toEqual([]); // it waits behind the first, which holds its place
    expect((await h.temp.store.chatInbox.listOpen('slack')).map((e) => e.eventId)).toEqual(['EvDOWN']);
    expect(await h.slackRt.replayInbox()).toBe(1);
    await h.waitFor(() => h.twilio.calls.length === 2, 'both SMS');
    expect(h.twilio.calls.map((c) => c.Body)).toEqual(['Try again', 'And this one after it']);
    expect(await h.temp.store.chatInbox.listOpen('slack')).toEqual([]);
    expect(await h.slackRt.replayInbox()).toBe(0);
  });

  it('Slack gets its 200 only once the store committed the event, however long the store takes', async () => {
    const inbox = h.temp.store.chatInbox;
    const accept = inbox.accept;
    inbox.accept = async (...args) => {
      await new Promise((r) => setTimeout(r, 400)); // a slow database (a network round trip, a busy lock)
      return accept(...args);
    };
    const res = await h.slackEvent({ user: 'UAGENT', text: 'Slow store', ts: ts(), thread_ts: rootTs }, { eventId: 'EvSLOWSTORE' });
    expect(res.status).toBe(200);
    expect(await storedCount('EvSLOWSTORE')).toBe(1);
    inbox.accept = accept;
    await h.waitFor(() => h.twilio.calls.length === 1, 'the SMS');
  });

  it('an event the store could not take is answered 503 (not 200): Slack sends it again, and it goes once', async () => {
    const inbox = h.temp.store.chatInbox;
    const accept = inbox.accept;
    inbox.accept = async () => {
      inbox.accept = accept; // the database is back after this one call
      throw new Error('SQLITE_BUSY: database is locked');
    };
    const event = { user: 'UAGENT', text: 'Kept by Slack', ts: ts(), thread_ts: rootTs };
    const res = await h.slackEvent(event, { eventId: 'EvBUSY' });
    expect(res.status).toBe(503);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.twilio.calls).toEqual([]); // not handled either: Slack's retry will be
    expect(await h.temp.store.chatInbox.listOpen('slack')).toEqual([]);
    expect((await h.slackEvent(event, { eventId: 'EvBUSY', retryNum: 1 })).status).toBe(200);
    await h.waitFor(() => h.twilio.calls.length === 1, 'the SMS');
    await h.waitFor(async () => (await h.temp.store.chatInbox.listOpen('slack')).length === 0, 'inbox row done');
    await new Promise((r) => setTimeout(r, 300));
    expect(h.twilio.calls.map((c) => c.Body)).toEqual(['Kept by Slack']);
  });

  it('channel chatter and bot posts are not stored, only what the bridge may act on', async () => {
    await h.slackEvent({ user: 'UAGENT', text: 'lunch?', ts: ts() }, { eventId: 'EvCHAT' }); // not in a thread
    await h.slackEvent({ bot_id: 'BOTHER', text: 'a bot in the thread', ts: ts(), thread_ts: rootTs }, { eventId: 'EvBOT' });
    expect(await h.temp.store.sql.all('SELECT event_id FROM chat_inbox')).toEqual([]);
  });

  it('an unsigned or badly signed event is not stored', async () => {
    const res = await h.slackEvent({ user: 'UAGENT', text: 'forged', ts: ts(), thread_ts: rootTs }, { eventId: 'EvFORGED', secret: 'wrong-secret' });
    expect(res.status).toBe(401);
    expect(await h.temp.store.chatInbox.listOpen('slack')).toEqual([]);
    expect(await storedCount('EvFORGED')).toBe(0);
  });

  it('an event stamped more than 5 minutes in the future is refused and not stored, though correctly signed', async () => {
    const res = await h.slackEvent({ user: 'UAGENT', text: 'later', ts: ts(), thread_ts: rootTs }, { eventId: 'EvAHEAD', timestamp: Math.floor(Date.now() / 1000) + 10 * 60 });
    expect(res.status).toBe(401);
    expect(await storedCount('EvAHEAD')).toBe(0);
    // A few seconds ahead is only clock drift, well within Slack's 5 minutes.
    const drift = await h.slackEvent({ user: 'UAGENT', text: 'now', ts: ts(), thread_ts: rootTs }, { eventId: 'EvDRIFT', timestamp: Math.floor(Date.now() / 1000) + 30 });
    expect(drift.status).toBe(200);
  });
});
