import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { json, startTestBridge } from '../http/helpers.js';
import type { TestBridge } from '../http/helpers.js';
import { startFakeSlack, type FakeSlack } from '../fakes/fakeSlack.js';

interface MappingBody {
  id: string;
  number: string;
  platform: string;
  channel: string;
  createdAt: string;
}

let bridge: TestBridge;
let slack: FakeSlack;
beforeAll(async () => {
  slack = await startFakeSlack();
});
afterAll(async () => {
  await slack.close();
});
// Slack (against the fake) and Teams (anonymous, on loopback) turned on: mappings to them are kept.
beforeEach(async () => {
  bridge = await startTestBridge({
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: 'mappings-test-signing-secret',
    SLACK_API_URL: slack.apiUrl,
    TEAMS_ALLOW_ANONYMOUS: 'true',
  });
  await bridge.call('POST', '/admin/api/numbers', { body: { number: '+14155552671', provider: 'twilio' } });
});
afterEach(async () => {
  await bridge.cleanup();
});

const map = (body: unknown) => json<MappingBody>(bridge.call('POST', '/admin/api/mappings', { body }));

describe('admin API: number-to-channel mappings', () => {
  it('maps a provisioned number (typed in any format) to a Slack channel and a Teams channel', async () => {
    const slack = await map({ number: '415 555 2671', platform: 'slack', channel: 'C0123ABC' });
    expect(slack.status).toBe(201);
    expect(slack.body).toMatchObject({ number: '+14155552671', platform: 'slack', channel: 'C0123ABC' });
    expect(slack.body.id).toMatch(/^[0-9a-f-]{36}$/);
    const teams = await map({ number: '+14155552671', platform: 'teams', channel: '19:abc@thread.tacv2' });
    expect(teams.status).toBe(201);
    const list = await json<MappingBody[]>(bridge.call('GET', '/admin/api/mappings'));
    expect(list.body.map((m) => [m.platform, m.channel])).toEqual([
      ['slack', 'C0123ABC'],
      ['teams', '19:abc@thread.tacv2'],
    ]);
    const filtered = await json<MappingBody[]>(bridge.call('GET', '/admin/api/mappings?platform=teams'));
    expect(filtered.body).toHaveLength(1);
    const byNumber = await json<MappingBody[]>(bridge.call('GET', `/admin/api/mappings?number=${encodeURIComponent('(415) 555-2671')}`));
    expect(byNumber.body).toHaveLength(2);
    expect((await json(bridge.call('GET', `/admin/api/mappings/${slack.body.id}`))).body).toEqual(slack.body);
  });

  it('refuses to map a number that is not provisioned (422 on the number field)', async () => {
    const res = await map({ number: '+1 646 555 3890', platform: 'slack', channel: 'C0123ABC' });
    expect(res).toMatchObject({ status: 422, body: { error: { code: 'invalid_input', field: 'number' } } });
    expect((await json(bridge.call('GET', '/admin/api/mappings'))).body).toEqual([]);
  });

  it('the same number, platform and channel twice is a 409', async () => {
    expect((await map({ number: '+14155552671', platform: 'slack', channel: 'C0123ABC' })).status).toBe(201);
    expect(await map({ number: '+14155552671', platform: 'slack', channel: 'C0123ABC' })).toMatchObject({ status: 409, body: { error: { code: 'conflict' } } });
  });

  it.each([
    [{ platform: 'slack', channel: 'C1' }, 'number'],
    [{ number: '+14155552671', platform: 'discord', channel: 'C1' }, 'platform'],
    [{ number: '+14155552671', platform: 'slack' }, 'channel'],
    [{ number: '+14155552671', platform: 'slack', channel: '   ' }, 'channel'],
    [{ number: '+14155552671', platform: 'slack', channel: 42 }, 'channel'],
  ])('an invalid field is a 422 naming it: %j', async (body, field) => {
    expect(await map(body)).toMatchObject({ status: 422, body: { error: { code: 'invalid_input', field } } });
  });

  it('an unparsable number is a 400', async () => {
    expect(await map({ number: 'call me', platform: 'slack', channel: 'C1' })).toMatchObject({ status: 400, body: { error: { field: 'number' } } });
  });

  it('DELETE removes a mapping (204), then 404; the number stays provisioned', async () => {
    const m = await map({ number: '+14155552671', platform: 'slack', channel: 'C0123ABC' });
    expect((await bridge.call('DELETE', `/admin/api/mappings/${m.body.id}`)).status).toBe(204);
    expect((await json(bridge.call('GET', '/admin/api/mappings'))).body).toEqual([]);
    expect((await json(bridge.call('DELETE', `/admin/api/mappings/${m.body.id}`))).status).toBe(404);
    expect((await json<unknown[]>(bridge.call('GET', '/admin/api/numbers'))).body).toHaveLength(1);
  });

  it('mapping changes are audited', async () => {
    const m = await map({ number: '+14155552671', platform: 'slack', channel: 'C0123ABC' });
    await bridge.call('DELETE', `/admin/api/mappings/${m.body.id}`);
    const audit = await json<{ action: string; target: string; before: unknown; after: unknown }[]>(bridge.call('GET', '/admin/api/audit'));
    const mine = audit.body.filter((e) => e.action.startsWith('mapping.'));
    expect(mine.map((e) => e.action).sort()).toEqual(['mapping.create', 'mapping.delete']);
    expect(mine.every((e) => e.target === m.body.id)).toBe(true);
    expect(mine.find((e) => e.action === 'mapping.create')).toMatchObject({ before: null, after: { channel: 'C0123ABC' } });
  });
});
