// Slack in Socket Mode (SLACK_APP_TOKEN): events, /sms and interactivity arrive over the WebSocket
// the bridge opens to (a fake of) Slack on loopback, and the guarantees of /slack/events hold
// there too: a reply is stored before Slack gets its acknowledgement, a repeat changes nothing,
// order is kept; the socket comes back after a drop and nothing is lost or handled twice; Slack
// being away never stops the bridge taking SMS.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.js';
import { logLines } from '../../support/logLines.js';
import { waitUntil } from '../../support/wait.js';
import { CHANNEL, CONTACT, OUR, createSlackHarness, openConversationThread, responsesTo, type SlackHarness } from './harness.js';

let h: SlackHarness;
let logs: Record<string, unknown>[];
beforeEach(async () => {
  const { destination, lines } = logLines();
  logs = lines;
  h = await createSlackHarness({ socket: true, logger: createLogger({ level: 'info', destination }) });
  expect(h.slack.socket.isConnected()).toBe(true); // start() waited for the first connection
});
afterEach(async () => {
  await h.close();
});

const ts = () => `${Math.floor(Date.now() / 1000)}.${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const outbound = async () => (await h.messages()).filter((m) => m.direction === 'outbound');
const openEvents = async () => (await h.temp.store.chatInbox.listOpen('slack')).map((e) => e.eventId);
const reply = (threadTs: string, text: string) => ({ type: 'message', channel: CHANNEL, user: 'UAGENT', text, ts: ts(), thread_ts: threadTs });
const readyz = async () => {
  const res = await fetch(`${h.url}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const socketMetric = async () => /^smsb_slack_socket_connected (\d)$/m.exec(await (await fetch(`${h.url}/metrics`)).text())?.[1];
/** The bridge's own lines about its socket (not the library's debug lines). */
const socketLogs = () => logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('slack: socket')).map((l) => ({ level: l.level, msg: l.msg, reason: l.reason }));

