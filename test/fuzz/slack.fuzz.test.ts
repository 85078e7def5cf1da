// POST /slack/events under fuzz: Events API envelopes, slash commands and interactivity payloads
// (`payload=`), mutated at every field, in other encodings and content types, signed right (so
// they reach the parsers) or wrong. Never a 5xx, the bridge keeps answering, and a request
// without a valid signature stores nothing.

import fc from 'fast-check';
import { describe } from 'vitest';
import { contentType, encodeBody, encoding, jsonText, mutatedHeaders, payloads, withContentType, anyString } from './support/arbitraries.js';
import { type FuzzBridge, useFuzzBridge } from './support/fuzzBridge.js';
import { fuzzIt, Tally } from './support/fuzzRun.js';
import type { RawRequest } from './support/rawRequest.js';
import { expectHandled, expectRefused } from './support/verdict.js';

const TEAM = 'T0TEST';
const CHANNEL = 'C0SMS';
const ts = (n: number): string => `1700000000.${String(n).padStart(6, '0')}`;
const envelope = (event: Record<string, unknown>): Record<string, unknown> => ({
  token: 'legacy',
  team_id: TEAM,
  api_app_id: 'A0APP',
  type: 'event_callback',
  event_id: 'Ev0FUZZ',
  event_time: 1700000000,
  event,
  authorizations: [{ enterprise_id: null, team_id: TEAM, user_id: 'UBOT', is_bot: true, is_enterprise_install: false }],
  is_ext_shared_channel: false,
});

/** What Slack really sends as JSON: event envelopes of the kinds the bridge and Bolt read, and the setup handshakes. */
const EVENTS: unknown[] = [
  envelope({ type: 'message', channel: CHANNEL, user: 'UAGENT', text: 'on our way', ts: ts(2), thread_ts: ts(1), event_ts: ts(2), channel_type: 'channel' }),
  envelope({
    type: 'message',
    subtype: 'file_share',
    channel: CHANNEL,
    user: 'UAGENT',
    text: 'photo',
    ts: ts(3),
    thread_ts: ts(1),
    files: [{ id: 'F1', name: 'a.png', mimetype: 'image/png', size: 10, url_private: 'http://127.0.0.1:9/f', url_private_download: 'http://127.0.0.1:9/f?dl' }],
  }),
  envelope({
    type: 'message',
    subtype: 'message_changed',
    channel: CHANNEL,
    ts: ts(5),
    message: { type: 'message', user: 'UAGENT', text: 'edited', ts: ts(2), thread_ts: ts(1), edited: { user: 'UAGENT', ts: ts(5) } },
    previous_message: { type: 'message', user: 'UAGENT', text: 'on our way', ts: ts(2), thread_ts: ts(1) },
  }),
  envelope({ type: 'message', subtype: 'message_deleted', channel: CHANNEL, ts: ts(6), deleted_ts: ts(2), previous_message: { type: 'message', user: 'UAGENT', text: 'x', ts: ts(2), thread_ts: ts(1) } }),
  envelope({ type: 'message', subtype: 'bot_message', channel: CHANNEL, bot_id: 'B1', text: 'bot', ts: ts(7), metadata: { event_type: 'smsb', event_payload: {} } }),
  envelope({ type: 'app_mention', channel: CHANNEL, user: 'UAGENT', text: '<@UBOT> hi', ts: ts(8) }),
  envelope({ type: 'reaction_added', user: 'UAGENT', reaction: 'thumbsup', item: { type: 'message', channel: CHANNEL, ts: ts(2) }, event_ts: ts(9) }),
  envelope({ type: 'member_joined_channel', user: 'UAGENT', channel: CHANNEL, channel_type: 'C', team: TEAM }),
  envelope({ type: 'channel_created', channel: { id: 'C0NEW', name: 'new', created: 1700000000, creator: 'UAGENT' } }),
  envelope({ type: 'subteam_updated', subteam: { id: 'S1', created_by: 'UAGENT', name: 'team' } }),
  envelope({ type: 'app_uninstalled' }),
  { token: 'legacy', challenge: 'c-123', type: 'url_verification' },
  { token: 'legacy', type: 'app_rate_limited', team_id: TEAM, minute_rate_limited: 1700000000, api_app_id: 'A0APP' },
];

const COMMAND: Record<string, string> = {
  token: 'legacy',
  team_id: TEAM,
  team_domain: 'fake',
  channel_id: CHANNEL,
  channel_name: 'sms-desk',
  user_id: 'UAGENT',
  user_name: 'agent',
  command: '/sms',
  text: 'help',
  api_app_id: 'A0APP',
  is_enterprise_install: 'false',
  response_url: 'http://127.0.0.1:9/commands/1',
  trigger_id: 'trig-1',
};
const COMMAND_TEXTS = ['help', '+14155552671 hello there', 'history +14155552671', 'map +14155552671', 'unmap +14155552671', 'numbers', '', '+1 415 555 2671'];

