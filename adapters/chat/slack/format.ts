// How the bridge's words look in Slack: escaping, thread roots, message lines, status marks.
// Pure functions, no I/O.

import { linkPieces } from '../../../src/chat/linkify.js';
import { countryName, formatForDisplay, parsePhone } from '../../../src/core/phone.js';
import type { Refusal } from '../../../src/core/errors.js';
import type { ChatMessageView } from '../../../src/core/ports.js';
import type { Conversation, Message, MessageStatus } from '../../../src/core/types.js';

export const PLATFORM_ID = 'slack';
/** Slack message metadata event type on everything the bridge posts (echo recognition). */
export const BRIDGE_EVENT_TYPE = 'sms_bridge_message';

/**
 * Slack's three control characters. Escaping them is all it takes to stop `<!channel>`,
 * `<@U123>` and `<http://evil|bank.com>` from pinging or disguising a link; bare URLs stay
 * auto-linked by Slack (phone numbers are linked by smsTextForSlack).
 */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * What a Slack message says, as plain text for an SMS. Slack sends `&amp; &lt; &gt;` escaped and
 * links, mentions and channels as `<...>` markup: `<https://x.com|x.com>` -> "x.com",
 * `<https://x.com|here>` -> "here (https://x.com)", `<@U123>` -> "@Name", `<#C1|general>` ->
 * "#general", `<!here>` -> "@here".
 */
export async function slackToPlainText(text: string, userName: (id: string) => Promise<string | null>): Promise<string> {
  const names = new Map<string, string | null>();
  for (const m of text.matchAll(/<@([^<>|]*)>/g)) {
    const id = m[1] ?? '';
    if (!names.has(id)) names.set(id, await userName(id));
  }
  return slackToPlain(text, (id) => names.get(id) ?? null);
}

/** slackToPlainText with the user names at hand (unknown ones read "@someone"). */
export function slackToPlain(text: string, userName: (id: string) => string | null): string {
  const parts: string[] = [];
  let last = 0;
  for (const m of text.matchAll(/<([^<>]*)>/g)) {
    parts.push(text.slice(last, m.index));
    last = m.index + m[0].length;
    const [target = '', label] = (m[1] ?? '').split('|', 2);
    if (target.startsWith('@')) {
      parts.push(`@${label ?? userName(target.slice(1)) ?? 'someone'}`);
    } else if (target.startsWith('#')) {
      parts.push(`#${label ?? target.slice(1)}`);
    } else if (target.startsWith('!')) {
      const word = target.slice(1).split('^')[0] ?? '';
      parts.push(label ?? (word.startsWith('subteam') ? '@group' : `@${word}`));
    } else {
      const url = target;
      const plainUrl = url.replace(/^mailto:|^tel:/, '');
      if (plainUrl !== url) parts.push(label ?? plainUrl); // a phone number or an address
      else if (!label || label === url || label === plainUrl || `http://${label}` === url || `https://${label}` === url) parts.push(label ?? plainUrl);
      else parts.push(`${label} (${plainUrl})`);
    }
  }
  parts.push(text.slice(last));
  return unescapeSlack(parts.join(''));
}

function unescapeSlack(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** "(415) 555-2671 (United States)", or the sender id as given for alphanumeric senders. */
export function describeContact(contact: string): string {
  const info = parsePhone(contact);
  const shown = formatForDisplay(contact);
  const country = countryName(info.country);
  return country ? `${shown} (${country})` : shown;
}

/**
 * The thread's root. `notePrefix` is the policy's internal-note prefix as it is now (an admin may
 * change it; '' turns notes off): the hint must name the one that works, or an agent following
 * it would text the contact a note.
 */
export function rootText(conversation: Conversation, notePrefix: string): string {
  return (
    `:speech_balloon: SMS conversation with *${escapeSlackText(describeContact(conversation.contact))}* ` +
    `on bridge number *${escapeSlackText(formatForDisplay(conversation.number))}*. ` +
    (notePrefix
      ? `Replies in this thread are sent as SMS; start a reply with ${inlineCode(notePrefix)} for an internal note.`
      : 'Every reply in this thread is sent as SMS.')
  );
}

/** `text` as inline code (escaped; a backtick inside would end the code span, so it is dropped). */
export function inlineCode(text: string): string {
  return `\`${escapeSlackText(text.replace(/`/g, "'"))}\``;
}

