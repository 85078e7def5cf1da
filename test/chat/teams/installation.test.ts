// Installation: the bot learns (and forgets) the channels it may post in; admins list them.

import express from 'express';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requireAdmin } from '../../../src/admin/auth.js';
import { teamsChannelsRouter } from '../../../adapters/chat/teams/index.js';
import { CHANNEL, OUR, TEAM_ID, TENANT, botAddedToTeam, channelEvent, installationUpdate, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  h.connector.setTeamChannels(TEAM_ID, [{ id: TEAM_ID }, { id: CHANNEL, name: 'Sales leads' }]);
});
afterEach(async () => {
  await h.close();
});

const installed = async () => (await h.teams.channels.list()).map((c) => [c.channelId, c.channelName]);

describe('Teams installation', () => {
  it('adding the bot to a team stores the conversation references of its channels', async () => {
    expect((await h.send(botAddedToTeam(h.connector.serviceUrl, 'Sales'))).status).toBe(200);
    expect(await installed()).toEqual([
      [TEAM_ID, 'General'],
      [CHANNEL, 'Sales leads'],
    ]);
    expect(await h.teams.channels.get(CHANNEL)).toMatchObject({
      serviceUrl: h.connector.serviceUrl,
      channelId: CHANNEL,
      tenantId: TENANT,
      teamId: TEAM_ID,
      teamName: 'Sales',
      removedAt: null,
    });
  });

  it('installationUpdate add stores the channels too; remove marks every channel of the team removed', async () => {
    await h.send(installationUpdate(h.connector.serviceUrl, 'add'));
    expect(await installed()).toHaveLength(2);
    await h.send(installationUpdate(h.connector.serviceUrl, 'remove'));
    expect(await installed()).toEqual([]);
    const all = await h.teams.channels.list({ includeRemoved: true });
    expect(all).toHaveLength(2);
    expect(all.every((c) => c.removedAt !== null)).toBe(true);
    // Re-installing brings them back.
    await h.send(installationUpdate(h.connector.serviceUrl, 'add'));
    expect(await installed()).toHaveLength(2);
  });

  it('the bot removed from the team (teamMemberRemoved) is recorded as removal', async () => {
    await h.send(botAddedToTeam(h.connector.serviceUrl));
    const removed = { ...botAddedToTeam(h.connector.serviceUrl), membersAdded: undefined, membersRemoved: [{ id: '28:bridge-app-id' }], channelData: { eventType: 'teamMemberRemoved', team: { id: TEAM_ID }, tenant: { id: TENANT } } };
    await h.send(removed);
    expect(await installed()).toEqual([]);
  });

  it('channels created, renamed and deleted later are followed', async () => {
    await h.send(botAddedToTeam(h.connector.serviceUrl));
    const support = '19:support@thread.tacv2';
    await h.send(channelEvent(h.connector.serviceUrl, 'channelCreated', { id: support, name: 'Support' }));
    expect(await installed()).toContainEqual([support, 'Support']);
    await h.send(channelEvent(h.connector.serviceUrl, 'channelRenamed', { id: support, name: 'Customer support' }));
    expect(await installed()).toContainEqual([support, 'Customer support']);
    await h.send(channelEvent(h.connector.serviceUrl, 'channelDeleted', { id: support }));
    expect((await installed()).map((c) => c[0])).not.toContain(support);
    expect((await h.teams.channels.get(support))?.removedAt).not.toBeNull();
  });

  it('a personal-scope install is not a channel and is ignored', async () => {
    const personal = { ...botAddedToTeam(h.connector.serviceUrl), conversation: { id: 'a:personal', conversationType: 'personal' }, channelData: { tenant: { id: TENANT } } };
    await h.send(personal);
    expect(await installed()).toEqual([]);
  });

  it('the admin API lists known Teams channels (with mapped numbers) behind the admin token', async () => {
    await h.send(botAddedToTeam(h.connector.serviceUrl, 'Sales'));
    await h.temp.store.numbers.create({ e164: OUR, provider: 'twilio', type: 'local', status: 'active', country: 'US' });
    await h.temp.store.mappings.create({ number: OUR, platform: 'teams', channel: CHANNEL });

    const app = express();
    app.use(teamsChannelsRouter({ channels: h.teams.channels, mappings: h.temp.store.mappings, requireAdmin: requireAdmin('admin-secret') }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await fetch(`${base}/admin/api/teams/channels`)).status).toBe(401);
      const res = await fetch(`${base}/admin/api/teams/channels`, { headers: { authorization: 'Bearer admin-secret' } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { channel: string; name: string; teamName: string; numbers: string[] }[];
      expect(body).toEqual([
        expect.objectContaining({ channel: TEAM_ID, name: 'General', teamName: 'Sales', numbers: [] }),
        expect.objectContaining({ channel: CHANNEL, name: 'Sales leads', teamName: 'Sales', numbers: [OUR], tenantId: TENANT }),
      ]);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
