// Two bridge instances on one store and one Redis prefix: a Slack event one instance stored (and
// Slack got its 200 for) but never handled, because the instance died, is handled by a survivor,
// once; an event an instance is handling is never taken from it while it lives; a restarted
// instance handles its previous life's events at start; a dead instance's stored reply keeps its
// place in its conversation's order.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../../../src/infra/queue/keys.js';
import { newRedis } from '../../support/redis.js';
import { CHANNEL, createSlackHarness, openConversationThread, type SlackHarness } from './harness.js';

/** The test upkeep period (production: 2 s); a dead instance's events wait at most about this. */
const UPKEEP_MS = 200;
/** An upkeep that never runs within a test: only start-up or an explicit replay claims then. */
const NO_UPKEEP_MS = 3_600_000;

let a: SlackHarness;
const others: SlackHarness[] = [];
let rootTs: string;
beforeEach(async () => {
  a = await createSlackHarness({ instanceId: 'bridge-a', inboxUpkeepMs: UPKEEP_MS });
  rootTs = await openConversationThread(a);
});
afterEach(async () => {
  for (const h of others.splice(0)) await h.close();
  await a.close();
});

const another = async (instanceId: string, inboxUpkeepMs = UPKEEP_MS): Promise<SlackHarness> => {
  const h = await createSlackHarness({ shareWith: a, instanceId, inboxUpkeepMs });
  others.push(h);
  return h;
};

let n = 0;
// Above the fake Slack's own counter (its thread root is <second>.000001): a reply stamped like the
// root would be the root itself, not a reply, and be ignored.
const ts = () => `${Math.floor(Date.now() / 1000)}.${String(500_000 + ++n).padStart(6, '0')}`;
/** A reply in the conversation's thread as Slack sends it (the raw body the inbox stores). */
const replyEnvelope = (eventId: string, text: string): string =>
  JSON.stringify({
    type: 'event_callback',
    team_id: a.slack.teamId,
    event_id: eventId,
    event: { type: 'message', channel: CHANNEL, user: 'UAGENT', text, ts: ts(), thread_ts: rootTs },
  });
const row = async (eventId: string) => {
  const r = await a.temp.store.sql.get<{ owner: string | null; attempts: number; done_at: string | null }>(
    'SELECT owner, attempts, done_at FROM chat_inbox WHERE platform = ? AND event_id = ?',
    ['slack', eventId],
  );
  if (!r) throw new Error(`no inbox row ${eventId}`);
  return r;
};
const settle = () => new Promise((r) => setTimeout(r, 5 * UPKEEP_MS));
const smsBodies = (h: SlackHarness) => h.twilio.calls.map((c) => c.Body);

