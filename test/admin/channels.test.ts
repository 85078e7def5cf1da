// GET /admin/api/channels (what the console's mapping picker offers) and the checks on a new
// mapping: a Slack channel name instead of its id, and a platform that is not turned on.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestBridge, type TestBridge } from '../http/helpers.js';
import { startFakeSlack, type FakeSlack } from '../fakes/fakeSlack.js';

const OURS = '+14155552671';

interface Channel {
  platform: string;
  id: string;
  name: string;
  kind: string;
  team?: string | null;
}

let slack: FakeSlack;
beforeAll(async () => {
  slack = await startFakeSlack();
  slack.addChannel('C0SUPPORT1', 'support');
  slack.addChannel('G0PRIVATE1', 'billing-private', { private: true });
  slack.addChannel('C0SALES001', 'sales');
  slack.addChannel('C0OLD00001', 'old-stuff', { archived: true });
});
afterAll(async () => {
  await slack.close();
});

let bridge: TestBridge | null = null;
afterEach(async () => {
  await bridge?.cleanup();
  bridge = null;
  slack.pageSize = 1000;
  slack.scopes.add('groups:read');
  slack.scopes.add('channels:read');
});

const slackOn = () => ({ SLACK_BOT_TOKEN: slack.botToken, SLACK_SIGNING_SECRET: 'channels-test-secret', SLACK_API_URL: slack.apiUrl });

/** A Teams channel as the installation events record it (adapters/chat/teams/installation.ts). */
async function teamsChannelKnown(b: TestBridge, id: string, name: string, team: string) {
  await b.ctx.store.chatChannels.upsert({
    platform: 'teams',
    channel: id,
    name,
    reference: { serviceUrl: 'http://127.0.0.1:9/teams/', channelId: id, channelName: name, tenantId: 't1', teamId: '19:team@thread.tacv2', teamName: team, botId: '28:bot', botName: 'SMS' },
  });
}

