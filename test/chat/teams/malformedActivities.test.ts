// Activities and tokens the bridge cannot read (issue 13, finding 8): a field it reads with the
// wrong type used to reach the handlers and SQLite (500), an invoke no handler answered got
// botbuilder's 501, and a token whose payload is `null` or whose audience cannot be made into
// text made botbuilder throw (500). Now: 400 naming the field, 200 for invokes, 401 for tokens;
// nothing stored, nothing sent. The Bot Framework does not retry a 4xx.
import { afterEach, beforeAll, afterAll, describe, expect, it, vi } from 'vitest';
import { b64url, channelClaims, makeKey, signToken } from '../../fakes/fakeOpenId.js';
import { rawUpload } from '../../support/rawUpload.js';
import { bearer, botAddedToTeam, CHANNEL, channelEvent, channelReply, installAndMap, startAuthenticatedHarness, startHarness, TEAM_ID, type Harness } from './harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const messageOf = (body: string): string => (JSON.parse(body) as { error: { message: string } }).error.message;

describe('activities with fields of the wrong type', () => {
  it('a reply whose text is a number, entities a number or attachments hold a number is a 400 naming the field, and nothing is sent', async () => {
    h = await startHarness();
    await installAndMap(h);
    const reply = channelReply({ serviceUrl: h.connector.serviceUrl, rootId: '1990000000000', text: 'x' });
    for (const [field, value] of [['text', 5], ['entities', 5], ['attachments', [5]], ['attachments', 'photo.png']] as const) {
      const res = await h.send({ ...reply, [field]: value });
      expect(res.status, field).toBe(400);
      expect(messageOf(res.body)).toContain(field);
    }
    expect(h.queues.sends).toEqual([]);
  });

  it('a reply naming its channel with a list (used to reach SQLite as a bind error, 500) is a 400', async () => {
    h = await startHarness();
    const reply = channelReply({ serviceUrl: h.connector.serviceUrl, rootId: '1990000000000', text: 'x' });
    const res = await h.send({ ...reply, channelData: { channel: { id: [] }, team: { id: 5 }, tenant: { id: 'tenant-1' } } });
    expect(res.status).toBe(400);
    expect(messageOf(res.body)).toMatch(/channelData\.(channel|team)\.id/);
    expect(await h.teams.channels.list()).toEqual([]);
  });

  it('a channelCreated event whose channel id is a number is a 400, and no channel is stored', async () => {
    h = await startHarness();
    const res = await h.send(channelEvent(h.connector.serviceUrl, 'channelCreated', { id: 5 as unknown as string, name: 'New' }));
    expect(res.status).toBe(400);
    expect(await h.teams.channels.list()).toEqual([]);
    // The same event with a text id is stored: only the type was wrong.
    expect((await h.send(channelEvent(h.connector.serviceUrl, 'channelCreated', { id: CHANNEL, name: 'New' }))).status).toBe(200);
    expect((await h.teams.channels.list()).map((c) => c.channelId)).toEqual([CHANNEL]);
  });

  it('a file attachment whose fileType is a number is a 400, not a TypeError in the reply path', async () => {
    h = await startHarness();
    const reply = channelReply({
      serviceUrl: h.connector.serviceUrl,
      rootId: '1990000000000',
      text: 'see file',
      attachments: [{ contentType: 'application/vnd.microsoft.teams.file.download.info', name: 'a.pdf', content: { downloadUrl: 'https://x.sharepoint.com/a', fileType: 5 } }],
    });
    const res = await h.send(reply);
    expect(res.status).toBe(400);
    expect(messageOf(res.body)).toContain('attachments.0.content');
  });

  it('an install whose membersAdded is not a list of accounts is a 400', async () => {
    h = await startHarness();
    const res = await h.send({ ...botAddedToTeam(h.connector.serviceUrl), membersAdded: [null] });
    expect(res.status).toBe(400);
    expect(h.connector.calls).toEqual([]);
  });
});

describe('invoke activities', () => {
  it('are answered 200 with an empty body (botbuilder answered 501), whatever their name', async () => {
    h = await startHarness();
    const base = channelReply({ serviceUrl: h.connector.serviceUrl, rootId: '1990000000000', text: '' });
    for (const name of ['adaptiveCard/action', 'composeExtension/query', 'task/fetch', 'signin/verifyState', undefined]) {
      const res = await h.send({ ...base, type: 'invoke', name, value: { action: { type: 'Action.Execute' } } });
      expect(res.status, String(name)).toBe(200);
      expect(res.body, String(name)).toBe('');
    }
    expect(h.connector.calls).toEqual([]);
  });
});

describe('tokens botbuilder cannot read', () => {
  // botbuilder prints every refused token (with the public key PEM) on stderr.
  beforeAll(() => void vi.spyOn(console, 'error').mockImplementation(() => undefined));
  afterAll(() => vi.restoreAllMocks());

  it('a token whose payload is null (unsigned or signed) is refused 401 on its headers, not a 500', async () => {
    const key = makeKey();
    const started = await startAuthenticatedHarness({ keys: [{ key, endorsements: ['msteams'] }] });
    h = started.h;
    const [head, , sig] = signToken(key, channelClaims(h.connector.serviceUrl)).split('.');
    for (const payload of ['null', '5', '[]', '"claims"']) {
      const token = `${head}.${b64url(Buffer.from(payload))}.${sig}`;
      const upload = await rawUpload({ url: h.url, path: '/api/messages', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(botAddedToTeam(h.connector.serviceUrl)) });
      expect((await upload.closed).statusLine, payload).toBe('HTTP/1.1 401 Unauthorized');
    }
    expect(await h.teams.channels.list()).toEqual([]);
    await started.openId.close();
  });

  it('a validly signed token whose aud or tid is an object without text form is refused 401, not a 500', async () => {
    const key = makeKey();
    const started = await startAuthenticatedHarness({ keys: [{ key, endorsements: ['msteams'] }] });
    h = started.h;
    h.connector.setTeamChannels(TEAM_ID, [{ id: TEAM_ID }]);
    for (const over of [{ aud: { toString: false } }, { tid: { toString: false } }, { aud: [5] }, { exp: 'tomorrow' }]) {
      const res = await h.send(botAddedToTeam(h.connector.serviceUrl), bearer(signToken(key, channelClaims(h.connector.serviceUrl, over))));
      expect(res.status, JSON.stringify(over)).toBe(401);
    }
    expect(await h.teams.channels.list()).toEqual([]);
    await started.openId.close();
  });
});
