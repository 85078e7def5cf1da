// `/sms` slash command. Bolt acks first (Slack wants an answer within 3 s); the work happens
// after, and the answer goes back ephemeral through the command's response_url.

import { givePlaceUp } from '../../../src/chat/handleReply.js';
import { reserveChannelSend, sendFromChannel, type SentFrom } from '../../../src/chat/sendFromChannel.js';
import { ConflictError } from '../../../src/core/errors.js';
import { smsCapability } from '../../../src/core/capability.js';
import { formatForDisplay, parsePhone } from '../../../src/core/phone.js';
import type { Message } from '../../../src/core/types.js';
import { parseSmsCommand, type SmsCommand } from './commandParser.js';
import type { SlackHandlerDeps } from './context.js';
import { PLATFORM_ID, escapeSlackText, inlineCode, refusalText, slackToPlain, slackToPlainText } from './format.js';

/** The fields of a slash command payload the bridge reads. */
export interface SlashCommandPayload {
  command: string;
  text: string;
  user_id: string;
  user_name?: string;
  channel_id: string;
  team_id: string;
  trigger_id?: string;
  response_url?: string;
}

/** `/sms help`; `notePrefix` is the policy's internal-note prefix now ('' = notes are off). */
export function helpText(notePrefix: string): string {
  return [
    '*SMS from this channel* (the channel\'s mapped number is always the sender):',
    '• `/sms +1 415 555 2671 your text` – text a contact; the message and the replies live in the contact\'s thread here',
    '• `/sms history <number>` – recent messages with a contact',
    notePrefix
      ? `• Reply in a contact's thread to text them; start with ${inlineCode(notePrefix)} for an internal note`
      : '• Reply in a contact\'s thread to text them (every reply is sent)',
    '*Admins:* `/sms map <number>` (show that number in this channel), `/sms unmap <number>`, `/sms numbers`',
  ].join('\n');
}

export type Reply = (text: string) => Promise<void>;

/** Slack workspace admins/owners, or users marked admin in the admin API. */
export async function isAdmin(deps: SlackHandlerDeps, userId: string): Promise<boolean> {
  if ((await deps.chat.store.users.get(PLATFORM_ID, userId))?.admin) return true;
  try {
    const info = await deps.api.userInfo(userId);
    return info.isAdmin || info.isOwner;
  } catch (err) {
    deps.logger.warn({ userId, err: err instanceof Error ? err.message : String(err) }, 'slack users.info failed; treated as not admin');
    return false;
  }
}

export async function handleSmsCommand(deps: SlackHandlerDeps, cmd: SlashCommandPayload, reply: Reply): Promise<void> {
  const platformMessageId = `slack:${cmd.team_id}:${cmd.channel_id}:cmd:${cmd.trigger_id ?? `${Date.now()}-${Math.random()}`}`;
  // A send takes its place in the conversation's order now, before the names are looked up.
  const early = parseSmsCommand(slackToPlain(cmd.text ?? '', () => null));
  if (early.kind === 'send') {
    await reserveChannelSend(deps.chat, { platform: PLATFORM_ID, channel: cmd.channel_id, to: early.to, userId: cmd.user_id, platformMessageId });
  }
  // Slash command text arrives with Slack's escaping and markup, like message text.
  const text = await slackToPlainText(cmd.text ?? '', (id) => deps.userNames.get(id));
  const parsed = parseSmsCommand(text);
  if (early.kind === 'send' && parsed.kind !== 'send') await givePlaceUp(deps.chat, platformMessageId);
  switch (parsed.kind) {
    case 'help':
      return reply(helpText((await deps.chat.store.policy.get()).internalNotePrefix));
    case 'invalid':
      return reply(`:no_entry_sign: ${parsed.problem}`);
    case 'history':
      return reply(await history(deps, cmd.channel_id, parsed.number));
    case 'map':
    case 'unmap':
    case 'numbers':
      if (!(await isAdmin(deps, cmd.user_id))) {
        return reply(':no_entry_sign: Only Slack workspace admins and owners, or users marked admin in the bridge, may use `/sms ' + parsed.kind + '`.');
      }
      return reply(await adminCommand(deps, cmd, parsed));
    case 'send':
      return reply(await send(deps, cmd, parsed.to, parsed.text, platformMessageId));
  }
}

