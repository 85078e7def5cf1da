// What the bridge shows in Teams, and how text from SMS is made safe there.
//
// Teams renders bot messages sent with textFormat "xml" as a small HTML subset. Text that came in
// by SMS is untrusted: a contact must not be able to inject HTML, markdown, or an <at> mention
// (which would look like, or become, a ping). So every character that means something to HTML or
// markdown is written as an entity, and only links we build ourselves (http/https URLs and phone
// numbers, rule 9: clickable) become <a> elements. Bidirectional controls (U+202E and kin) are
// removed, so no text can show reversed and disguise what it says or where a link goes.

import { withoutBidiControls } from '../../../src/chat/bidi.js';
import { linkPieces } from '../../../src/chat/linkify.js';
import { countryName, formatForDisplay, parsePhone } from '../../../src/core/phone.js';
import type { ChatMessageView } from '../../../src/core/ports.js';
import type { Conversation, MediaItem, Message } from '../../../src/core/types.js';
import type { Refusal } from '../../../src/core/errors.js';
import type { OutgoingActivity } from './connector.js';

const HTML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

// Markdown (and Teams emphasis) specials, written as numeric entities so they render literally;
// with the HTML specials and line breaks, everything escapePlain rewrites.
const ESCAPED = /[&<>"'\\`*_~#[\]|{}()!+\-=\n]/g;

/** Escapes plain text for an xml-format Teams message: no tags, no markdown, no mentions, no bidi controls. */
export function escapePlain(text: string): string {
  // One pass: escaping markdown specials after the HTML entities would escape the entities'
  // own "#" (an apostrophe would then show as the text "&#39;").
  return withoutBidiControls(text)
    .replace(/\r\n?/g, '\n')
    .replace(ESCAPED, (c) => (c === '\n' ? '<br>' : (HTML_ENTITIES[c] ?? `&#${c.charCodeAt(0)};`)));
}

/** Escapes a value for a double-quoted HTML attribute. */
function escapeAttr(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]!);
}

/**
 * SMS text as Teams xml: escaped, with URLs and phone numbers as links we build (the visible
 * text of a link is the escaped original, so a link can never disguise where it goes).
 */
export function escapeForTeams(text: string): string {
  // Controls out before links are found: a link's address and its visible text are the same characters.
  return linkPieces(withoutBidiControls(text))
    .map((s) => (s.kind === 'text' ? escapePlain(s.value) : `<a href="${escapeAttr(s.href!)}">${escapePlain(s.value)}</a>`))
    .join('');
}

/** A phone number (or sender id) shown to people, as a tel: link when it is a number. */
function numberLink(numberOrSender: string): string {
  const info = parsePhone(numberOrSender);
  const shown = escapePlain(formatForDisplay(numberOrSender));
  return info.e164 ? `<a href="tel:${escapeAttr(info.e164)}">${shown}</a>` : shown;
}

/**
 * The thread's root: names the contact (formatted, with country) and the bridge number, and the
 * policy's internal-note prefix as it is now ('' = notes are off).
 */
export function renderRoot(conversation: Conversation, notePrefix: string): OutgoingActivity {
  const contact = parsePhone(conversation.contact);
  const country = countryName(contact.country);
  const summary = `SMS conversation with ${withoutBidiControls(formatForDisplay(conversation.contact))}`;
  const text =
    `<b>SMS conversation with ${numberLink(conversation.contact)}</b>` +
    (country ? ` (${escapePlain(country)})` : '') +
    `<br>Bridge number: ${numberLink(conversation.number)}` +
    (notePrefix
      ? `<br><i>Reply in this thread to send an SMS. Start a reply with ${escapePlain(notePrefix)} for an internal note.</i>`
      : '<br><i>Every reply in this thread is sent as SMS.</i>');
  return { type: 'message', textFormat: 'xml', text, summary };
}

const PLATFORM_NAMES: Record<string, string> = { slack: 'Slack', teams: 'Teams' };

export function platformName(id: string): string {
  return PLATFORM_NAMES[id] ?? id;
}

/** One line saying where an outbound SMS stands; null for statuses that need no line. */
export function statusLine(message: Pick<Message, 'status' | 'statusReason' | 'direction'>): string | null {
  const reason = message.statusReason ? `: ${message.statusReason}` : '';
  if (message.direction === 'internal') return message.status === 'delivered' ? 'Delivered internally (co-worker number, no SMS)' : null;
  switch (message.status) {
    case 'queued':
      return '⏳ SMS queued';
    case 'sending':
      return '⏳ SMS sending';
    case 'sent':
      return '✓ SMS sent';
    case 'delivered':
      return '✓✓ SMS delivered';
    case 'undelivered':
      return `⚠️ SMS not delivered${reason}`;
    case 'failed':
      return `⚠️ SMS failed${reason}`;
    case 'refused':
      return `⛔ SMS not sent${reason || ': refused'}`;
    default:
      return null;
  }
}

/** Status as an xml line (escaped). */
export function renderStatusLine(message: Pick<Message, 'status' | 'statusReason' | 'direction'>): string | null {
  const line = statusLine(message);
  return line === null ? null : `<i>${escapePlain(line)}</i>`;
}

/** Every refusal reason, as a notice in the thread. */
export function renderRefusals(refusals: Refusal[]): OutgoingActivity {
  const items = refusals.map((r) => `<li>${escapePlain(r.reason)}</li>`).join('');
  return {
    type: 'message',
    textFormat: 'xml',
    text: `<b>⛔ Not sent as SMS.</b><ul>${items}</ul>`,
    summary: `Not sent as SMS: ${refusals.map((r) => r.reason).join('; ')}`,
  };
}