describe('Slack inbox events of an instance that dies', () => {
  it('an event A stored but never handled is replayed by B, once, after A is no longer alive', async () => {
    const b = await another('bridge-b');
    // What A leaves when it dies right after Slack's 200: the stored event, owned by A.
    await a.temp.store.chatInbox.accept('slack', 'EvDIED', replyEnvelope('EvDIED', 'Sent by the survivor'), a.liveness.owner);
    await settle();
    expect(a.twilio.calls).toEqual([]); // A lives: B leaves A's event alone
    expect(await row('EvDIED')).toMatchObject({ owner: a.liveness.owner, done_at: null });

    // A dies: no upkeep of its own, no workers, and its heartbeat is gone.
    await a.slackRt.stop();
    await Promise.all([a.outbound.stop(), a.delivery.stop()]);
    await a.liveness.stop();
    // The bound: a survivor takes a dead instance's conversations over within 10 s.
    await b.waitFor(async () => (await row('EvDIED')).done_at !== null, "B handled A's event", 10_000);
    // Handled means stored and queued; the send follows on its own turn.
    await b.waitFor(() => smsBodies(a).length > 0, 'the SMS', 10_000);
    await settle(); // a second copy would show by now
    expect(smsBodies(a)).toEqual(['Sent by the survivor']);
    expect(await row('EvDIED')).toMatchObject({ owner: b.liveness.owner, attempts: 1 });
  });

  it('an event A is handling is never replayed, by B or by A itself, while A lives', async () => {
    const b = await another('bridge-b');
    a.slack.failNext('users.info', { kind: 'slow', delayMs: 1500 }); // handling takes a while
    expect((await a.slackEvent({ user: 'UAGENT', text: 'Handled by A alone', ts: ts(), thread_ts: rootTs }, { eventId: 'EvBUSY' })).status).toBe(200);
    expect(await row('EvBUSY')).toMatchObject({ owner: a.liveness.owner, done_at: null });
    expect(await b.slackRt.replayInbox()).toBe(0); // A is alive
    expect(await a.slackRt.replayInbox()).toBe(0); // A is handling it right now
    await a.waitFor(async () => (await row('EvBUSY')).done_at !== null, 'A handled its event');
    await a.waitFor(() => smsBodies(a).length > 0, 'the SMS', 10_000);
    await settle();
    expect(smsBodies(a)).toEqual(['Handled by A alone']);
    expect(await row('EvBUSY')).toMatchObject({ owner: a.liveness.owner, attempts: 0 });
  });

  it("a restarted A claims its previous life's events at start and handles them, once", async () => {
    await a.temp.store.chatInbox.accept('slack', 'EvLIFE', replyEnvelope('EvLIFE', 'Sent after the restart'), a.liveness.owner);
    // A killed (kill -9): its heartbeat stops, but its key is still there, naming its old life.
    await a.slackRt.stop();
    await Promise.all([a.outbound.stop(), a.delivery.stop()]);
    await a.liveness.stop();
    const redis = newRedis();
    try {
      await redis.set(keys.alivePrefix(a.prefix) + 'bridge-a', a.liveness.nonce, 'PX', 60_000);
      expect(await a.liveness.isAlive(a.liveness.owner)).toBe(true);
    } finally {
      await redis.quit();
    }
    // Restarted under the same instance name, with no upkeep round in the test: start-up claims.
    const restarted = await another('bridge-a', NO_UPKEEP_MS);
    expect(await row('EvLIFE')).toMatchObject({ owner: restarted.liveness.owner });
    await restarted.waitFor(async () => (await row('EvLIFE')).done_at !== null, 'the restarted A handled it');
    await restarted.waitFor(() => smsBodies(a).length > 0, 'the SMS', 10_000);
    await settle();
    expect(smsBodies(a)).toEqual(['Sent after the restart']);
    expect((await row('EvLIFE')).attempts).toBe(1);
  });

  it("a reply A stored keeps its place when A dies: B's later reply waits for it, and they go out in thread order", async () => {
    // B replays only when told: its workers get every chance to run first.
    const b = await another('bridge-b', NO_UPKEEP_MS);
    // A stores the first reply (and Slack gets its 200), then fails to handle it and dies.
    const messages = a.temp.store.messages;
    const insert = messages.insert;
    let failed = false;
    messages.insert = async () => {
      messages.insert = insert;
      failed = true;
      throw new Error('connection terminated');
    };
    expect((await a.slackEvent({ user: 'UAGENT', text: 'Written first', ts: ts(), thread_ts: rootTs }, { eventId: 'EvFIRST' })).status).toBe(200);
    await a.waitFor(() => failed, "A's handling failed");
    await a.slackRt.stop();
    await Promise.all([a.outbound.stop(), a.delivery.stop()]);
    await a.liveness.stop();

    // The next reply reaches B, which stores and queues it: it waits behind A's place.
    expect((await b.slackEvent({ user: 'UAGENT', text: 'Written second', ts: ts(), thread_ts: rootTs }, { eventId: 'EvSECOND' })).status).toBe(200);
    await b.waitFor(async () => (await row('EvSECOND')).done_at !== null, 'B handled its reply');
    await settle();
    expect(smsBodies(a)).toEqual([]);

    // B takes A's event over: the first reply fills its place, then both go, in order.
    expect(await b.slackRt.replayInbox()).toBe(1);
    await b.waitFor(() => smsBodies(a).length >= 2, 'both SMS', 10_000);
    await settle();
    expect(smsBodies(a)).toEqual(['Written first', 'Written second']);
  });

  it('two survivors replaying at the same time handle each event of a dead instance once', async () => {
    const b = await another('bridge-b', NO_UPKEEP_MS);
    const c = await another('bridge-c', NO_UPKEEP_MS);
    const ids = ['EvX1', 'EvX2', 'EvX3', 'EvX4', 'EvX5', 'EvX6'];
    // Stored by an instance that is gone (no heartbeat under its name).
    for (const id of ids) await a.temp.store.chatInbox.accept('slack', id, replyEnvelope(id, `reply ${id}`), 'bridge-gone~0badc0ffee00');
    const [byB, byC] = await Promise.all([b.slackRt.replayInbox(), c.slackRt.replayInbox()]);
    await a.waitFor(async () => {
      for (const id of ids) if ((await row(id)).done_at === null) return false;
      return true;
    }, 'every event handled');
    await a.waitFor(() => smsBodies(a).length >= ids.length, 'the SMS', 10_000);
    await settle();
    // A's own upkeep may have taken some too: however they were shared out, each went once.
    expect(byB + byC).toBeLessThanOrEqual(ids.length);
    for (const id of ids) expect((await row(id)).attempts).toBe(1);
    expect([...smsBodies(a)].sort()).toEqual(ids.map((id) => `reply ${id}`).sort());
  });
});
