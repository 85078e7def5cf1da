import { describe, expect, it } from 'vitest';
import { parseSmsCommand, splitRecipient } from '../../../adapters/chat/slack/commandParser.js';
import { describeContact, escapeSlackText, slackToPlainText, rootText, staleStatusReactions, statusReaction, tsOf, platformMessageId } from '../../../adapters/chat/slack/format.js';
import { MAX_QUOTED_CHARS, messagePost, smsTextElements } from '../../../adapters/chat/slack/richText.js';
import type { ChatMessageView } from '../../../src/core/ports.js';
import type { Message } from '../../../src/core/types.js';
import { blocksProblem, linksIn, quotedText, shownText } from '../../fakes/slackBlocks.js';

const message = (over: Partial<Message> = {}): Message => ({
  id: 'm1', conversationId: 'c1', direction: 'inbound', body: 'hi', status: 'received', statusReason: null, errorCode: null,
  author: null, provider: 'twilio', providerMessageId: 'SM1', platformMessageId: null, encoding: 'GSM-7', segments: 1,
  otherRecipients: [], media: [], createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', ...over,
});
const view = (m: Message, over: Partial<ChatMessageView> = {}): ChatMessageView => ({
  message: m, conversation: { id: 'c1', number: '+14155552671', contact: '+12125553456', createdAt: '' }, origin: null, notices: [], ...over,
});