async function send(deps: SlackHandlerDeps, cmd: SlashCommandPayload, to: string[], text: string, platformMessageId: string): Promise<string> {
  const userName = (await deps.userNames.get(cmd.user_id)) ?? cmd.user_name ?? null;
  const result = await sendFromChannel(deps.chat, {
    platform: PLATFORM_ID,
    channel: cmd.channel_id,
    userId: cmd.user_id,
    userName,
    to,
    text,
    platformMessageId,
  });
  switch (result.kind) {
    case 'no-mapping':
      return ':no_entry_sign: Not sent: this channel is not mapped to a bridge number, so there is no number to send from. An admin can map one with `/sms map <number>`.';
    case 'refused':
      return result.mappedNumbers > 1 ? `${refusalText(result.refusals)}\n${sentFromText(result, 'Tried from')}` : refusalText(result.refusals);
    case 'queued': {
      const who = escapeSlackText(formatForDisplay(to[0] ?? ''));
      const done = result.internal
        ? `:white_check_mark: Delivered to co-worker number ${who}; it appears in their thread.`
        : `:hourglass_flowing_sand: SMS to ${who} queued; it appears in the contact's thread in this channel with its status.`;
      return `${done} ${sentFromText(result, 'Sent from')}`;
    }
  }
}

/**
 * Names the number a channel send used (rule 11: the user sees their caller id). With several
 * numbers mapped to the channel the oldest mapping is used, and the text says it was a choice.
 */
export function sentFromText(r: SentFrom, verb: 'Sent from' | 'Tried from'): string {
  const number = escapeSlackText(formatForDisplay(r.from));
  return r.mappedNumbers > 1 ? `${verb} ${number}, the first of ${r.mappedNumbers} numbers mapped here.` : `${verb} ${number}.`;
}

/** Messages `/sms history` shows per conversation: the latest ones. */
export const HISTORY_LINES = 15;

async function history(deps: SlackHandlerDeps, channel: string, input: string): Promise<string> {
  const { store } = deps.chat;
  const contact = parsePhone(input).e164 ?? input.trim();
  const numbers = (await store.mappings.list({ platform: PLATFORM_ID, channel })).map((m) => m.number);
  if (numbers.length === 0) return ':no_entry_sign: This channel is not mapped to a bridge number.';
  const lines: string[] = [];
  for (const number of numbers) {
    const conversation = await store.conversations.find(number, contact);
    if (!conversation) continue;
    // Only the latest HISTORY_LINES (+1 to tell whether older ones exist): history is kept
    // forever, so a conversation can be far longer than anyone wants loaded for 15 lines.
    const latest = await store.messages.listForConversation(conversation.id, { limit: HISTORY_LINES + 1 });
    const older = latest.length > HISTORY_LINES;
    const recent = older ? latest.slice(-HISTORY_LINES) : latest;
    const span = older
      ? `last ${recent.length}; older messages are in the admin history`
      : `all ${recent.length} message${recent.length === 1 ? '' : 's'}`;
    lines.push(`*${escapeSlackText(formatForDisplay(contact))}* with ${escapeSlackText(formatForDisplay(number))} (${span}):`);
    for (const m of recent) lines.push(historyLine(m));
  }
  if (lines.length === 0) return `No messages with ${escapeSlackText(formatForDisplay(contact))} on this channel's number.`;
  return lines.join('\n');
}

function historyLine(m: Message): string {
  const arrow = m.direction === 'inbound' ? ':inbox_tray:' : m.direction === 'internal' ? ':busts_in_silhouette:' : ':outbox_tray:';
  const who = m.author?.name ? ` ${escapeSlackText(m.author.name)}:` : '';
  const body = m.body.length > 200 ? `${m.body.slice(0, 200)}…` : m.body;
  const files = m.media.length > 0 ? ` [${m.media.length} file(s)]` : '';
  return `${arrow} ${m.createdAt.slice(0, 16).replace('T', ' ')} (${m.status})${who} ${escapeSlackText(body)}${files}`;
}

