// POST /slack/events checks what needs no body first: Slack signs every request, so one without
// signature headers, or declaring more than Slack ever sends, is refused on its headers and its
// connection closed, instead of reading (and holding) whatever is uploaded.
import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SLACK_BODY_LIMIT } from '../../../adapters/chat/slack/requestGuard.js';
import { rawUpload } from '../../support/rawUpload.js';
import { createSlackHarness, type SlackHarness } from './harness.js';

let h: SlackHarness;
beforeEach(async () => {
  h = await createSlackHarness();
});
afterEach(async () => {
  await h.close();
});

// Well under the server's 15 s request limit: closed this soon, it was not cut by a timeout.
const PROMPTLY_MS = 8_000;
const signatureShaped = () => ({ 'x-slack-signature': `v0=${'0'.repeat(64)}`, 'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)) });

describe('Slack requests refused on their headers', () => {
  it('without signature headers (or with malformed ones): 401 at once, connection closed, body not read', async () => {
    const variants: Array<Record<string, string>> = [{}, { 'x-slack-signature': 'v0=abc', 'x-slack-request-timestamp': '1' }, { 'x-slack-signature': signatureShaped()['x-slack-signature'] }];
    for (const headers of variants) {
      const upload = await rawUpload({ url: h.url, path: '/slack/events', headers: { 'content-type': 'application/json', ...headers }, contentLength: 1024 * 1024, body: Buffer.alloc(4096, 'a') });
      const closed = await upload.closed;
      expect(closed.statusLine).toBe('HTTP/1.1 401 Unauthorized');
      expect(closed.response).toMatch(/\r\nConnection: close\r\n/i);
      expect(closed.afterMs).toBeLessThan(PROMPTLY_MS);
    }
    expect(await h.temp.store.chatInbox.listOpen('slack')).toEqual([]);
  });

  it(`declaring a body over ${SLACK_BODY_LIMIT / 1024} KB: 413 before it is read, for events and form posts (commands) alike`, async () => {
    for (const contentType of ['application/json', 'application/x-www-form-urlencoded']) {
      const upload = await rawUpload({ url: h.url, path: '/slack/events', headers: { 'content-type': contentType, ...signatureShaped() }, contentLength: SLACK_BODY_LIMIT + 1, body: '{' });
      const closed = await upload.closed;
      expect(closed.statusLine, contentType).toBe('HTTP/1.1 413 Payload Too Large');
      expect(closed.afterMs).toBeLessThan(PROMPTLY_MS);
    }
  });

  it(`a correctly signed body over ${SLACK_BODY_LIMIT / 1024} KB sent without a length is refused with 413, events and commands alike`, async () => {
    const bodies = [
      ['application/json', JSON.stringify({ type: 'event_callback', event_id: 'EvHUGE', event: { type: 'message', text: 'x'.repeat(SLACK_BODY_LIMIT) } })],
      ['application/x-www-form-urlencoded', new URLSearchParams({ command: '/sms', text: 'x'.repeat(SLACK_BODY_LIMIT) }).toString()],
    ] as const;
    for (const [contentType, body] of bodies) {
      const ts = Math.floor(Date.now() / 1000);
      const signature = 'v0=' + createHmac('sha256', h.signingSecret).update(`v0:${ts}:${body}`).digest('hex');
      // A stream goes out chunked: no Content-Length, so the cap is enforced while reading.
      const res = await fetch(`${h.url}/slack/events`, {
        method: 'POST',
        headers: { 'content-type': contentType, 'x-slack-signature': signature, 'x-slack-request-timestamp': String(ts) },
        body: new Blob([body]).stream(),
        duplex: 'half',
      } as RequestInit);
      expect(res.status, contentType).toBe(413);
    }
    expect(await h.temp.store.chatInbox.listOpen('slack')).toEqual([]);
  });

  it('a signed event of ordinary size still gets through', async () => {
    const res = await h.slackEvent({ user: 'UAGENT', text: 'x'.repeat(40_000), ts: '1700000000.000100' });
    expect(res.status).toBe(200);
  });
});
