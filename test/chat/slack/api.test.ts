// The Slack Web API client against the strict fake: how Slack's failures become PlatformErrors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSlackArgs, SlackApi } from '../../../adapters/chat/slack/api.js';
import { SlackChatPlatform } from '../../../adapters/chat/slack/platform.js';
import { PlatformError } from '../../../src/core/errors.js';
import { startFakeSlack, type FakeSlack } from '../../fakes/fakeSlack.js';

let slack: FakeSlack;
let api: SlackApi;
beforeAll(async () => {
  slack = await startFakeSlack();
  slack.addChannel('C1');
  api = new SlackApi({ token: slack.botToken, apiUrl: slack.apiUrl, timeoutMs: 2000 });
});
afterAll(async () => {
  await slack.close();
});

describe('Slack Web API client', () => {
  it('sends the bot token in the Authorization header and a form body, as @slack/web-api does', async () => {
    const { ts } = await api.postMessage({ channel: 'C1', text: 'hello' });
    expect(ts).toMatch(/^\d+\.\d{6}$/);
    expect(slack.callsTo('chat.postMessage').at(-1)?.args).toMatchObject({ channel: 'C1', text: 'hello' });
  });

  it('429 with Retry-After becomes a retryable PlatformError carrying the wait', async () => {
    slack.failNext('chat.postMessage', { kind: 'ratelimit', retryAfterSec: 7 });
    const err = await api.postMessage({ channel: 'C1', text: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlatformError);
    expect(err).toMatchObject({ retryable: true, retryAfterMs: 7000 });
  });

  it('a 5xx is retryable, a slow answer past the timeout is retryable', async () => {
    slack.failNext('chat.postMessage', { kind: 'http', status: 503 });
    await expect(api.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({ retryable: true });
    const quick = new SlackApi({ token: slack.botToken, apiUrl: slack.apiUrl, timeoutMs: 100 });
    slack.failNext('chat.postMessage', { kind: 'slow', delayMs: 400 });
    await expect(quick.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({ retryable: true });
  });

  it('Slack out of reach is retryable: the job tries again later', async () => {
    const away = new SlackApi({ token: slack.botToken, apiUrl: 'http://127.0.0.1:9/api/', timeoutMs: 2000 });
    await expect(away.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({ retryable: true, details: { platformCode: 'request_error' } });
  });

  it('arguments are form fields as @slack/web-api sends them: objects as JSON, empty values left out', () => {
    const form = new URLSearchParams(encodeSlackArgs({ channel: 'C1', unfurl_links: false, n: 3, metadata: { event_type: 'x', event_payload: { a: 1 } }, thread_ts: undefined, blocks: null }));
    expect([...form.keys()]).toEqual(['channel', 'unfurl_links', 'n', 'metadata']);
    expect(form.get('unfurl_links')).toBe('false');
    expect(JSON.parse(form.get('metadata') ?? '')).toEqual({ event_type: 'x', event_payload: { a: 1 } });
  });

  it('a wrong token, an unknown channel or a missing text fail for good with Slack\'s code', async () => {
    const wrong = new SlackApi({ token: 'xoxb-wrong', apiUrl: slack.apiUrl });
    await expect(wrong.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({ retryable: false, details: { platformCode: 'invalid_auth' } });
    await expect(api.postMessage({ channel: 'CNOPE', text: 'x' })).rejects.toMatchObject({ retryable: false, details: { platformCode: 'channel_not_found' } });
    await expect(api.call('chat.postMessage', { channel: 'C1' })).rejects.toMatchObject({ details: { platformCode: 'no_text' } });
  });

  it('a reaction that is already there, or already gone, is not an error', async () => {
    const { ts } = await api.postMessage({ channel: 'C1', text: 'r' });
    await api.addReaction('C1', ts, 'outbox_tray');
    await expect(api.addReaction('C1', ts, 'outbox_tray')).resolves.toBeUndefined();
    expect(slack.reactions.filter((r) => r.timestamp === ts)).toHaveLength(1);
    await api.removeReaction('C1', ts, 'outbox_tray');
    await expect(api.removeReaction('C1', ts, 'outbox_tray')).resolves.toBeUndefined();
    expect(slack.reactions.filter((r) => r.timestamp === ts)).toHaveLength(0);
  });

  it('files are fetched with the bot token only from Slack\'s own hosts', async () => {
    const f = slack.hostFile(Buffer.from('abc'), { name: 'a.txt', mimetype: 'text/plain' });
    expect((await api.downloadFile(f.url_private, 1000)).bytes.toString()).toBe('abc');
    await expect(api.downloadFile('http://127.0.0.2:9/steal', 1000)).rejects.toMatchObject({ retryable: false });
    await expect(api.downloadFile(f.url_private, 2)).rejects.toMatchObject({ details: { platformCode: 'too_large' } });
  });

  it('a thread root is posted with bridge metadata and a message goes into the thread', async () => {
    const platform = new SlackChatPlatform({ api, dataDir: '/nonexistent', teamId: () => 'T9' });
    const conversation = { id: 'conv1', number: '+14155552671', contact: '+12125553456', createdAt: '' };
    const { threadId } = await platform.createThread(conversation, 'C1');
    const thread = { conversationId: 'conv1', platform: 'slack', channel: 'C1', threadId, createdAt: '' };
    const message = {
      id: 'm1', conversationId: 'conv1', direction: 'inbound' as const, body: 'hi', status: 'received' as const, statusReason: null, errorCode: null,
      author: null, provider: 'twilio', providerMessageId: 'SM1', platformMessageId: null, encoding: 'GSM-7' as const, segments: 1, otherRecipients: [],
      media: [{ id: 'me1', messageId: 'm1', contentType: 'image/png', size: 3, path: 'media/missing', sourceUrl: null, status: 'stored' as const, reason: null, createdAt: '' }],
      createdAt: '', updatedAt: '',
    };
    const { platformMessageId } = await platform.post(thread, { message, conversation, origin: null, notices: [] });
    expect(platformMessageId).toMatch(/^slack:T9:C1:\d+\.\d+$/);
    const inThread = slack.thread('C1', threadId).map((m) => m.text);
    // The stored file is missing on disk: a notice replaces it in the thread.
    expect(inThread).toEqual(['hi', expect.stringContaining('could not be posted here: the stored file could not be read')]);
  });
});