describe('GET /admin/api/channels', () => {
  it('lists Slack public and private channels (not archived, every page), Teams channels the bot is installed in, and the web inbox', async () => {
    bridge = await startTestBridge({ ...slackOn(), TEAMS_ALLOW_ANONYMOUS: 'true' });
    await teamsChannelKnown(bridge, '19:general@thread.tacv2', 'General', 'Front desk');
    slack.pageSize = 2; // Slack may answer with fewer than `limit`: the cursor must be followed
    const before = slack.callsTo('conversations.list').length;
    const res = await json<Channel[]>(bridge.call('GET', '/admin/api/channels'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual(
      expect.arrayContaining([
        { platform: 'slack', id: 'C0SUPPORT1', name: 'support', kind: 'public' },
        { platform: 'slack', id: 'G0PRIVATE1', name: 'billing-private', kind: 'private' },
        { platform: 'slack', id: 'C0SALES001', name: 'sales', kind: 'public' },
        { platform: 'teams', id: '19:general@thread.tacv2', name: 'General', kind: 'channel', team: 'Front desk' },
        { platform: 'web', id: 'inbox', name: 'Web inbox', kind: 'inbox' },
      ]),
    );
    expect(res.body.find((c) => c.id === 'C0OLD00001')).toBeUndefined();
    expect(res.body).toHaveLength(5);
    const calls = slack.callsTo('conversations.list').slice(before);
    expect(calls.length).toBe(2);
    expect(calls[0]!.args).toMatchObject({ types: 'public_channel,private_channel', exclude_archived: 'true' });
    expect(calls[1]!.args.cursor).toEqual(expect.any(String));
  });

  it('keeps the Slack listing briefly (a second look asks Slack nothing), and ?refresh=true asks again', async () => {
    bridge = await startTestBridge(slackOn());
    await json(bridge.call('GET', '/admin/api/channels'));
    const after1 = slack.callsTo('conversations.list').length;
    await json(bridge.call('GET', '/admin/api/channels'));
    expect(slack.callsTo('conversations.list').length).toBe(after1);
    await json(bridge.call('GET', '/admin/api/channels?refresh=true'));
    expect(slack.callsTo('conversations.list').length).toBe(after1 + 1);
  });

  it('an app installed without groups:read is answered 502 telling to re-approve it, with what could be listed', async () => {
    slack.scopes.delete('groups:read');
    bridge = await startTestBridge(slackOn());
    const res = await json<{ error: { code: string; message: string; details: { problems: { platform: string; code: string }[]; channels: Channel[] } } }>(
      bridge.call('GET', '/admin/api/channels'),
    );
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('platform_error');
    expect(res.body.error.message).toMatch(/channels:read and groups:read/);
    expect(res.body.error.message).toMatch(/[Rr]e-approve the app/);
    expect(res.body.error.details.problems).toEqual([expect.objectContaining({ platform: 'slack', code: 'missing_scope' })]);
    expect(res.body.error.details.channels).toEqual([{ platform: 'web', id: 'inbox', name: 'Web inbox', kind: 'inbox' }]);
  });

  it('Slack rate limiting the listing is said as such, and a failure is not kept: the next look lists again', async () => {
    bridge = await startTestBridge(slackOn());
    slack.failNext('conversations.list', { kind: 'ratelimit', retryAfterSec: 30 });
    const limited = await json<{ error: { message: string } }>(bridge.call('GET', '/admin/api/channels'));
    expect(limited.status).toBe(502);
    expect(limited.body.error.message).toMatch(/rate limiting/);
    const again = await json<Channel[]>(bridge.call('GET', '/admin/api/channels'));
    expect(again.status).toBe(200);
    expect(again.body.map((c) => c.id)).toContain('C0SUPPORT1');
  });

  it('with no chat platform on, the web inbox is the one channel', async () => {
    bridge = await startTestBridge();
    expect(await json(bridge.call('GET', '/admin/api/channels'))).toEqual({ status: 200, body: [{ platform: 'web', id: 'inbox', name: 'Web inbox', kind: 'inbox' }] });
    expect(await json(bridge.call('GET', '/admin/api/channels?platform=slack'))).toEqual({ status: 200, body: [] });
    expect((await json(bridge.call('GET', '/admin/api/channels?bogus=1'))).status).toBe(422);
  });
});

describe('POST /admin/api/mappings: channel ids and platforms that are on', () => {
  it.each(['#support', 'support', 'Support desk'])('refuses the Slack channel name %j (422 on channel) and names the id of the channel Slack knows by that name', async (name) => {
    bridge = await startTestBridge(slackOn());
    await bridge.call('POST', '/admin/api/numbers', { body: { number: OURS, provider: 'local' } });
    const res = await json<{ error: { code: string; field: string; message: string } }>(bridge.call('POST', '/admin/api/mappings', { body: { number: OURS, platform: 'slack', channel: name } }));
    expect(res).toMatchObject({ status: 422, body: { error: { code: 'invalid_input', field: 'channel' } } });
    expect(res.body.error.message).toMatch(/starting with C \(or G\), e\.g\. C0123ABC/);
    if (name !== 'Support desk') expect(res.body.error.message).toContain('#support is C0SUPPORT1');
    expect((await json(bridge.call('GET', '/admin/api/mappings'))).body).toEqual([]);
    expect(await json(bridge.call('POST', '/admin/api/mappings', { body: { number: OURS, platform: 'slack', channel: 'C0SUPPORT1' } }))).toMatchObject({ status: 201 });
  });

  it('refuses a mapping to a platform that is off (422 on platform, saying how to turn it on); "allowOff": true keeps it with a warning', async () => {
    bridge = await startTestBridge();
    await bridge.call('POST', '/admin/api/numbers', { body: { number: OURS, provider: 'local' } });
    const refused = await json<{ error: { field: string; message: string } }>(bridge.call('POST', '/admin/api/mappings', { body: { number: OURS, platform: 'slack', channel: 'C0SUPPORT1' } }));
    expect(refused).toMatchObject({ status: 422, body: { error: { code: 'invalid_input', field: 'platform' } } });
    expect(refused.body.error.message).toMatch(/slack is not turned on in this bridge \(set SLACK_BOT_TOKEN/);
    const teams = await json<{ error: { field: string } }>(bridge.call('POST', '/admin/api/mappings', { body: { number: OURS, platform: 'teams', channel: '19:x@thread.tacv2' } }));
    expect(teams).toMatchObject({ status: 422, body: { error: { field: 'platform' } } });
    expect((await json(bridge.call('GET', '/admin/api/mappings'))).body).toEqual([]);

    const kept = await json<{ platform: string; warnings: string[] }>(bridge.call('POST', '/admin/api/mappings', { body: { number: OURS, platform: 'slack', channel: 'C0SUPPORT1', allowOff: true } }));
    expect(kept.status).toBe(201);
    expect(kept.body.warnings).toEqual([expect.stringMatching(/slack is not turned on .* turn it on for this mapping to take effect/)]);
    // A name is refused whether or not the platform is on (it could never be posted in).
    expect(await json(bridge.call('POST', '/admin/api/mappings', { body: { number: OURS, platform: 'slack', channel: '#support', allowOff: true } }))).toMatchObject({ status: 422, body: { error: { field: 'channel' } } });
  });
});