/** A reply in a thread whose channel no longer shows the conversation's number: not sent. */
export function renderChannelNotMapped(number: string): OutgoingActivity {
  const text = `⛔ Not sent: this channel is no longer mapped to ${formatForDisplay(number)}; replies are not sent.`;
  return { type: 'message', textFormat: 'xml', text: `<b>${escapePlain(text)}</b>`, summary: text };
}

export function renderNotice(text: string): OutgoingActivity {
  return { type: 'message', textFormat: 'xml', text: `<i>${escapePlain(text)}</i>`, summary: text };
}

export interface MediaLinker {
  /** Signed, expiring URL the Teams client fetches the file from. */
  (media: MediaItem): string;
}

const EXT: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/bmp': 'bmp',
  'image/webp': 'webp',
};

/**
 * A message in its thread: who wrote it (for chat-written messages: author and platform, rule 8),
 * the escaped text, notices, the status line, and pictures as image attachments.
 */
export function renderMessage(view: Pick<ChatMessageView, 'message' | 'conversation' | 'origin' | 'notices'>, link: MediaLinker): OutgoingActivity {
  const { message, conversation, origin } = view;
  const parts: string[] = [];
  let header: string;
  if (message.direction === 'inbound') {
    header = `<b>${numberLink(conversation.contact)}</b>`;
  } else {
    const who = origin?.authorName ?? message.author?.name ?? message.author?.userId ?? 'Someone';
    const where = origin ? ` via ${platformName(origin.platform)}` : '';
    const kind = message.direction === 'internal' ? 'internal message' : 'SMS';
    header = `<b>${escapePlain(who)}</b>${escapePlain(where)} → ${kind}`;
  }
  const body = message.body.length > 0 ? escapeForTeams(message.body) : '';
  parts.push(body ? `${header}: ${body}` : header);

  const attachments: NonNullable<OutgoingActivity['attachments']> = [];
  const links: string[] = [];
  message.media.forEach((m, i) => {
    if (m.status !== 'stored') return; // refused/failed/pending files come with a notice
    const url = link(m);
    if (m.contentType.startsWith('image/')) {
      attachments.push({ contentType: m.contentType, contentUrl: url, name: `picture-${i + 1}.${EXT[m.contentType] ?? 'img'}` });
    } else {
      links.push(`<a href="${escapeAttr(url)}">${escapePlain(`File ${i + 1} (${m.contentType})`)}</a>`);
    }
  });
  if (links.length > 0) parts.push(links.join(' · '));
  for (const n of view.notices) parts.push(`<i>${escapePlain(n)}</i>`);
  const status = message.direction === 'inbound' ? null : renderStatusLine(message);
  if (status) parts.push(status);

  const activity: OutgoingActivity = { type: 'message', textFormat: 'xml', text: parts.join('<br>') };
  if (attachments.length > 0) activity.attachments = attachments;
  return activity;
}

// ---------------------------------------------------------------------------------------------
// Replies coming from Teams: HTML-ish text to the plain text that goes out as SMS.

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED[e.toLowerCase()] ?? whole;
  });
}

/**
 * A link with its own words keeps its address for the SMS ("invoice (https://...)"); one whose
 * words are the address, or a tel: link showing its number, stays as written.
 */
function linkToPlain(_whole: string, href: string, inner: string): string {
  const words = decodeEntities(inner.replace(/<[^>]*>/g, '')).trim();
  const target = decodeEntities(href).trim();
  const shown = target.replace(/^(mailto|tel):/i, '');
  if (!/^(https?|mailto|tel):/i.test(target) || words === '' || words === target || words === shown) return inner;
  // A number shown in another format ("(212) 555-0123" for tel:+12125550123) is the same number.
  const digits = (v: string) => v.replace(/\D/g, '');
  if (/^tel:/i.test(target) && digits(words).length >= 7 && digits(shown).endsWith(digits(words))) return inner;
  return `${inner} (${/^https?:/i.test(target) ? target : shown})`;
}

/** Teams message text (plain or its HTML subset) to plain text. */
export function teamsHtmlToPlain(text: string): string {
  return decodeEntities(
    text
      .replace(/\r\n?/g, '\n')
      .replace(/<br\s*\/?>/gi, '\n')
      .replace(/<\/(p|div|li|h[1-6])>/gi, '\n')
      .replace(/<a\b[^>]*?\bhref\s*=\s*"([^"]*)"[^>]*>([\s\S]*?)<\/a>/gi, linkToPlain)
      .replace(/<[^>]*>/g, ''),
  )
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

export interface MentionEntity {
  type?: string;
  text?: string;
  mentioned?: { id?: string; name?: string };
}

/**
 * Removes @mentions of the bot (`<at>Bot</at>`, named by a mention entity whose id is the bot's),
 * so "@SMS Bridge thanks!" goes out as "thanks!". Other people's mentions stay as their names.
 */
export function stripBotMention(text: string, entities: unknown[] | undefined, botId: string | undefined): string {
  let out = text;
  for (const e of (entities ?? []) as MentionEntity[]) {
    if (e?.type !== 'mention' || !e.mentioned?.id || !botId) continue;
    if (e.mentioned.id !== botId) continue;
    if (e.text) out = out.split(e.text).join('');
    else if (e.mentioned.name) out = out.split(`<at>${e.mentioned.name}</at>`).join('');
  }
  return out;
}
