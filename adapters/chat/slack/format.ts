// How the bridge's words look in Slack: escaping, thread roots, message lines, status marks.
// Pure functions, no I/O.

import { withoutBidiControls } from '../../../src/chat/bidi.js';
import { countryName, formatForDisplay, parsePhone } from '../../../src/core/phone.js';
import type { Refusal } from '../../../src/core/errors.js';
import type { Conversation, Message, MessageStatus } from '../../../src/core/types.js';

export const PLATFORM_ID = 'slack';
/** Slack message metadata event type on everything the bridge posts (echo recognition). */
export const BRIDGE_EVENT_TYPE = 'sms_bridge_message';

/**
 * Outside text (a reason, a name, a number) in one of the bridge's own mrkdwn lines. Escaping
 * Slack's three control characters stops `<!channel>`, `<@U123>` and `<http://evil|bank.com>`
 * from pinging or disguising a link; bidirectional controls are removed so nothing shows
 * reversed. Messages themselves are posted as rich text (richText.ts), where nothing is markup.
 */
export function escapeSlackText(text: string): string {
  return withoutBidiControls(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
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
