// A chat post whose platform call completed but whose record never committed (the process died in
// between, the store failed, or the answer was lost) is not posted again: the retry finds the
// bridge's own post in Slack by its metadata and records it. Real store (both engines), the real
// Slack adapter, the strict fake Slack; the store failure is a real one (a trigger refusing the
// insert), not a mock.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlackApi } from '../../adapters/chat/slack/api.js';
import { platformMessageId } from '../../adapters/chat/slack/format.js';
import { SlackChatPlatform } from '../../adapters/chat/slack/platform.js';
import { recordInbound } from '../../src/app/recordInbound.js';
import { deliverMessage } from '../../src/delivery/deliverMessage.js';
import { ChatRegistry } from '../../src/delivery/registry.js';
import { MemoryLocks } from '../../src/infra/coordination/memoryLocks.js';
import { startFakeSlack, type FakeSlack } from '../fakes/fakeSlack.js';
import { createTempStore, type TempStore } from '../support/tempStore.js';

const OUR = '+14155552671';
const CONTACT = '+12125553456';
const CHANNEL = 'C0SMS';

let temp: TempStore;
let slack: FakeSlack;
let registry: ChatRegistry;

beforeEach(async () => {
  temp = await createTempStore();
  slack = await startFakeSlack();
  slack.addChannel(CHANNEL);
  // A short client timeout: the "answer lost" test lets the fake answer after it.
  const api = new SlackApi({ token: slack.botToken, apiUrl: slack.apiUrl, timeoutMs: 300 });
  registry = new ChatRegistry();
  registry.register(new SlackChatPlatform({ api, media: { read: async () => null }, teamId: () => slack.teamId }));
  await temp.store.numbers.create({ e164: OUR, provider: 'twilio', type: 'local', status: 'active', country: 'US' });
  await temp.store.mappings.create({ number: OUR, platform: 'slack', channel: CHANNEL });
});
afterEach(async () => {
  await slack.close();
  await temp.cleanup();
});

const deps = () => ({ store: temp.store, registry, locks: new MemoryLocks() });
const inbound = async (sid: string, body: string) =>
  (await recordInbound({ store: temp.store, clock: { now: () => new Date() } }, { provider: 'twilio', providerMessageId: sid, from: CONTACT, to: OUR, body, media: [] })).message;
const posts = () => slack.callsTo('chat.postMessage').length;
const intents = async () => (await temp.store.sql.all('SELECT kind, subject_id FROM chat_post_intents')).length;

/** Every insert into `table` fails, as a store that went away right after the platform call. */
async function refuseInserts(table: 'message_posts' | 'threads'): Promise<() => Promise<void>> {
  const sql = temp.store.sql;
  if (sql.engine === 'sqlite') {
    await sql.exec(`CREATE TRIGGER refuse_${table} BEFORE INSERT ON ${table} BEGIN SELECT RAISE(ABORT, 'store went away'); END;`);
    return () => sql.exec(`DROP TRIGGER refuse_${table}`);
  }
  await sql.exec(`CREATE FUNCTION refuse_insert() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'store went away'; END $$ LANGUAGE plpgsql;
    CREATE TRIGGER refuse_${table} BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION refuse_insert();`);
  return () => sql.exec(`DROP TRIGGER refuse_${table} ON ${table}; DROP FUNCTION refuse_insert();`);
}

