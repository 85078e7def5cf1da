// Stored before acknowledged, in Slack's Socket Mode, shown the hard way: the bridge (a real child
// process) is killed with SIGKILL the moment the fake Slack receives its acknowledgement of a
// reply, while the reply is still being handled. Slack will never send that event again; the
// chat inbox holds it, and the next start sends the SMS, once.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../fakes/fakeSlack.js';
import { signTwilioWebhook, startFakeTwilio, twilioInboundParams, type FakeTwilio } from '../fakes/twilioFake.js';
import { startChildBridge, type ChildBridge } from '../support/childBridge.js';
import { freePort } from '../support/listen.js';
import { REDIS_URL, deletePrefix, withRedis } from '../support/redis.js';
import { waitUntil } from '../support/wait.js';

const OUR = '+14155552671';
const CONTACT = '+12125553456';
const CHANNEL = 'C0SOCK';
const ADMIN = 'admin-token-for-socket-crash-01';

let slack: FakeSlack | null = null;
let twilio: FakeTwilio | null = null;
let bridge: ChildBridge | null = null;
let dataDir: string | null = null;
let prefix: string | null = null;
afterEach(async () => {
  await bridge?.kill9();
  await slack?.close();
  await twilio?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  if (prefix) await withRedis((r) => deletePrefix(r, prefix!));
  bridge = slack = twilio = dataDir = prefix = null;
});

function inboxRows(dir: string): Array<{ event_id: string; done: number }> {
  const db = new Database(join(dir, 'sms-bridge.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare("SELECT event_id, done_at IS NOT NULL AS done FROM chat_inbox WHERE platform = 'slack'").all() as Array<{ event_id: string; done: number }>;
  } finally {
    db.close();
  }
}

it('killed right after Slack got its acknowledgement of a reply, the bridge sends that SMS at its next start, once', async () => {
  slack = await startFakeSlack();
  twilio = await startFakeTwilio();
  slack.addChannel(CHANNEL, 'sms-desk');
  slack.addUser({ id: 'UAGENT', name: 'agent' });
  const port = await freePort();
  dataDir = mkdtempSync(join(tmpdir(), 'sms-bridge-socket-crash-'));
  prefix = `test-${randomUUID()}`;
  const env: Record<string, string> = {
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: dataDir,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    ADMIN_TOKEN: ADMIN,
    LOG_LEVEL: 'warn',
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_APP_TOKEN: slack.appToken,
    SLACK_API_URL: slack.apiUrl,
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_AUTH_TOKEN: twilio.authToken,
    TWILIO_API_URL: twilio.url,
  };
  bridge = startChildBridge(env);
  await bridge.healthy();
  expect(slack.socket.isConnected()).toBe(true); // start-up waited for the socket
  const admin = (path: string, body: unknown) =>
    fetch(`${bridge!.url}/admin/api${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect((await admin('/numbers', { number: OUR, provider: 'twilio' })).status).toBe(201);
  expect((await admin('/mappings', { number: OUR, platform: 'slack', channel: CHANNEL })).status).toBe(201);
  const params = twilioInboundParams({ sid: 'SMin', from: CONTACT, to: OUR, body: 'is my order ready?', accountSid: twilio.accountSid });
  const signed = signTwilioWebhook(twilio.authToken, `${env.PUBLIC_URL}/webhooks/twilio/sms`, params);
  expect((await fetch(`${bridge.url}/webhooks/twilio/sms`, { method: 'POST', headers: signed.headers, body: signed.body })).status).toBe(200);
  await waitUntil(() => slack!.roots(CHANNEL).length === 1, 'the contact\'s thread', 15_000);
  const rootTs = slack.roots(CHANNEL)[0]!.ts;

  // The reply's handling waits on Slack (users.info): the kill comes in the middle of it.
  slack.failNext('users.info', { kind: 'slow', delayMs: 10_000 });
  const first = bridge;
  slack.socket.onAck = () => first.child.kill('SIGKILL'); // the only envelope from here on
  const ts = `${Math.floor(Date.now() / 1000)}.000777`;
  const { envelopeId, eventId } = slack.socket.sendEvent({ type: 'message', channel: CHANNEL, user: 'UAGENT', text: 'Ready at 5', ts, thread_ts: rootTs });
  await first.exited;
  slack.socket.onAck = null;
  expect(slack.socket.acked(envelopeId)).toBe(true); // Slack will not send it again
  expect(twilio.calls).toEqual([]);
  expect(inboxRows(dataDir)).toEqual([{ event_id: eventId, done: 0 }]);

  bridge = startChildBridge(env);
  await bridge.healthy();
  await waitUntil(() => twilio!.calls.length === 1, 'the SMS after the restart', 20_000);
  expect(twilio.calls[0]).toMatchObject({ From: OUR, To: CONTACT, Body: 'Ready at 5' });
  await waitUntil(() => inboxRows(dataDir!).every((r) => r.done === 1), 'the inbox row done', 10_000);
  await new Promise((r) => setTimeout(r, 500));
  expect(twilio.calls).toHaveLength(1);
  expect(slack.socket.sent.filter((e) => e.envelope_id === envelopeId)).toHaveLength(1); // never redelivered
}, 90_000);
