import { describe, expect, it } from 'vitest';
import {
  escapeForTeams,
  renderMessage,
  renderRoot,
  statusLine,
  stripBotMention,
  teamsHtmlToPlain,
} from '../../../adapters/chat/teams/format.js';
import { parseTeamsMessageId, teamsMessageId } from '../../../adapters/chat/teams/platform.js';
import { replyText } from '../../../adapters/chat/teams/replies.js';
import { parseRetryAfter } from '../../../adapters/chat/teams/connector.js';

/** What a reader sees: tags removed, entities decoded. */
const visible = (html: string): string => teamsHtmlToPlain(html);

describe('Teams escaping of SMS text', () => {
  it('an SMS cannot inject HTML tags or fake an @mention', () => {
    const out = escapeForTeams('<at>Everyone</at> <script>alert(1)</script> <b>hi</b> <img src=x onerror=y>');
    expect(out).not.toMatch(/<at>|<script|<b>|<img/i);
    expect(out).toContain('&lt;at&gt;Everyone&lt;/at&gt;');
    expect(visible(out)).toBe('<at>Everyone</at> <script>alert(1)</script> <b>hi</b> <img src=x onerror=y>');
  });

  it("apostrophes and quotes show as typed (I'm, don't, \"ok\", O'Brien)", () => {
    const text = `I'm outside; don't leave. "ok" says O'Brien #1`;
    expect(visible(escapeForTeams(text))).toBe(text);
    expect(escapeForTeams("don't")).toBe('don&#39;t');
  });

  it('markdown in an SMS shows literally (no bold, no disguised links, no code blocks)', () => {
    const text = '**bold** _it_ ~~gone~~ `code` # head [click](http://evil.example) | a |';
    const out = escapeForTeams(text);
    expect(out).not.toMatch(/\*\*|~~|`|\[click\]/);
    expect(visible(out).replace('http://evil.example', '')).toBe(text.replace('http://evil.example', ''));
  });

  it('URLs stay clickable, and the link text is the real target', () => {
    const out = escapeForTeams('see https://example.com/a_b?x=1&y=2. thanks');
    expect(out).toContain('<a href="https://example.com/a_b?x=1&amp;y=2">');
    expect(visible(out)).toBe('see https://example.com/a_b?x=1&y=2. thanks');
  });

  it('a URL with quotes cannot break out of the href attribute', () => {
    const out = escapeForTeams('http://x.example/"onmouseover="alert(1)');
    expect(out).not.toContain('"onmouseover');
  });

  it('phone numbers stay clickable as tel: links', () => {
    const out = escapeForTeams('call me at (415) 555-2671 tomorrow');
    expect(out).toContain('<a href="tel:+14155552671">');
    expect(visible(out)).toBe('call me at (415) 555-2671 tomorrow');
  });

  it('no bidirectional control reaches Teams: text, links and names read in the order they were written', () => {
    const out = escapeForTeams('pay at https://bank.example/\u202Emoc.live or open invoice\u202Efdp.exe \u2067x\u2069\u200F.');
    expect(out).not.toMatch(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/);
    expect(out).toContain('<a href="https://bank.example/moc.live">'); // the link goes where it says
    expect(visible(out)).toBe('pay at https://bank.example/moc.live or open invoicefdp.exe x.');
    const message = renderMessage(
      {
        message: { id: 'm1', conversationId: 'c1', direction: 'outbound', body: 'ok', status: 'sent', statusReason: null, errorCode: null, author: null, provider: null, providerMessageId: null, platformMessageId: null, encoding: 'GSM-7', segments: 1, otherRecipients: [], media: [], createdAt: '', updatedAt: '' },
        conversation: { id: 'c1', number: '+14155550100', contact: 'ACME\u202Eknab', createdAt: '' },
        origin: { platform: 'slack', authorName: 'Ana\u202E' },
        notices: ['file\u202Egpj.exe refused'],
      },
      () => '',
    );
    expect(message.text).not.toMatch(/[\u202a-\u202e]/);
    expect(renderRoot({ id: 'c1', number: '+14155550100', contact: 'ACME\u202Eknab', createdAt: '' }, '//').summary).toBe('SMS conversation with ACMEknab');
  });

  it('line breaks survive', () => {
    expect(escapeForTeams('a\nb\r\nc')).toBe('a<br>b<br>c');
  });
});

describe('Teams rendering', () => {
  it('the thread root names the contact (formatted, with country) and the bridge number', () => {
    const conversation = { id: 'c1', number: '+14155550100', contact: '+442079460958', createdAt: '' };
    const root = renderRoot(conversation, '//');
    const text = visible(root.text ?? '');
    expect(text).toContain('SMS conversation with +44 20 7946 0958 (United Kingdom)');
    expect(text).toContain('Bridge number: (415) 555-0100');
    expect(text).toContain('Start a reply with // for an internal note');
    // The hint names the prefix the admin set, or says every reply is sent when notes are off.
    expect(visible(renderRoot(conversation, '#note').text ?? '')).toContain('Start a reply with #note for an internal note');
    expect(visible(renderRoot(conversation, '').text ?? '')).toContain('Every reply in this thread is sent as SMS.');
    expect(root.textFormat).toBe('xml');
  });

  it('status lines cover queued, sent, delivered, failed with the reason, refused with the reasons', () => {
    const line = (status: string, statusReason: string | null = null) =>
      statusLine({ status: status as never, statusReason, direction: 'outbound' });
    expect(line('queued')).toMatch(/queued/);
    expect(line('sent')).toMatch(/sent/);
    expect(line('delivered')).toMatch(/delivered/);
    expect(line('failed', 'carrier rejected the message')).toBe('⚠️ SMS failed: carrier rejected the message');
    expect(line('refused', 'the contact opted out; SMS is turned off')).toBe('⛔ SMS not sent: the contact opted out; SMS is turned off');
  });
});

describe('Teams replies to plain SMS text', () => {
  it("the bot's @mention is stripped; other people's mentions keep their names", () => {
    const text = '<at>SMS Bridge</at> thanks, <at>Bob</at> will call';
    const entities = [
      { type: 'mention', text: '<at>SMS Bridge</at>', mentioned: { id: '28:bot', name: 'SMS Bridge' } },
      { type: 'mention', text: '<at>Bob</at>', mentioned: { id: '29:bob', name: 'Bob' } },
    ];
    expect(teamsHtmlToPlain(stripBotMention(text, entities, '28:bot'))).toBe('thanks, Bob will call');
  });

  it('when Teams leaves text empty, the text/html attachment is the message', () => {
    const a = { type: 'message', serviceUrl: 'http://x', from: { id: '29:a' }, recipient: { id: '28:bot' }, conversation: { id: 'c' },
      text: '', attachments: [{ contentType: 'text/html', content: '<div><at>SMS Bridge</at> ok <b>then</b></div>' }],
      entities: [{ type: 'mention', text: '<at>SMS Bridge</at>', mentioned: { id: '28:bot' } }] };
    expect(replyText(a)).toBe('ok then');
  });

  it('Teams HTML becomes plain text with line breaks and decoded entities', () => {
    expect(teamsHtmlToPlain('<p>Hi &amp; welcome</p><p>Line&nbsp;2 &lt;ok&gt;</p>')).toBe('Hi & welcome\nLine 2 <ok>');
  });

  it('a link with its own words keeps its address in the SMS; one showing its address stays as written', () => {
    expect(teamsHtmlToPlain('Pay here: <a href="https://pay.example.com/inv/42">invoice</a>')).toBe('Pay here: invoice (https://pay.example.com/inv/42)');
    expect(teamsHtmlToPlain('See <a href="https://x.example/a">https://x.example/a</a>')).toBe('See https://x.example/a');
    expect(teamsHtmlToPlain('Call <a href="tel:+12125550123">(212) 555-0123</a>')).toBe('Call (212) 555-0123');
    expect(teamsHtmlToPlain('Write to <a href="mailto:ann@example.com">Ann</a>')).toBe('Write to Ann (ann@example.com)');
    expect(teamsHtmlToPlain('<a href="javascript:alert(1)">x</a>')).toBe('x');
  });
});

describe('Teams ids and headers', () => {
  it('platform message ids round-trip even though conversation ids contain colons', () => {
    const conv = '19:abc@thread.tacv2;messageid=1700000000001';
    const id = teamsMessageId(conv, '1700000000002');
    expect(id).toBe(`teams:${conv}:1700000000002`);
    expect(parseTeamsMessageId(id)).toEqual({ conversationId: conv, activityId: '1700000000002' });
    expect(parseTeamsMessageId('slack:T1:C1:1.2')).toBeNull();
  });

  it('Retry-After is read in seconds or as an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
  });
});
