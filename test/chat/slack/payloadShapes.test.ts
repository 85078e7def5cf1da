// Which signed Slack bodies go on to Bolt, which are acknowledged and ignored, which are refused
// (adapters/chat/slack/payloadShapes.ts). Slack's real shapes must always pass.
import { describe, expect, it } from 'vitest';
import { checkSlackBody } from '../../../adapters/chat/slack/payloadShapes.js';

const FORM = 'application/x-www-form-urlencoded';
const reply = { type: 'message', channel: 'C1', user: 'U1', text: 'hi', ts: '1.2', thread_ts: '1.1', files: [{ id: 'F1', name: 'a.png', mimetype: 'image/png', size: 3, url_private: 'https://files.slack.com/a' }] };
const envelope = (event: unknown, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ token: 't', team_id: 'T1', api_app_id: 'A1', type: 'event_callback', event_id: 'Ev1', event_time: 1, event, authorizations: [{ enterprise_id: null, team_id: 'T1', user_id: 'UB', is_bot: true }], ...extra });

describe("Slack's own shapes pass to Bolt", () => {
  it.each([
    ['a reply in a thread', envelope(reply)],
    ['an edit', envelope({ type: 'message', subtype: 'message_changed', channel: 'C1', message: { ...reply, text: 'x' }, previous_message: reply })],
    ['a delete', envelope({ type: 'message', subtype: 'message_deleted', channel: 'C1', deleted_ts: '1.2', previous_message: reply })],
    ['a reaction', envelope({ type: 'reaction_added', user: 'U1', item: { type: 'message', channel: 'C1', ts: '1.2' } })],
    ['a channel created', envelope({ type: 'channel_created', channel: { id: 'C2', name: 'x', creator: 'U1' } })],
    ['the URL check', JSON.stringify({ token: 't', challenge: 'abc', type: 'url_verification' })],
  ])('%s', (_, body) => {
    expect(checkSlackBody('application/json', body)).toEqual({ action: 'pass' });
  });

  it('a slash command and an SSL check', () => {
    expect(checkSlackBody(FORM, 'command=%2Fsms&text=help&user_id=U1&channel_id=C1&team_id=T1&response_url=https%3A%2F%2Fhooks.slack.com%2Fx')).toEqual({ action: 'pass' });
    expect(checkSlackBody(FORM, 'ssl_check=1&token=t')).toEqual({ action: 'pass' });
  });
});

describe('what the bridge cannot read', () => {
  it.each([
    ['event null', envelope(null)],
    ['event a number', envelope(5)],
    ['event without a type', envelope({ channel: 'C1' })],
    ['item null', envelope({ type: 'reaction_added', item: null })],
    ['authorizations holding null', envelope({ type: 'message' }, { authorizations: [null] })],
    ['response_urls null', envelope({ type: 'message' }, { response_urls: null })],
    ['a reply whose text is a number', envelope({ ...reply, text: 5 })],
    ['a reply whose files are not a list of objects', envelope({ ...reply, files: ['a.png'] })],
    ['rate-limit notices', JSON.stringify({ type: 'app_rate_limited', team_id: 'T1', minute_rate_limited: 1 })],
  ])('Events API: %s is acknowledged and ignored (Slack retries non-2xx)', (_, body) => {
    expect(checkSlackBody('application/json', body).action).toBe('ignore');
  });

  it.each([
    ['JSON null', 'application/json', 'null'],
    ['a JSON list', 'application/json', '[]'],
    ['not JSON', 'application/json', '{"type":'],
    ['a form posted as JSON', 'application/x-www-form-urlencoded; charset=utf-8', 'command=%2Fsms'],
    ['url_verification without a challenge', 'application/json', '{"type":"url_verification"}'],
    ['payload=null', FORM, 'payload=null'],
    ['a payload without a type', FORM, 'payload=%7B%7D'],
    ['payload twice', FORM, 'payload=%7B%22type%22%3A%22x%22%7D&payload=%7B%22type%22%3A%22x%22%7D'],
    ['a command with text twice', FORM, 'command=%2Fsms&text=a&text=b&user_id=U1&channel_id=C1'],
    ['a form with no command', FORM, 'text=a&user_id=U1&channel_id=C1'],
  ])('%s is refused (400)', (_, type, body) => {
    expect(checkSlackBody(type, body).action).toBe('refuse');
  });

  it('a well-formed interactivity payload is acknowledged and ignored: the bridge has no interactive components', () => {
    expect(checkSlackBody(FORM, `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', actions: null }))}`)).toMatchObject({ action: 'ignore' });
  });
});