async function adminCommand(deps: SlackHandlerDeps, cmd: SlashCommandPayload, parsed: Extract<SmsCommand, { kind: 'map' | 'unmap' | 'numbers' }>): Promise<string> {
  const { store } = deps.chat;
  const actor = `slack:${cmd.user_id}`;
  if (parsed.kind === 'numbers') {
    const numbers = await store.numbers.list();
    if (numbers.length === 0) return 'No numbers are provisioned on the bridge yet (admin API `POST /admin/api/numbers`).';
    const policy = await store.policy.get();
    const lines: string[] = [];
    for (const n of numbers) {
      const cap = smsCapability(n, policy);
      const where = (await store.mappings.list({ number: n.e164 })).map((m) => (m.platform === PLATFORM_ID ? `<#${m.channel}>` : `${m.platform}:${escapeSlackText(m.channel)}`));
      const sms = cap.capable ? 'SMS on' : `SMS off (${cap.refusals.map((r) => escapeSlackText(r.reason)).join('; ')})`;
      lines.push(`• ${escapeSlackText(formatForDisplay(n.e164))} – ${n.provider}, ${n.type}, ${sms}; ${where.length ? `shown in ${where.join(', ')}` : 'not mapped'}`);
    }
    return lines.join('\n');
  }
  const e164 = parsePhone(parsed.number).e164;
  if (!e164) return `:no_entry_sign: "${escapeSlackText(parsed.number)}" is not a phone number.`;
  const shown = escapeSlackText(formatForDisplay(e164));
  if (parsed.kind === 'unmap') {
    const mapping = (await store.mappings.list({ number: e164, platform: PLATFORM_ID, channel: cmd.channel_id }))[0];
    if (!mapping) return `${shown} is not mapped to this channel.`;
    await store.transaction(async () => {
      await store.mappings.remove(mapping.id);
      await store.audit.record({ actor, action: 'mapping.delete', target: mapping.id, before: mapping, after: null });
    });
    return `:white_check_mark: ${shown} is no longer shown in this channel.`;
  }
  // map
  if (!(await store.numbers.get(e164))) return `:no_entry_sign: ${shown} is not provisioned on the bridge; add it first (admin API \`POST /admin/api/numbers\`).`;
  const here = await store.mappings.list({ platform: PLATFORM_ID, channel: cmd.channel_id });
  if (here.some((m) => m.number === e164)) return `${shown} is already mapped to this channel.`;
  if (here.length > 0) {
    return `:no_entry_sign: This channel already shows ${here.map((m) => escapeSlackText(formatForDisplay(m.number))).join(', ')}; \`/sms unmap\` it first (one number per channel keeps the sender unambiguous).`;
  }
  try {
    const moved = await store.transaction(async () => {
      // One Slack channel per number (per workspace): mapping here moves it; the next message
      // starts a new thread in this channel.
      const old = await store.mappings.list({ number: e164, platform: PLATFORM_ID });
      for (const m of old) {
        await store.mappings.remove(m.id);
        await store.audit.record({ actor, action: 'mapping.delete', target: m.id, before: m, after: null });
      }
      const created = await store.mappings.create({ number: e164, platform: PLATFORM_ID, channel: cmd.channel_id });
      await store.audit.record({ actor, action: 'mapping.create', target: created.id, before: null, after: created });
      return old;
    });
    await deps.chat.afterMapped?.(e164); // its texts no chat showed yet are posted here
    const from = moved.length ? ` (moved from ${moved.map((m) => `<#${m.channel}>`).join(', ')})` : '';
    return `:white_check_mark: ${shown} is now shown in this channel${from}. New conversations start a thread here.`;
  } catch (err) {
    if (err instanceof ConflictError) return `${shown} is already mapped to this channel.`;
    throw err;
  }
}