describe('Slack Socket Mode', () => {
  it('a reply is in the chat inbox when Slack gets its acknowledgement, and goes out as SMS', async () => {
    const rootTs = await openConversationThread(h);
    h.slack.failNext('users.info', { kind: 'slow', delayMs: 1500 }); // handling takes a while
    // Read when the acknowledgement arrives (the read starts at once; awaited below).
    const openAtAck: Promise<string[]>[] = [];
    h.slack.socket.onAck = () => openAtAck.push(openEvents());
    const { envelopeId, eventId } = h.slack.socket.sendEvent(reply(rootTs, 'On its way'));
    await h.slack.socket.waitForAck(envelopeId);
    expect(await Promise.all(openAtAck)).toEqual([[eventId]]); // stored before the acknowledgement left
    expect(h.twilio.calls).toEqual([]); // acknowledged before the reply was handled
    await h.waitFor(() => h.twilio.calls.length === 1, 'the SMS');
    expect(h.twilio.calls[0]).toMatchObject({ From: OUR, To: CONTACT, Body: 'On its way' });
    await h.waitFor(async () => (await openEvents()).length === 0, 'inbox row done');
    expect(h.slack.socket.strayAcks).toEqual([]);
  });

  it('an event that could not be stored is not acknowledged; Slack sends it again and it is handled then, once', async () => {
    const rootTs = await openConversationThread(h);
    const inbox = h.temp.store.chatInbox;
    const accept = inbox.accept;
    inbox.accept = async () => {
      inbox.accept = accept; // the database is back after this one call
      throw new Error('SQLITE_BUSY: database is locked');
    };
    const { envelopeId } = h.slack.socket.sendEvent(reply(rootTs, 'Kept by Slack'));
    await sleep(500);
    expect(h.slack.socket.acked(envelopeId)).toBe(false);
    expect(h.twilio.calls).toEqual([]); // not handled either: the redelivery will be
    h.slack.socket.drop(); // Slack redelivers on the next connection
    await h.slack.socket.waitConnected(2);
    await h.slack.socket.waitForAck(envelopeId);
    await h.waitFor(() => h.twilio.calls.length === 1, 'the SMS');
    expect(h.twilio.calls[0]).toMatchObject({ Body: 'Kept by Slack' });
    await sleep(300);
    expect(h.twilio.calls).toHaveLength(1);
  });

  it('a dropped socket comes back; an event whose acknowledgement was lost is sent again, handled once, and its inbox row stays open until the first handling is done', async () => {
    const rootTs = await openConversationThread(h);
    h.slack.failNext('users.info', { kind: 'slow', delayMs: 3000 });
    h.slack.socket.loseAcks = true;
    const { envelopeId, eventId } = h.slack.socket.sendEvent(reply(rootTs, 'Sent once'));
    await h.waitFor(() => h.slack.socket.lostAcks.length === 1, 'the lost acknowledgement');
    h.slack.socket.loseAcks = false;
    h.slack.socket.drop();
    await h.slack.socket.waitConnected(2);
    await h.slack.socket.waitForAck(envelopeId);
    expect(h.slack.socket.sent.filter((e) => e.envelope_id === envelopeId).map((e) => e.retry_attempt)).toEqual([0, 1]);
    // The first handling is still waiting for Slack: were the bridge to die now, the row must be open.
    expect(h.twilio.calls).toEqual([]);
    expect(await openEvents()).toEqual([eventId]);
    await h.waitFor(() => h.twilio.calls.length === 1, 'the SMS');
    await h.waitFor(async () => (await openEvents()).length === 0, 'inbox row done');
    await sleep(300);
    expect(h.twilio.calls).toHaveLength(1);
    expect(await outbound()).toHaveLength(1);
  });

  it('replies keep their order: the second waits for the first, which Slack is slow to help prepare', async () => {
    const rootTs = await openConversationThread(h);
    h.slack.failNext('users.info', { kind: 'slow', delayMs: 1000 });
    const first = h.slack.socket.sendEvent(reply(rootTs, 'first'));
    const second = h.slack.socket.sendEvent(reply(rootTs, 'second'));
    await h.slack.socket.waitForAck(first.envelopeId);
    await h.slack.socket.waitForAck(second.envelopeId);
    await h.waitFor(() => h.twilio.calls.length === 2, 'both SMS');
    expect(h.twilio.calls.map((c) => c.Body)).toEqual(['first', 'second']);
  });

  it('/sms over the socket is acknowledged, answered through its response_url, and the SMS goes out', async () => {
    await h.setupNumber();
    const responseUrl = h.slack.responseUrl();
    const envelopeId = h.slack.socket.sendCommand({
      command: '/sms',
      text: '+1 212 555 3456 Your order is ready',
      user_id: 'UAGENT',
      user_name: 'agent',
      channel_id: CHANNEL,
      channel_name: 'sms-desk',
      team_domain: 'fake',
      response_url: responseUrl,
      trigger_id: 'trig-socket-1',
    });
    await h.slack.socket.waitForAck(envelopeId);
    await h.waitFor(() => responsesTo(h.slack, responseUrl).length === 1, 'the answer');
    expect(responsesTo(h.slack, responseUrl)[0]).toMatch(/queued/);
    await h.waitFor(() => h.twilio.calls.length === 1, 'the SMS');
    expect(h.twilio.calls[0]).toMatchObject({ From: OUR, To: CONTACT, Body: 'Your order is ready' });
  });

  it('a block action is acknowledged, though no handler of the bridge takes it', async () => {
    const envelopeId = h.slack.socket.sendInteractive({
      type: 'block_actions',
      user: { id: 'UAGENT', username: 'agent', team_id: h.slack.teamId },
      channel: { id: CHANNEL, name: 'sms-desk' },
      trigger_id: 'trig-action-1',
      response_url: h.slack.responseUrl(),
      container: { type: 'message', message_ts: ts(), channel_id: CHANNEL, is_ephemeral: false },
      actions: [{ type: 'button', action_id: 'open_history', block_id: 'b1', value: 'x', action_ts: ts() }],
    });
    const ack = await h.slack.socket.waitForAck(envelopeId);
    expect(ack.envelopeId).toBe(envelopeId);
    expect(h.slack.socket.strayAcks).toEqual([]);
  });

  it('/slack/events answers 404: nothing arrives over HTTP in Socket Mode', async () => {
    const rootTs = await openConversationThread(h);
    const res = await h.slackEvent(reply(rootTs, 'over HTTP'), { eventId: 'EvHTTP' });
    expect(res.status).toBe(404);
    await sleep(200);
    expect(await openEvents()).toEqual([]);
    expect(h.twilio.calls).toEqual([]);
  });

  it('with Slack away /readyz stays 200 and shows the socket, SMS are still taken, and the socket comes back (logged once each way)', async () => {
    expect(await readyz()).toEqual({ status: 200, body: { status: 'ok', slack: 'connected' } });
    expect(await socketMetric()).toBe('1');
    await h.setupNumber();
    h.slack.socket.refuseConnections = true;
    h.slack.failNext('apps.connections.open', { kind: 'http', status: 503 }, 3);
    h.slack.socket.drop();
    await waitUntil(async () => (await readyz()).body.slack !== 'connected', 'the socket down in /readyz');
    const down = await readyz();
    expect(down.status).toBe(200);
    expect(['connecting', 'disconnected']).toContain(down.body.slack);
    expect(await socketMetric()).toBe('0');
    // The SMS side keeps working; its post into Slack waits in the outbox, not in memory.
    expect((await h.inboundSms({ sid: 'SMaway', body: 'anyone there?' })).status).toBe(200);
    expect((await h.messages()).map((m) => m.body)).toContain('anyone there?');
    await sleep(1000); // several attempts fail meanwhile
    expect(h.slack.callsTo('apps.connections.open').length).toBeGreaterThan(3);

    h.slack.socket.refuseConnections = false;
    await h.slack.socket.waitConnected(2);
    await waitUntil(async () => (await readyz()).body.slack === 'connected', 'the socket back in /readyz');
    expect(await socketMetric()).toBe('1');
    const lost = 'the connection was closed (code 1006)'; // cut without a close frame
    expect(socketLogs()).toEqual([
      { level: 30, msg: 'slack: socket connected', reason: undefined },
      { level: 40, msg: 'slack: socket connection lost; reconnecting (events wait at Slack, SMS webhooks are still taken)', reason: lost },
      { level: 30, msg: 'slack: socket connected again', reason: lost },
    ]);
    // Events flow again.
    await h.waitFor(() => h.slack.messages.length >= 2, 'the inbound thread');
    const rootTs = h.slack.roots(CHANNEL)[0]!.ts;
    const { envelopeId } = h.slack.socket.sendEvent(reply(rootTs, 'back again'));
    await h.slack.socket.waitForAck(envelopeId);
    await h.waitFor(() => h.twilio.calls.length === 1, 'the SMS');
  });

  it("Slack's request for a new connection is followed at once and logged at info with its reason", async () => {
    h.slack.socket.askToReconnect('refresh_requested');
    await h.slack.socket.waitConnected(2);
    await waitUntil(async () => (await readyz()).body.slack === 'connected', 'connected again');
    expect(socketLogs()).toEqual([
      { level: 30, msg: 'slack: socket connected', reason: undefined },
      { level: 30, msg: 'slack: socket reconnecting', reason: 'Slack asked for a new connection (refresh_requested)' },
      { level: 30, msg: 'slack: socket connected again', reason: 'Slack asked for a new connection (refresh_requested)' },
    ]);
    // The new connection carries the work.
    const envelopeId = h.slack.socket.sendInteractive({ type: 'block_actions', user: { id: 'UAGENT' }, actions: [{ type: 'button', action_id: 'a', block_id: 'b', action_ts: ts() }] });
    await h.slack.socket.waitForAck(envelopeId);
  });
});
