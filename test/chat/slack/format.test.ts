import { describe, expect, it } from 'vitest';
import { parseSmsCommand, splitRecipient } from '../../../adapters/chat/slack/commandParser.js';
import { describeContact, escapeSlackText, slackToPlainText, smsTextForSlack, messageText, rootText, staleStatusReactions, statusReaction, tsOf, platformMessageId } from '../../../adapters/chat/slack/format.js';
import type { ChatMessageView } from '../../../src/core/ports.js';
import type { Message } from '../../../src/core/types.js';

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

  it('URLs stay as written for Slack to link; phone numbers become tel: links showing the number as written', () => {
    expect(smsTextForSlack('see https://example.com/a?b=1 or call (415) 555-2671')).toBe(
      'see https://example.com/a?b=1 or call <tel:+14155552671|(415) 555-2671>',
    );
    expect(smsTextForSlack('UK office +44 20 7946 0958.')).toBe('UK office <tel:+442079460958|+44 20 7946 0958>.');
    // Link markup written by the contact stays text; the only links are the ones the bridge builds,
    // and each shows the very number it dials (a label can never disguise a premium number).
    expect(smsTextForSlack('<tel:+19005550100|(212) 555-0123>')).toBe(
      '&lt;tel:<tel:+19005550100|+19005550100>|<tel:+12125550123|(212) 555-0123>&gt;',
    );
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
    const text = messageText(view(message({ direction: 'outbound', body: 'ok <b>', author: { platform: 'teams', userId: 'x', name: 'Bo' } }), { origin: { platform: 'teams', authorName: 'Bo' } }));
    expect(text).toContain('*Bo* (Teams) sent SMS');
    expect(text).toContain('ok &lt;b&gt;');
  });

  it('notices are shown with the message, escaped', () => {
    expect(messageText(view(message(), { notices: ['<!here> file refused'] }))).toContain(':warning: &lt;!here&gt; file refused');
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
