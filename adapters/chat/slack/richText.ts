// How a conversation's message is posted in its Slack thread: a Block Kit rich_text block. Its
// `text` elements are literal (Slack reads no markup, mention or emoji code in them), so nothing a
// contact writes can pass for the bridge's own lines. Every post is a header naming who wrote it
// (the contact, or a co-worker and the platform), the words in a quote that formatting cannot
// leave, then the bridge's notices. URLs and phone numbers are link elements built here (rule 9).
// A plain `text` fallback, escaped, is what notifications show. Pure functions, no I/O.

import { withoutBidiControls } from '../../../src/chat/bidi.js';
import { linkPieces } from '../../../src/chat/linkify.js';
import { formatForDisplay, parsePhone } from '../../../src/core/phone.js';
import type { ChatMessageView } from '../../../src/core/ports.js';
import { escapeSlackText } from './format.js';

export interface RichTextStyle {
  bold?: boolean;
  italic?: boolean;
}

/** The rich text elements the bridge writes (Block Kit has more). */
export type RichTextElement =
  | { type: 'text'; text: string; style?: RichTextStyle }
  | { type: 'link'; url: string; text?: string; style?: RichTextStyle }
  | { type: 'emoji'; name: string };

export interface RichTextContainer {
  type: 'rich_text_section' | 'rich_text_quote';
  elements: RichTextElement[];
}

export interface RichTextBlock {
  type: 'rich_text';
  elements: RichTextContainer[];
}

/** chat.postMessage's `text` and `blocks` for one message. */
export interface SlackPost {
  text: string;
  blocks: RichTextBlock[];
}

/**
 * The most text one post quotes. An SMS is at most a few thousand characters; Slack refuses a
 * post whose blocks hold much more than 12,000 (msg_blocks_too_long), and a refused post would
 * leave the message unposted, so anything longer is cut here and the notice says so.
 */
export const MAX_QUOTED_CHARS = 10_000;
/** The most of the text the notification fallback repeats (it shows a line or two). */
const MAX_FALLBACK_CHARS = 3_000;

const PLATFORM_NAMES: Record<string, string> = { slack: 'Slack', teams: 'Teams' };
const NEWLINE: RichTextElement = { type: 'text', text: '\n' };

export interface PostOptions {
  /**
   * false: URLs and phone numbers as plain text. The second try after Slack refused the blocks,
   * so a link Slack does not like can never keep a message out of its thread.
   */
  links?: boolean;
}

/**
 * SMS text as rich text elements: literal text, with URLs and phone numbers as links whose
 * visible text is what was written (a phone link dials the number it shows; a URL link shows its
 * address). A "URL" that does not parse stays text. Bidirectional controls are removed first, so
 * nothing shows reversed.
 */
export function smsTextElements(text: string, opts: PostOptions = {}): RichTextElement[] {
  const links = opts.links ?? true;
  return linkPieces(withoutBidiControls(text)).map((p): RichTextElement => {
    const href = p.href ?? p.value;
    if (links && p.kind === 'url' && URL.canParse(href)) return { type: 'link', url: href };
    if (links && p.kind === 'phone') return { type: 'link', url: href, text: p.value };
    return { type: 'text', text: p.value };
  });
}

/** The contact in bold: a tel: link for a number, the sender id as written otherwise. */
function contactElement(contact: string, opts: PostOptions): RichTextElement {
  const shown = withoutBidiControls(formatForDisplay(contact));
  const e164 = parsePhone(contact).e164;
  if (e164 && (opts.links ?? true)) return { type: 'link', url: `tel:${e164}`, text: shown, style: { bold: true } };
  return { type: 'text', text: shown, style: { bold: true } };
}

/** A string cut at `max` characters, never between the halves of a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\ud800-\udbff]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return text.slice(0, end);
}

/** Lines of elements as one run, separated by line breaks. */
function lines(...rows: RichTextElement[][]): RichTextElement[] {
  return rows.flatMap((row, i) => (i === 0 ? row : [NEWLINE, ...row]));
}

/** The post for one message in its thread. */
export function messagePost(view: ChatMessageView, opts: PostOptions = {}): SlackPost {
  const { message } = view;
  const words = withoutBidiControls(message.body);
  const quoted = cut(words, MAX_QUOTED_CHARS);
  const notices = [...view.notices];
  if (quoted.length < words.length) {
    notices.unshift(`The text is longer than a Slack message holds; the first ${MAX_QUOTED_CHARS} characters are shown, all of it is in the history.`);
  }

  let header: RichTextElement[];
  let plainHeader: string;
  let placeholder: string;
  if (message.direction === 'inbound') {
    header = [contactElement(view.conversation.contact, opts), { type: 'text', text: ' texted:' }];
    plainHeader = `${withoutBidiControls(formatForDisplay(view.conversation.contact))} texted:`;
    placeholder = message.media.length > 0 ? '(picture message)' : '(empty message)';
  } else {
    // Written in chat, by a co-worker: who wrote it and where (rule 8).
    const who = withoutBidiControls(view.origin?.authorName || 'someone');
    const where = view.origin ? (PLATFORM_NAMES[view.origin.platform] ?? view.origin.platform) : 'chat';
    const kind = message.direction === 'internal' ? 'internal message' : 'SMS';
    header = [{ type: 'text', text: who, style: { bold: true } }, { type: 'text', text: ` (${where}) sent ${kind}:` }];
    plainHeader = `${who} (${where}) sent ${kind}:`;
    placeholder = '(no text)';
  }
  const noticeLines = notices.map((n): RichTextElement[] => [{ type: 'emoji', name: 'warning' }, { type: 'text', text: ` ${withoutBidiControls(n)}` }]);

  // Sections hold lines separated by line breaks; the quote is a block of its own between them.
  const elements: RichTextContainer[] = [];
  if (quoted.length > 0) {
    elements.push({ type: 'rich_text_section', elements: header });
    elements.push({ type: 'rich_text_quote', elements: smsTextElements(quoted, opts) });
    if (noticeLines.length > 0) elements.push({ type: 'rich_text_section', elements: lines(...noticeLines) });
  } else {
    const none: RichTextElement[] = [{ type: 'text', text: placeholder, style: { italic: true } }];
    elements.push({ type: 'rich_text_section', elements: lines(header, none, ...noticeLines) });
  }
  const fallback = `${plainHeader} ${quoted.length > 0 ? cut(quoted, MAX_FALLBACK_CHARS) : placeholder}`;
  return { text: escapeSlackText(fallback), blocks: [{ type: 'rich_text', elements }] };
}
