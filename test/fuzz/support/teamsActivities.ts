// Bot Framework activities as Teams sends them, one of every kind the bridge reads or must
// answer (messages and replies, edits, installs, channel events, invokes, reactions, events),
// for the Teams fuzz properties to mutate.

import { botAddedToTeamActivity } from '../../fakes/fakeBotConnector.js';

export const TEAMS_BOT = '28:bridge-app-id';
const TEAM = '19:team-general@thread.tacv2';
const CHANNEL = '19:sales-channel@thread.tacv2';
const TENANT = 'tenant-1';
const FROM = { id: '29:user-alice', name: 'Alice Agent', aadObjectId: 'aad-alice' };

let seq = 1_990_000_000_000;

function base(serviceUrl: string, type: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type,
    id: String(seq++),
    timestamp: '2026-12-01T10:00:00.000Z',
    localTimestamp: '2026-12-01T11:00:00.000+01:00',
    serviceUrl,
    channelId: 'msteams',
    from: FROM,
    recipient: { id: TEAMS_BOT, name: 'SMS Bridge' },
    conversation: { id: `${CHANNEL};messageid=1990000000000`, conversationType: 'channel', isGroup: true, tenantId: TENANT },
    channelData: { teamsChannelId: CHANNEL, teamsTeamId: TEAM, channel: { id: CHANNEL }, team: { id: TEAM }, tenant: { id: TENANT } },
    locale: 'en-US',
    ...extra,
  };
}

const invoke = (serviceUrl: string, name: string, value: unknown): Record<string, unknown> => base(serviceUrl, 'invoke', { name, value });

/** Every kind of activity, pointing at `serviceUrl` (the fake connector). */
export function teamsActivities(serviceUrl: string, opts: { withInstalls?: boolean } = {}): Record<string, unknown>[] {
  const installs = opts.withInstalls === false
    ? []
    : [
        botAddedToTeamActivity({ id: String(seq++), serviceUrl, botId: TEAMS_BOT, teamId: TEAM, teamName: 'Sales', tenantId: TENANT, from: FROM }),
        base(serviceUrl, 'installationUpdate', { action: 'add', conversation: { id: TEAM, conversationType: 'channel', tenantId: TENANT } }),
      ];
  return [
    ...installs,
    base(serviceUrl, 'message', { text: 'on our way', textFormat: 'plain' }),
    base(serviceUrl, 'message', {
      text: '<at>SMS Bridge</at> see <b>this</b>',
      textFormat: 'xml',
      entities: [{ type: 'mention', text: '<at>SMS Bridge</at>', mentioned: { id: TEAMS_BOT, name: 'SMS Bridge' } }, { type: 'clientInfo', locale: 'en-US' }],
      attachments: [
        { contentType: 'text/html', content: '<div>see <b>this</b></div>' },
        { contentType: 'image/*', contentUrl: `${serviceUrl}attachments/1`, name: 'photo.png' },
        { contentType: 'application/vnd.microsoft.teams.file.download.info', name: 'doc.pdf', content: { downloadUrl: `${serviceUrl}attachments/2`, uniqueId: 'u1', fileType: 'pdf' } },
      ],
    }),
    base(serviceUrl, 'message', { text: 'a new post', conversation: { id: CHANNEL, conversationType: 'channel', tenantId: TENANT } }),
    base(serviceUrl, 'message', { text: 'hi bot', conversation: { id: 'a:personal-chat', conversationType: 'personal', tenantId: TENANT }, channelData: { tenant: { id: TENANT } } }),
    base(serviceUrl, 'messageUpdate', { text: 'edited', channelData: { eventType: 'editMessage', channel: { id: CHANNEL }, team: { id: TEAM }, tenant: { id: TENANT } } }),
    base(serviceUrl, 'messageDelete', { channelData: { eventType: 'softDeleteMessage', channel: { id: CHANNEL }, team: { id: TEAM }, tenant: { id: TENANT } } }),
    ...['channelCreated', 'channelRenamed', 'channelRestored', 'channelDeleted', 'teamRenamed', 'teamDeleted'].map((eventType) =>
      base(serviceUrl, 'conversationUpdate', {
        conversation: { id: TEAM, conversationType: 'channel', tenantId: TENANT },
        channelData: { eventType, channel: { id: '19:new-channel@thread.tacv2', name: 'New' }, team: { id: TEAM, name: 'Sales' }, tenant: { id: TENANT } },
      }),
    ),
    base(serviceUrl, 'conversationUpdate', {
      conversation: { id: TEAM, conversationType: 'channel', tenantId: TENANT },
      membersRemoved: [{ id: TEAMS_BOT }],
      channelData: { eventType: 'teamMemberRemoved', team: { id: TEAM }, tenant: { id: TENANT } },
    }),
    base(serviceUrl, 'installationUpdate', { action: 'remove', conversation: { id: TEAM, conversationType: 'channel', tenantId: TENANT } }),
    invoke(serviceUrl, 'adaptiveCard/action', { action: { type: 'Action.Execute', verb: 'go', data: { a: 1 } }, trigger: 'manual' }),
    invoke(serviceUrl, 'task/fetch', { data: { type: 'task/fetch' }, context: { theme: 'default' } }),
    invoke(serviceUrl, 'task/submit', { data: { x: 1 } }),
    invoke(serviceUrl, 'composeExtension/query', { commandId: 'search', parameters: [{ name: 'q', value: 'x' }], queryOptions: { skip: 0, count: 25 } }),
    invoke(serviceUrl, 'composeExtension/submitAction', { commandId: 'c', data: {} }),
    invoke(serviceUrl, 'signin/verifyState', { state: '123456' }),
    invoke(serviceUrl, 'signin/tokenExchange', { id: 'x', connectionName: 'c', token: 'x' }),
    invoke(serviceUrl, 'fileConsent/invoke', { type: 'fileUpload', action: 'accept', context: {}, uploadInfo: { name: 'f', uploadUrl: 'https://example.invalid/' } }),
    invoke(serviceUrl, 'actionableMessage/executeAction', { body: '{}', actionId: 'a' }),
    invoke(serviceUrl, 'config/fetch', {}),
    invoke(serviceUrl, 'tab/fetch', { tabContext: { tabEntityId: 't' } }),
    invoke(serviceUrl, 'handoff/action', { continuation: 'c' }),
    base(serviceUrl, 'invoke'),
    base(serviceUrl, 'messageReaction', { reactionsAdded: [{ type: 'like' }], replyToId: '1990000000001' }),
    base(serviceUrl, 'event', { name: 'application/vnd.microsoft.meetingStart', value: { Id: 'm', StartTime: '2026-12-01T10:00:00Z' } }),
    base(serviceUrl, 'typing'),
    base(serviceUrl, 'endOfConversation', { code: 'userCancelled' }),
  ];
}