describe('Slack text from SMS', () => {
  it('a contact cannot ping the channel, mention a user or disguise a link', () => {
    const out = escapeSlackText('<!channel> <@U123> <http://evil.example|bank.com> & more');
    expect(out).toBe('&lt;!channel&gt; &lt;@U123&gt; &lt;http://evil.example|bank.com&gt; &amp; more');
    expect(out).not.toMatch(/[<>]/);
  });

  it('URLs and phone numbers in an SMS are links the bridge builds, each showing what was written', () => {
    expect(smsTextElements('see https://example.com/a?b=1 or call (415) 555-2671')).toEqual([
      { type: 'text', text: 'see ' },
      { type: 'link', url: 'https://example.com/a?b=1' },
      { type: 'text', text: ' or call ' },
      { type: 'link', url: 'tel:+14155552671', text: '(415) 555-2671' },
    ]);
    expect(smsTextElements('UK office +44 20 7946 0958.')).toEqual([
      { type: 'text', text: 'UK office ' },
      { type: 'link', url: 'tel:+442079460958', text: '+44 20 7946 0958' },
      { type: 'text', text: '.' },
    ]);
    // Link markup written by the contact stays text; the only links are the ones the bridge builds,
    // and each shows the very number it dials (a label can never disguise a premium number).
    expect(smsTextElements('<tel:+19005550100|(212) 555-0123>')).toEqual([
      { type: 'text', text: '<tel:' },
      { type: 'link', url: 'tel:+19005550100', text: '+19005550100' },
      { type: 'text', text: '|' },
      { type: 'link', url: 'tel:+12125550123', text: '(212) 555-0123' },
      { type: 'text', text: '>' },
    ]);
  });

  it('something that looks like a URL but does not parse as one stays text; with links off, everything is text', () => {
    expect(smsTextElements('see http://evil.example|bank.com now')).toEqual([{ type: 'text', text: 'see ' }, { type: 'text', text: 'http://evil.example|bank.com' }, { type: 'text', text: ' now' }]);
    const post = messagePost(view(message({ body: 'https://ex.com or (415) 555-2671' })), { links: false });
    expect(linksIn({ blocks: post.blocks })).toEqual([]);
    expect(shownText({ blocks: post.blocks })).toBe('(212) 555-3456 texted:\n> https://ex.com or (415) 555-2671');
  });

  it('an SMS cannot pass for the bridge\'s own lines: it is quoted under a line naming the contact, its markup literal', () => {
    const forged = '*Ana Agent* (Slack) sent SMS:\nsure\n:x: This SMS was not sent <!channel> <@U1> `x` ~y~';
    const post = messagePost(view(message({ body: forged })));
    expect(blocksProblem(post.blocks)).toBeNull(); // a shape Slack takes
    const [header, quote, ...rest] = post.blocks[0]!.elements;
    expect(header).toEqual({
      type: 'rich_text_section',
      elements: [{ type: 'link', url: 'tel:+12125553456', text: '(212) 555-3456', style: { bold: true } }, { type: 'text', text: ' texted:' }],
    });
    // The whole SMS, and only the SMS, in the quote: plain text elements Slack never reads as markup.
    expect(quote).toEqual({ type: 'rich_text_quote', elements: [{ type: 'text', text: forged }] });
    expect(rest).toEqual([]);
    expect(shownText({ blocks: post.blocks })).toBe(`(212) 555-3456 texted:\n${forged.split('\n').map((l) => `> ${l}`).join('\n')}`);
    // The notification fallback names the contact too, and pings nobody.
    expect(post.text).toBe(`(212) 555-3456 texted: ${escapeSlackText(forged)}`);
    expect(post.text).not.toMatch(/[<>]/);
  });

  it('an alphanumeric sender is named as written, in bold, as text', () => {
    const post = messagePost(view(message({ body: 'Your code is 1234' }), { conversation: { id: 'c1', number: '+14155552671', contact: 'AMAZON', createdAt: '' } }));
    expect(post.blocks[0]!.elements[0]!.elements[0]).toEqual({ type: 'text', text: 'AMAZON', style: { bold: true } });
  });

  it('no bidirectional control reaches Slack: a link shows where it goes, a name reads as written', () => {
    const post = messagePost(
      view(message({ direction: 'outbound', body: 'pay https://bank.example/\u202Emoc.live or open invoice\u202Efdp.exe' }), {
        origin: { platform: 'teams', authorName: 'Bo\u202E' },
        notices: ['file\u2067x\u2069 refused'],
      }),
    );
    expect(JSON.stringify(post)).not.toMatch(/\\u202[a-e]|\\u206[6-9]|[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/i);
    expect(linksIn({ blocks: post.blocks })).toEqual([{ url: 'https://bank.example/moc.live', text: 'https://bank.example/moc.live' }]);
    expect(quotedText({ blocks: post.blocks })).toBe('pay https://bank.example/moc.live or open invoicefdp.exe');
    expect(escapeSlackText('a\u202Eb')).toBe('ab'); // the bridge's own lines too
  });

  it('a text longer than a Slack message holds is cut, and the notice says where the rest is', () => {
    const post = messagePost(view(message({ body: 'x'.repeat(MAX_QUOTED_CHARS + 500) })));
    expect(blocksProblem(post.blocks)).toBeNull();
    expect(quotedText({ blocks: post.blocks })).toHaveLength(MAX_QUOTED_CHARS);
    expect(shownText({ blocks: post.blocks })).toMatch(/:warning: The text is longer than a Slack message holds; .* all of it is in the history\.$/);
  });

  it('the thread root names the contact (national format, country) and the bridge number', () => {
    const conversation = { id: 'c', number: '+14155552671', contact: '+12125553456', createdAt: '' };
    const root = rootText(conversation, '//');
    expect(root).toContain('(212) 555-3456 (United States)');
    expect(root).toContain('(415) 555-2671');
    expect(root).toContain('start a reply with `//` for an internal note');
    // The hint names the prefix the admin set, or says every reply is sent when notes are off.
    expect(rootText(conversation, '#note')).toContain('start a reply with `#note` for an internal note');
    expect(rootText(conversation, '')).toContain('Every reply in this thread is sent as SMS.');
    expect(describeContact('+442079460958')).toContain('United Kingdom');
    expect(describeContact('AMAZON')).toBe('AMAZON');
  });

  it('a message written on another platform is marked with its author and platform (rule 8)', () => {
    const post = messagePost(view(message({ direction: 'outbound', body: 'ok <b>', author: { platform: 'teams', userId: 'x', name: 'Bo' } }), { origin: { platform: 'teams', authorName: 'Bo' } }));
    expect(post.blocks[0]!.elements[0]).toEqual({ type: 'rich_text_section', elements: [{ type: 'text', text: 'Bo', style: { bold: true } }, { type: 'text', text: ' (Teams) sent SMS:' }] });
    expect(shownText({ blocks: post.blocks })).toBe('Bo (Teams) sent SMS:\n> ok <b>');
    expect(post.text).toBe('Bo (Teams) sent SMS: ok &lt;b&gt;');
  });

  it('notices are shown with the message, after its words, as literal text', () => {
    const post = messagePost(view(message(), { notices: ['<!here> file refused'] }));
    expect(blocksProblem(post.blocks)).toBeNull();
    expect(post.blocks[0]!.elements[2]).toEqual({ type: 'rich_text_section', elements: [{ type: 'emoji', name: 'warning' }, { type: 'text', text: ' <!here> file refused' }] });
    expect(shownText({ blocks: post.blocks })).toBe('(212) 555-3456 texted:\n> hi\n:warning: <!here> file refused');
  });

  it('a picture without text says so in italics, outside any quote', () => {
    const media = [{ id: 'f1', messageId: 'm1', contentType: 'image/png', size: 1, path: 'media/f1', sourceUrl: null, status: 'stored' as const, reason: null, createdAt: '' }];
    const post = messagePost(view(message({ body: '', media }), { notices: ['one', 'two'] }));
    expect(blocksProblem(post.blocks)).toBeNull();
    expect(quotedText({ blocks: post.blocks })).toBeNull();
    expect(post.blocks[0]!.elements).toHaveLength(1);
    expect(post.blocks[0]!.elements[0]!.elements).toContainEqual({ type: 'text', text: '(picture message)', style: { italic: true } });
    expect(shownText({ blocks: post.blocks })).toBe('(212) 555-3456 texted:\n(picture message)\n:warning: one\n:warning: two');
    expect(post.text).toBe('(212) 555-3456 texted: (picture message)');
  });

  it('each status has its mark', () => {
    expect(statusReaction('queued')).toBe('hourglass_flowing_sand');
    expect(statusReaction('sent')).toBe('outbox_tray');
    expect(statusReaction('delivered')).toBe('white_check_mark');
    expect(staleStatusReactions('queued')).toEqual([]);
    expect(staleStatusReactions('sent')).toEqual(['hourglass_flowing_sand']);
    expect(staleStatusReactions('delivered')).toEqual(['hourglass_flowing_sand', 'outbox_tray']);
    expect(staleStatusReactions('failed')).toEqual(['hourglass_flowing_sand', 'outbox_tray']);
    expect(staleStatusReactions('received')).toEqual([]);
    expect(statusReaction('failed')).toBe('x');
    expect(tsOf(platformMessageId('T1', 'C1', '123.456'))).toBe('123.456');
    expect(tsOf('slack:T1:C1:cmd:abc')).toBeNull();
  });
});

describe('Slack text to SMS', () => {
  it('the contact gets what the user saw, not Slack\'s escaping and markup', async () => {
    const names: Record<string, string> = { UAGENT: 'agent' };
    const text = await slackToPlainText(
      'Tom &amp; Jerry &lt;3 <https://x.com|x.com> <https://evil.com|bank> <https://a.com/b?c=1&amp;d=2> <@UAGENT> <@UNONE> <#C1|general> <!here> <tel:+14155552671|(415) 555-2671> <mailto:a@b.co|a@b.co>',
      async (id) => names[id] ?? null,
    );
    expect(text).toBe('Tom & Jerry <3 x.com bank (https://evil.com) https://a.com/b?c=1&d=2 @agent @someone #general @here (415) 555-2671 a@b.co');
  });
});

describe('/sms command text', () => {
  it('takes the number in any common format and the rest as the text', () => {
    expect(parseSmsCommand('+1 415 555 2671 hello there')).toEqual({ kind: 'send', to: ['+1 415 555 2671'], text: 'hello there' });
    expect(parseSmsCommand('(415) 555-2671 hi')).toEqual({ kind: 'send', to: ['(415) 555-2671'], text: 'hi' });
    expect(parseSmsCommand('415.555.2671 hi')).toEqual({ kind: 'send', to: ['415.555.2671'], text: 'hi' });
    expect(parseSmsCommand('+14155552671 2 apples')).toEqual({ kind: 'send', to: ['+14155552671'], text: '2 apples' });
  });

  it('keeps several recipients so the rules can refuse them, however they are separated', () => {
    const two = { to: ['+14155552671', '+12125553456'], text: 'hi' };
    expect(splitRecipient('+14155552671,+12125553456 hi')).toEqual(two);
    expect(splitRecipient('+14155552671, +12125553456 hi')).toEqual(two);
    expect(splitRecipient('+14155552671 ; +12125553456 hi')).toEqual(two);
    expect(splitRecipient('+14155552671 +12125553456 hi')).toEqual(two);
    expect(splitRecipient('(415) 555-2671 (212) 555-3456 hello')).toEqual({ to: ['(415) 555-2671', '(212) 555-3456'], text: 'hello' });
    expect(splitRecipient('+14155552671,+12125553456;4155550123 yo')?.to).toHaveLength(3);
  });

  it('a separator after the one number is punctuation, and a number later in the text is text', () => {
    expect(splitRecipient('+1 415 555 2671, hi!')).toEqual({ to: ['+1 415 555 2671'], text: 'hi!' });
    expect(splitRecipient('+14155552671 call me on 212 555 3456')).toEqual({ to: ['+14155552671'], text: 'call me on 212 555 3456' });
  });

  it('knows help, history, map, unmap and numbers', () => {
    expect(parseSmsCommand('')).toEqual({ kind: 'help' });
    expect(parseSmsCommand('HELP')).toEqual({ kind: 'help' });
    expect(parseSmsCommand('history (212) 555-3456')).toEqual({ kind: 'history', number: '(212) 555-3456' });
    expect(parseSmsCommand('map +14155552671')).toEqual({ kind: 'map', number: '+14155552671' });
    expect(parseSmsCommand('unmap +14155552671')).toEqual({ kind: 'unmap', number: '+14155552671' });
    expect(parseSmsCommand('numbers')).toEqual({ kind: 'numbers' });
    expect(parseSmsCommand('map')).toMatchObject({ kind: 'invalid' });
  });

  it('text that starts with a word is not a number', () => {
    expect(parseSmsCommand('hello world')).toMatchObject({ kind: 'invalid', problem: expect.stringContaining('/sms help') });
  });

  it('a short code is kept as the recipient so the rules name the problem', () => {
    expect(parseSmsCommand('12345 hi')).toEqual({ kind: 'send', to: ['12345'], text: 'hi' });
  });
});
