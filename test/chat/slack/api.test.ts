// The Slack Web API client against the strict fake: how Slack's failures become PlatformErrors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSlackArgs, SlackApi } from '../../../adapters/chat/slack/api.js';
import { SlackChatPlatform } from '../../../adapters/chat/slack/platform.js';
import { PlatformError } from '../../../src/core/errors.js';
import type { Message } from '../../../src/core/types.js';
import { linksIn, shownText, startFakeSlack, type FakeSlack } from '../../fakes/fakeSlack.js';

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

  it('blocks Slack would not take are refused as Slack refuses them (the fake is as strict as Slack)', async () => {
    const post = (blocks: unknown) => api.call('chat.postMessage', { channel: 'C1', text: 'x', blocks });
    const section = (elements: unknown[]) => [{ type: 'rich_text', elements: [{ type: 'rich_text_section', elements }] }];
    await expect(post(section([{ type: 'text', text: 'ok', style: { bold: true } }, { type: 'link', url: 'tel:+14155552671', text: '(415) 555-2671' }]))).resolves.toMatchObject({ ok: true });
    for (const bad of [
      section([{ type: 'mrkdwn', text: '*x*' }]), // not a rich text element
      section([{ type: 'text', text: '' }]), // empty text
      section([{ type: 'text', text: 'x', style: { blink: true } }]),
      section([{ type: 'link', text: 'no url' }]),
      section([{ type: 'link', url: 'http://evil.example|bank.com' }]), // not a URL
      section([{ type: 'text', text: 'x', verbatim: true }]), // a field it does not have
      [{ type: 'rich_text', elements: [{ type: 'rich_text_blockquote', elements: [] }] }],
      [{ type: 'rich_text', elements: [] }],
      [{ type: 'marquee' }],
    ]) {
      await expect(post(bad)).rejects.toMatchObject({ retryable: false, details: { platformCode: 'invalid_blocks' } });
    }
    await expect(post(section([{ type: 'text', text: 'x'.repeat(13_000) }]))).rejects.toMatchObject({ details: { platformCode: 'msg_blocks_too_long' } });
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

  /** A conversation's thread in C1 opened by the platform, and an inbound message of it. */
  async function openThread(id: string, body: string, media: Message['media'] = []) {
    const platform = new SlackChatPlatform({ api, media: { read: async () => null }, teamId: () => 'T9' });
    const conversation = { id, number: '+14155552671', contact: '+12125553456', createdAt: '' };
    const { threadId } = await platform.createThread(conversation, 'C1');
    const thread = { conversationId: id, platform: 'slack', channel: 'C1', threadId, createdAt: '' };
    const message: Message = {
      id: `m-${id}`, conversationId: id, direction: 'inbound', body, status: 'received', statusReason: null, errorCode: null,
      author: null, provider: 'twilio', providerMessageId: `SM-${id}`, platformMessageId: null, encoding: 'GSM-7', segments: 1, otherRecipients: [],
      media, createdAt: '', updatedAt: '',
    };
    const post = () => platform.post(thread, { message, conversation, origin: null, notices: [] });
    return { post, threadId };
  }

  it('a thread root is posted with bridge metadata and a message goes into the thread', async () => {
    const { post, threadId } = await openThread('conv1', 'hi', [
      { id: 'me1', messageId: 'm-conv1', contentType: 'image/png', size: 3, path: 'media/missing', sourceUrl: null, status: 'stored', reason: null, createdAt: '' },
    ]);
    const { platformMessageId } = await post();
    expect(platformMessageId).toMatch(/^slack:T9:C1:\d+\.\d+$/);
    const inThread = slack.thread('C1', threadId).map(shownText);
    // The stored file cannot be found: a notice replaces it in the thread.
    expect(inThread).toEqual(['(212) 555-3456 texted:\n> hi', expect.stringContaining('could not be posted here: the stored file could not be read')]);
  });

  it('a post whose blocks Slack refuses is posted again with every link as text, never left out of its thread', async () => {
    const { post, threadId } = await openThread('conv2', 'see https://ex.com/a');
    slack.failNext('chat.postMessage', { kind: 'error', error: 'invalid_blocks' });
    await post();
    const inThread = slack.thread('C1', threadId);
    expect(inThread.map(shownText)).toEqual(['(212) 555-3456 texted:\n> see https://ex.com/a']);
    expect(linksIn(inThread[0]!)).toEqual([]);
  });
});
