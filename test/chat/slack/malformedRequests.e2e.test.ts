// Signed Slack requests the bridge cannot read (issue 13, finding 8: they used to crash Bolt with
// a TypeError, answered 500). Events API envelopes it cannot read are acknowledged with 200 and
// ignored (Slack retries every non-2xx, and a retry reads no better); bodies Slack never sends
// this way are a 400 with the reason; interactivity payloads are acknowledged at once (the bridge
// has no buttons, menus or modals). Nothing is stored, nothing is sent.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSlackHarness, openConversationThread, type SlackHarness } from './harness.js';

let h: SlackHarness;
beforeEach(async () => {
  h = await createSlackHarness();
});
afterEach(async () => {
  await h.close();
});

const inboxRows = async (): Promise<number> => Number((await h.temp.store.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM chat_inbox'))?.n);
const json = (v: unknown): Promise<Response> => h.signedPost(JSON.stringify(v), 'application/json');
const form = (fields: [string, string][]): Promise<Response> => h.signedPost(new URLSearchParams(fields).toString(), 'application/x-www-form-urlencoded');
const envelope = (event: unknown): Record<string, unknown> => ({ token: 'legacy', team_id: h.slack.teamId, type: 'event_callback', event_id: 'EvBAD', event_time: 1, event });

describe('signed Slack requests the bridge cannot read', () => {
  it('an event envelope whose event is null, a number, text or a list is acknowledged (200) and ignored, not a 500', async () => {
    for (const event of [null, 5, 'message', []]) {
      const res = await json(envelope(event));
      expect(res.status, JSON.stringify(event)).toBe(200);
    }
    expect(await inboxRows()).toBe(0);
  });

  it('an event whose channel, user or item is null (Bolt reads them with `in`) is acknowledged and ignored', async () => {
    for (const event of [{ type: 'reaction_added', item: null }, { type: 'channel_created', channel: null }, { type: 'member_joined_channel', user: null }, { type: 'subteam_updated', subteam: 5 }]) {
      const res = await json(envelope(event));
      expect(res.status, JSON.stringify(event)).toBe(200);
    }
    const res = await json({ ...envelope({ type: 'message' }), authorizations: [null] });
    expect(res.status).toBe(200);
  });

  it('a reply whose text or files have the wrong type is acknowledged and ignored: not kept in the inbox, no SMS', async () => {
    const rootTs = await openConversationThread(h);
    const reply = { type: 'message', channel: 'C0SMS', user: 'UAGENT', ts: '1700000001.000100', thread_ts: rootTs };
    for (const wrong of [{ text: 5 }, { text: { a: 1 } }, { files: 'a.png' }, { files: [null] }, { user: ['UAGENT'] }, { previous_message: 'x', subtype: 'message_changed' }]) {
      const res = await json(envelope({ ...reply, ...wrong }));
      expect(res.status, JSON.stringify(wrong)).toBe(200);
    }
    expect(await inboxRows()).toBe(0);
    // The same reply with its fields right goes out: only the wrong types were ignored.
    expect((await json({ ...envelope({ ...reply, text: 'on our way' }), event_id: 'EvGOOD' })).status).toBe(200);
    await h.waitFor(() => h.twilio.calls.length === 1, 'the well-formed reply sent');
    expect(h.twilio.calls.map((c) => c.Body)).toEqual([expect.stringContaining('on our way')]);
  });

  it('a body that is JSON but not an object (null, a number) is a 400 with the reason', async () => {
    for (const body of ['null', '5', '"event"', '[]']) {
      const res = await h.signedPost(body, 'application/json');
      expect(res.status, body).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/not a JSON object/);
    }
  });

  it('payload=null and other interactivity payloads that are not objects with a type are a 400', async () => {
    for (const payload of ['null', '5', '[]', '{}', '{"type":5}', 'not json']) {
      const res = await form([['payload', payload]]);
      expect(res.status, payload).toBe(400);
    }
    const twice = await form([['payload', '{"type":"block_actions"}'], ['payload', '{"type":"block_actions"}']]);
    expect(twice.status).toBe(400);
  });

  it('block actions with actions null and view submissions with view null are acknowledged at once (200), not a 500', async () => {
    for (const payload of [{ type: 'block_actions', actions: null, channel: null }, { type: 'view_submission', view: null, response_urls: null }, { type: 'shortcut', callback_id: 'x', team: null, user: null }]) {
      const started = Date.now();
      const res = await form([['payload', JSON.stringify(payload)]]);
      expect(res.status, payload.type).toBe(200);
      // Bolt held a payload nobody handles for 3 s and then answered 404.
      expect(Date.now() - started).toBeLessThan(2_000);
    }
  });

  it('a slash command with a field sent twice, or without command, user or channel, is a 400 naming it', async () => {
    const command: [string, string][] = [['command', '/sms'], ['text', 'help'], ['user_id', 'UAGENT'], ['channel_id', 'C0SMS'], ['team_id', h.slack.teamId]];
    const twice = await form([...command, ['text', 'numbers']]);
    expect(twice.status).toBe(400);
    expect(((await twice.json()) as { error: { message: string } }).error.message).toMatch(/text is sent more than once/);
    for (const missing of ['command', 'user_id', 'channel_id']) {
      const res = await form(command.filter(([k]) => k !== missing));
      expect(res.status, missing).toBe(400);
    }
  });

  it('url_verification without a challenge string is a 400; with one, Slack gets its challenge back', async () => {
    expect((await json({ type: 'url_verification', challenge: null })).status).toBe(400);
    const ok = await json({ type: 'url_verification', challenge: 'c-1', token: 'legacy' });
    expect(await ok.json()).toEqual({ challenge: 'c-1' });
  });

  it('the same bodies unsigned are still refused 401 (the shape is only read once the signature holds)', async () => {
    const res = await h.signedPost('null', 'application/json', { secret: 'not-the-secret' });
    expect(res.status).toBe(401);
  });
});