const user = { id: 'UAGENT', username: 'agent', name: 'agent', team_id: TEAM };
const team = { id: TEAM, domain: 'fake' };
/** Interactivity payloads, as Slack posts them in a `payload=` form field. */
const INTERACTIVITY: unknown[] = [
  {
    type: 'block_actions',
    user,
    api_app_id: 'A0APP',
    token: 'legacy',
    container: { type: 'message', message_ts: ts(2), channel_id: CHANNEL, is_ephemeral: false },
    trigger_id: 'trig-2',
    team,
    channel: { id: CHANNEL, name: 'sms-desk' },
    message: { type: 'message', text: 'x', ts: ts(2) },
    response_url: 'http://127.0.0.1:9/actions/1',
    actions: [{ action_id: 'a1', block_id: 'b1', text: { type: 'plain_text', text: 'Go' }, value: 'v', type: 'button', action_ts: '1700000000.1' }],
  },
  {
    type: 'view_submission',
    team,
    user,
    api_app_id: 'A0APP',
    token: 'legacy',
    trigger_id: 'trig-3',
    view: { id: 'V1', type: 'modal', callback_id: 'cb', state: { values: { b1: { a1: { type: 'plain_text_input', value: 'x' } } } }, team_id: TEAM, app_installed_team_id: TEAM },
    response_urls: [{ block_id: 'b1', action_id: 'a1', channel_id: CHANNEL, response_url: 'http://127.0.0.1:9/views/1' }],
  },
  { type: 'view_closed', team, user, api_app_id: 'A0APP', token: 'legacy', view: { id: 'V1', callback_id: 'cb' }, is_cleared: false },
  { type: 'shortcut', token: 'legacy', action_ts: '1700000000.2', team, user, callback_id: 'sc', trigger_id: 'trig-4' },
  { type: 'message_action', token: 'legacy', callback_id: 'ma', trigger_id: 'trig-5', team, channel: { id: CHANNEL }, user, message: { type: 'message', ts: ts(2), text: 'x' }, response_url: 'http://127.0.0.1:9/ma/1' },
  { type: 'block_suggestion', user, team, action_id: 'a1', block_id: 'b1', value: 'ab', api_app_id: 'A0APP', token: 'legacy', container: { type: 'view', view_id: 'V1' } },
  { type: 'interactive_message', actions: [{ name: 'n', type: 'button', value: 'v' }], callback_id: 'im', team, channel: { id: CHANNEL }, user, response_url: 'http://127.0.0.1:9/im/1' },
  { type: 'dialog_submission', submission: { a: 'b' }, callback_id: 'dl', team, user, channel: { id: CHANNEL }, response_url: 'http://127.0.0.1:9/dl/1' },
];

/** Form pairs of a command with fields dropped, repeated or given hostile values. */
const commandForm: fc.Arbitrary<[string, string][]> = fc
  .tuple(
    fc.constantFrom(...COMMAND_TEXTS),
    fc.array(
      fc.oneof(
        fc.tuple(fc.constantFrom(...Object.keys(COMMAND)), fc.constant<'drop'>('drop')),
        fc.tuple(fc.constantFrom(...Object.keys(COMMAND)), anyString),
        fc.tuple(fc.constantFrom(...Object.keys(COMMAND)), anyString.map((v) => ({ repeat: v }))),
        fc.tuple(anyString, anyString.map((v) => ({ repeat: v }))),
      ),
      { maxLength: 3 },
    ),
  )
  .map(([text, changes]) => {
    let pairs: [string, string][] = Object.entries({ ...COMMAND, text });
    for (const [name, change] of changes) {
      if (change === 'drop') pairs = pairs.filter(([k]) => k !== name);
      else if (typeof change === 'string') pairs = pairs.map(([k, v]) => [k, k === name ? change : v]);
      else pairs.push([name, change.repeat]);
    }
    return pairs;
  });

type Kind = 'event' | 'command' | 'interactivity' | 'ssl_check' | 'bytes';