const PLATFORM_NAMES: Record<string, string> = { slack: 'Slack', teams: 'Teams' };

/**
 * SMS text for a Slack message (rule 9): escaped, so nothing in it is markup; phone numbers as
 * `<tel:+E164|as written>` links we build (Slack renders them clickable, as it does for numbers
 * people type); URLs are left as text, which Slack links itself.
 */
export function smsTextForSlack(text: string): string {
  return linkPieces(text)
    .map((p) => (p.kind === 'phone' ? `<${p.href}|${escapeSlackText(p.value)}>` : escapeSlackText(p.value)))
    .join('');
}

/** The text of one message in its thread. */
export function messageText(view: ChatMessageView): string {
  const { message } = view;
  const body = message.body.length > 0 ? smsTextForSlack(message.body) : '';
  const lines: string[] = [];
  if (message.direction === 'inbound') {
    lines.push(body || (message.media.length > 0 ? '_(picture message)_' : '_(empty message)_'));
  } else {
    // Outbound or co-worker message written in chat: say who wrote it and where (rule 8).
    const who = view.origin?.authorName ? escapeSlackText(view.origin.authorName) : 'someone';
    const where = view.origin ? (PLATFORM_NAMES[view.origin.platform] ?? view.origin.platform) : 'chat';
    const kind = message.direction === 'internal' ? 'internal message' : 'SMS';
    lines.push(`*${who}* (${where}) sent ${kind}:`);
    lines.push(body || '_(no text)_');
  }
  for (const n of view.notices) lines.push(`:warning: ${escapeSlackText(n)}`);
  return lines.join('\n');
}

/** Reaction per status shown on a reply; null when nothing new is shown. */
export function statusReaction(status: MessageStatus): string | null {
  switch (status) {
    case 'queued':
    case 'sending': // still on its way: same mark as queued (adding it twice is harmless)
      return 'hourglass_flowing_sand';
    case 'sent':
      return 'outbox_tray';
    case 'delivered':
      return 'white_check_mark';
    case 'undelivered':
    case 'failed':
      return 'x';
    case 'refused':
      return 'no_entry_sign';
    case 'received':
      return null;
  }
}

/**
 * The bridge's marks of earlier statuses to take off when `status` is shown, so a reply carries
 * one current mark (a sent reply must not still show the hourglass). Statuses only move forward,
 * so a mark of a later status is never there; removing one that is not there is harmless.
 */
export function staleStatusReactions(status: MessageStatus): string[] {
  const current = statusReaction(status);
  if (current === null || current === 'hourglass_flowing_sand') return [];
  if (current === 'outbox_tray') return ['hourglass_flowing_sand'];
  // Final marks (delivered, undelivered, failed, refused): the in-progress ones go.
  return ['hourglass_flowing_sand', 'outbox_tray'];
}

/** Threaded notice for statuses that need words, not just a reaction. */
export function statusNotice(message: Message): string | null {
  const reason = message.statusReason ? escapeSlackText(message.statusReason) : 'no reason given';
  const code = message.errorCode ? ` (code ${escapeSlackText(message.errorCode)})` : '';
  switch (message.status) {
    case 'failed':
      return `:x: This SMS was not sent: ${reason}${code}.`;
    case 'undelivered':
      return `:x: This SMS could not be delivered: ${reason}${code}.`;
    case 'refused':
      return `:no_entry_sign: This SMS was not sent: ${reason}${code}.`;
    default:
      return null;
  }
}

export function refusalText(refusals: Refusal[], prefix = 'Not sent'): string {
  const lines = refusals.map((r) => `• ${escapeSlackText(r.reason)}`);
  return `:no_entry_sign: ${prefix}:\n${lines.join('\n')}`;
}

/** A reply in a thread whose channel no longer shows the conversation's number: not sent. */
export function channelNotMappedText(number: string): string {
  return `:no_entry_sign: Not sent: this channel is no longer mapped to ${escapeSlackText(formatForDisplay(number))}; replies are not sent.`;
}

export function platformMessageId(team: string, channel: string, ts: string): string {
  return `slack:${team}:${channel}:${ts}`;
}

/** The ts of a platform message id `slack:<team>:<channel>:<ts>`; null when not one of ours. */
export function tsOf(platformMessageIdValue: string): string | null {
  const parts = platformMessageIdValue.split(':');
  if (parts.length !== 4 || parts[0] !== 'slack') return null;
  return parts[3] ?? null;
}
