// The shape of incoming Bot Framework activities, checked before botbuilder sees them (a body
// botbuilder cannot route, or one with a field we read of the wrong type, is a 400 with a reason,
// not a 500: issue 13 finding 8, where a number as `text` or a list as a channel id reached the
// handlers and SQLite), and the Teams specifics we read: which channel and thread a message
// lives in, and the channel reference it carries.

import { z } from 'zod';
import type { TeamsChannelReference } from './channels.js';

const text = z.string().nullish();
const account = z.object({ id: z.string().min(1), name: text, aadObjectId: text, role: text }).passthrough();
const named = z.object({ id: text, name: text }).passthrough().nullish();

/** Teams' file attachment: its download link and file type live in `content`. */
export const FILE_DOWNLOAD_INFO = 'application/vnd.microsoft.teams.file.download.info';

const attachment = z
  .object({ contentType: text, contentUrl: text, name: text, content: z.unknown() })
  .passthrough()
  .superRefine((a, ctx) => {
    if (a.contentType !== FILE_DOWNLOAD_INFO || a.content === undefined || a.content === null) return;
    const c = z.object({ downloadUrl: text, fileType: text }).passthrough().safeParse(a.content);
    if (!c.success) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['content'], message: 'expected { downloadUrl, fileType } as strings' });
  });

/**
 * What every activity we accept must carry (botbuilder and teams-ai read these), and the type of
 * every optional field the bridge reads when it is there (replies, installation, trust).
 */
export const incomingActivitySchema = z
  .object({
    type: z.string().min(1),
    id: z.string().min(1).optional(),
    channelId: z.string().min(1),
    serviceUrl: z.string().url(),
    from: account,
    recipient: account,
    conversation: z.object({ id: z.string().min(1), conversationType: text, tenantId: text }).passthrough(),
    text,
    action: text,
    name: text,
    channelData: z
      .object({
        eventType: text,
        channel: named,
        team: z.object({ id: text, name: text, aadGroupId: text }).passthrough().nullish(),
        tenant: z.object({ id: text }).passthrough().nullish(),
        settings: z.object({ selectedChannel: named }).passthrough().nullish(),
      })
      .passthrough()
      .nullish(),
    entities: z
      .array(z.object({ type: text, text, mentioned: z.object({ id: text, name: text }).passthrough().nullish() }).passthrough())
      .nullish(),
    attachments: z.array(attachment).nullish(),
    membersAdded: z.array(account).nullish(),
    membersRemoved: z.array(account).nullish(),
  })
  .passthrough();

export type IncomingActivity = z.infer<typeof incomingActivitySchema>;

/** The part of Teams' channelData we use. */
export interface TeamsChannelData {
  eventType?: string;
  channel?: { id?: string; name?: string };
  team?: { id?: string; name?: string; aadGroupId?: string };
  tenant?: { id?: string };
  settings?: { selectedChannel?: { id?: string; name?: string } };
}

/** A loosely typed activity as botbuilder hands it to handlers. */
export interface ActivityLike {
  type: string;
  id?: string;
  text?: string;
  serviceUrl: string;
  channelId?: string;
  from: { id: string; name?: string | null; aadObjectId?: string | null; role?: string | null };
  recipient: { id: string; name?: string | null };
  conversation: { id: string; conversationType?: string | null; tenantId?: string | null };
  channelData?: unknown;
  entities?: unknown[];
  attachments?: { contentType?: string; contentUrl?: string; name?: string; content?: unknown }[];
  membersAdded?: { id: string }[];
  membersRemoved?: { id: string }[];
  action?: string;
}

export function channelDataOf(a: ActivityLike): TeamsChannelData {
  return (a.channelData ?? {}) as TeamsChannelData;
}

/** "19:abc@thread.tacv2;messageid=123" -> { channel: "19:abc@thread.tacv2", rootId: "123" }. */
export function splitConversationId(id: string): { channel: string; rootId: string | null } {
  const cut = id.indexOf(';messageid=');
  if (cut < 0) return { channel: id, rootId: null };
  const rootId = id.slice(cut + ';messageid='.length);
  return { channel: id.slice(0, cut), rootId: rootId.length > 0 ? rootId : null };
}

/** Where a channel message lives: its channel and the root of its thread (null: not threaded). */
export function locateMessage(a: ActivityLike): { channel: string; rootId: string | null } | null {
  if (a.conversation.conversationType && a.conversation.conversationType !== 'channel') return null;
  const split = splitConversationId(a.conversation.id);
  const channel = channelDataOf(a).channel?.id ?? split.channel;
  return { channel, rootId: split.rootId };
}

/** True for activities our own bot (or any bot) wrote: never bridged (no echo loops). */
export function isFromBot(a: ActivityLike): boolean {
  return a.from.id === a.recipient.id || a.from.role === 'bot' || a.from.id.startsWith('28:');
}

/** The conversation reference of a channel, as an activity from it tells us. */
export function referenceFrom(a: ActivityLike, channel: { id: string; name?: string | null }): TeamsChannelReference {
  const cd = channelDataOf(a);
  return {
    serviceUrl: a.serviceUrl,
    channelId: channel.id,
    channelName: channel.name ?? null,
    tenantId: cd.tenant?.id ?? a.conversation.tenantId ?? null,
    teamId: cd.team?.id ?? null,
    teamName: cd.team?.name ?? null,
    botId: a.recipient.id,
    botName: a.recipient.name ?? null,
  };
}

/** Who wrote a message: the Entra (AAD) object id when Teams gives it (stable across tenants' apps). */
export function authorOf(a: ActivityLike): { userId: string; userName: string | null } {
  return { userId: a.from.aadObjectId ?? a.from.id, userName: a.from.name ?? null };
}