/** A body and the content type Slack would give it. */
const slackBody: fc.Arbitrary<{ kind: Kind; text: string; type: string }> = fc.oneof(
  { weight: 5, arbitrary: jsonText(payloads(EVENTS)).map((text) => ({ kind: 'event' as const, text, type: 'application/json' })) },
  { weight: 3, arbitrary: commandForm.map((pairs) => ({ kind: 'command' as const, text: new URLSearchParams(pairs).toString(), type: 'application/x-www-form-urlencoded' })) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(jsonText(payloads(INTERACTIVITY)), fc.option(fc.constantFrom('payload', 'payload[]', 'PAYLOAD'), { nil: undefined }), fc.boolean())
      .map(([json, key, twice]) => {
        const form = new URLSearchParams([[key ?? 'payload', json]]);
        if (twice) form.append('payload', json);
        return { kind: 'interactivity' as const, text: form.toString(), type: 'application/x-www-form-urlencoded' };
      }),
  },
  { weight: 1, arbitrary: fc.constantFrom('ssl_check=1&token=legacy', 'ssl_check=', 'ssl_check=1&ssl_check=0').map((text) => ({ kind: 'ssl_check' as const, text, type: 'application/x-www-form-urlencoded' })) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map((text) => ({ kind: 'bytes' as const, text, type: 'application/json' })) },
);

type Signing = 'good' | 'wrong-secret' | 'stale' | 'future' | 'none' | 'garbage' | 'other-body';

function slackRequest(fz: FuzzBridge, signing: fc.Arbitrary<Signing>): fc.Arbitrary<{ req: RawRequest; signing: Signing; kind: Kind }> {
  return fc
    .tuple(slackBody, encoding, signing, fc.option(fc.constantFrom('0', '1', '3', '-1', 'x', ''), { nil: undefined }), fc.nat())
    .chain(([b, enc, signing, retryNum, salt]) => {
      const { body, headers: encHeaders } = encodeBody(b.text, enc);
      const now = Math.floor(Date.now() / 1000);
      let sigHeaders: [string, string][];
      switch (signing) {
        case 'good':
          sigHeaders = fz.slackHeaders(body);
          break;
        case 'wrong-secret':
          sigHeaders = fz.slackHeaders(body, { secret: `not-${fz.slackSecret}` });
          break;
        case 'stale':
          sigHeaders = fz.slackHeaders(body, { ts: now - 301 - (salt % 100_000) });
          break;
        case 'future':
          sigHeaders = fz.slackHeaders(body, { ts: now + 301 + (salt % 100_000) });
          break;
        case 'other-body':
          sigHeaders = fz.slackHeaders(Buffer.concat([body, Buffer.from(' ')]));
          break;
        case 'none':
          sigHeaders = [];
          break;
        case 'garbage':
          sigHeaders = [
            ['X-Slack-Request-Timestamp', String(now)],
            ['X-Slack-Signature', `v0=${'0'.repeat(64)}`],
          ];
          break;
      }
      const retry: [string, string][] = retryNum === undefined ? [] : [['X-Slack-Retry-Num', retryNum], ['X-Slack-Retry-Reason', 'http_timeout']];
      return fc.tuple(contentType(b.type), signing === 'good' ? mutatedHeadersKeepingSignature(sigHeaders) : mutatedHeaders(sigHeaders)).map(([type, sig]) => ({
        req: { method: 'POST', path: '/slack/events', headers: withContentType([...encHeaders, ...sig, ...retry], type), body },
        signing,
        kind: b.kind,
      }));
    });
}

/** A good signature stays good: only a repeat of one of its headers (same value) is added. */
function mutatedHeadersKeepingSignature(headers: [string, string][]): fc.Arbitrary<[string, string][]> {
  return fc.oneof({ weight: 6, arbitrary: fc.constant(headers) }, { weight: 1, arbitrary: fc.constantFrom(...headers).map((h) => [...headers, h]) });
}

const bridge = useFuzzBridge({ teams: 'anonymous' });

describe('POST /slack/events under fuzz', () => {
  // First, on a bridge nothing valid has reached yet: not one row may appear.
  fuzzIt(bridge, 'unsigned or wrongly signed requests are refused (4xx) and store nothing', { runs: 150, budgetMs: 8_000 }, ({ fz, baseline }) =>
    fc.asyncProperty(slackRequest(fz, fc.constantFrom<Signing>('wrong-secret', 'stale', 'future', 'none', 'garbage', 'other-body')), async ({ req }) => {
      await expectRefused(fz, req, await fz.send(req), baseline);
    }),
  );

  const tally = new Tally();
  const signing = fc.oneof({ weight: 9, arbitrary: fc.constant<Signing>('good') }, { weight: 1, arbitrary: fc.constantFrom<Signing>('wrong-secret', 'none', 'stale') });
  fuzzIt(
    bridge,
    'signed requests with mutated bodies, types and encodings never get a 5xx',
    { runs: 600, budgetMs: 12_000 },
    ({ fz }) =>
      fc.asyncProperty(slackRequest(fz, signing), async ({ req, signing, kind }) => {
        const answer = await fz.send(req);
        tally.add(`${signing} ${kind} ${answer.status}`);
        await expectHandled(fz, req, answer, { refusedOnHeaders: signing !== 'good' });
      }),
    () => tally.print('signed requests'),
  );
});