describe('a post made but not recorded is not made again', () => {
  it('a message posted in Slack whose record failed is found on redelivery and recorded; nothing is posted twice', async () => {
    await deliverMessage(deps(), (await inbound('SM1', 'first')).id); // the thread exists
    const m = await inbound('SM2', 'second');
    const allow = await refuseInserts('message_posts');
    await expect(deliverMessage(deps(), m.id)).rejects.toThrow(/store went away/);
    await allow();
    const thread = (await temp.store.threads.listForConversation(m.conversationId))[0]!;
    const shown = slack.thread(CHANNEL, thread.threadId).filter((x) => x.text?.includes('second'));
    expect(shown).toHaveLength(1); // Slack has it; the store does not
    expect(await temp.store.posts.listForMessage(m.id)).toEqual([]);
    const before = posts();

    const again = await deliverMessage(deps(), m.id);

    expect(posts()).toBe(before);
    expect(slack.thread(CHANNEL, thread.threadId).filter((x) => x.text?.includes('second'))).toHaveLength(1);
    const recorded = await temp.store.posts.listForMessage(m.id);
    expect(recorded.map((p) => p.platformMessageId)).toEqual([platformMessageId(slack.teamId, CHANNEL, shown[0]!.ts)]);
    expect(again.posted.map((p) => p.platformMessageId)).toEqual([recorded[0]!.platformMessageId]);
    // It looked in that thread, asking for the metadata, from shortly before the first attempt.
    const look = slack.callsTo('conversations.replies').at(-1)!.args;
    expect(look).toMatchObject({ channel: CHANNEL, ts: thread.threadId, include_all_metadata: 'true' });
    expect(Number(look.oldest)).toBeLessThan(Number(shown[0]!.ts));
    expect(await intents()).toBe(0);
  });

  it('a thread root posted in Slack whose record failed is found on redelivery; the message goes under it', async () => {
    const m = await inbound('SM1', 'hello');
    const allow = await refuseInserts('threads');
    await expect(deliverMessage(deps(), m.id)).rejects.toThrow(/store went away/);
    await allow();
    expect(slack.roots(CHANNEL)).toHaveLength(1);

    await deliverMessage(deps(), m.id);

    expect(slack.roots(CHANNEL)).toHaveLength(1);
    const root = slack.roots(CHANNEL)[0]!;
    expect((await temp.store.threads.listForConversation(m.conversationId)).map((t) => t.threadId)).toEqual([root.ts]);
    expect(slack.thread(CHANNEL, root.ts).map((x) => x.text)).toEqual([expect.stringContaining('hello')]);
    expect(slack.callsTo('conversations.history').at(-1)!.args).toMatchObject({ channel: CHANNEL, include_all_metadata: 'true' });
    expect(await intents()).toBe(0);
  });

  it('an answer lost after Slack took the post (timeout) does not make a second post', async () => {
    await deliverMessage(deps(), (await inbound('SM1', 'first')).id);
    const m = await inbound('SM2', 'second');
    slack.failNext('chat.postMessage', { kind: 'slow', delayMs: 600 });
    await expect(deliverMessage(deps(), m.id)).rejects.toMatchObject({ retryable: true });
    await new Promise((r) => setTimeout(r, 800)); // the fake has posted it by now
    await deliverMessage(deps(), m.id);
    expect(slack.messages.filter((x) => x.text?.includes('second'))).toHaveLength(1);
    expect(await temp.store.posts.listForMessage(m.id)).toHaveLength(1);
  });

  it('an earlier attempt that did not post (Slack answered 503) is looked for, not found, and the message is posted once', async () => {
    await deliverMessage(deps(), (await inbound('SM1', 'first')).id);
    const m = await inbound('SM2', 'second');
    slack.failNext('chat.postMessage', { kind: 'http', status: 503 });
    await expect(deliverMessage(deps(), m.id)).rejects.toMatchObject({ retryable: true });
    expect(slack.messages.filter((x) => x.text?.includes('second'))).toHaveLength(0);
    const looked = slack.callsTo('conversations.replies').length;
    await deliverMessage(deps(), m.id);
    expect(slack.callsTo('conversations.replies').length).toBe(looked + 1);
    expect(slack.messages.filter((x) => x.text?.includes('second'))).toHaveLength(1);
    expect(await temp.store.posts.listForMessage(m.id)).toHaveLength(1);
  });

  it('after a 429 (Slack surely did not post) and on a first attempt, delivery does not look: one call, no lookup', async () => {
    const m = await inbound('SM1', 'hello');
    await deliverMessage(deps(), m.id);
    const m2 = await inbound('SM2', 'again');
    slack.failNext('chat.postMessage', { kind: 'ratelimit', retryAfterSec: 1 });
    await expect(deliverMessage(deps(), m2.id)).rejects.toMatchObject({ retryable: true, retryAfterMs: 1000 });
    await deliverMessage(deps(), m2.id);
    expect(slack.callsTo('conversations.replies')).toHaveLength(0);
    expect(slack.callsTo('conversations.history')).toHaveLength(0);
    expect(slack.messages.filter((x) => x.text?.includes('again'))).toHaveLength(1);
    expect(await intents()).toBe(0);
  });
});
