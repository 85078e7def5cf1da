// Finding the bridge's own earlier post in Slack (OwnPostFinder in the core ports): a post whose
// chat.postMessage completed just before a crash, but whose record never committed. Every post of
// the bridge carries metadata {event_type: BRIDGE_EVENT_TYPE, event_payload: {kind, message_id |
// conversation_id}} (platform.ts), which Slack returns with include_all_metadata.
//
// The search starts a little before the first attempt (`since`, our clock; the margin covers clock
// skew with Slack), so a long thread or a busy channel is never read from its beginning, and it
// reads a bounded number of pages: past that it reports nothing found (the caller then posts,
// which at worst shows the message twice, never loses it).

import type { SlackApi, SlackListedMessage } from './api.js';
import { BRIDGE_EVENT_TYPE } from './format.js';

/** How far before the first attempt the search starts (clock skew between us and Slack). */
export const SEARCH_MARGIN_MS = 5 * 60_000;
const PAGE_SIZE = 200;
const MAX_PAGES = 20;

/** Slack's timestamp form (seconds.micro) of an ISO time less the margin. */
export function oldestFor(since: string): string {
  const ms = Date.parse(since);
  return Number.isFinite(ms) ? (Math.max(0, ms - SEARCH_MARGIN_MS) / 1000).toFixed(6) : '0';
}

/** The ts of the first message (in `channel`, or in the thread `threadTs`) that `ours` accepts. */
async function findTs(api: SlackApi, where: { channel: string; threadTs?: string }, since: string, ours: (m: SlackListedMessage) => boolean): Promise<string | null> {
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { messages, nextCursor } = await api.messagesPage({ channel: where.channel, ts: where.threadTs, oldest: oldestFor(since), cursor, limit: PAGE_SIZE });
    const hit = messages.find((m) => m.ts && m.metadata?.event_type === BRIDGE_EVENT_TYPE && ours(m));
    if (hit?.ts) return hit.ts;
    if (!nextCursor) return null;
    cursor = nextCursor;
  }
  return null;
}

const payload = (m: SlackListedMessage): Record<string, unknown> => m.metadata?.event_payload ?? {};

/** Our post of message `messageId` in the thread, if Slack has it. */
export function findMessagePostTs(api: SlackApi, channel: string, threadTs: string, messageId: string, since: string): Promise<string | null> {
  return findTs(api, { channel, threadTs }, since, (m) => payload(m).kind === 'message' && payload(m).message_id === messageId);
}

/** Our thread root of conversation `conversationId` in the channel, if Slack has it. */
export function findThreadRootTs(api: SlackApi, channel: string, conversationId: string, since: string): Promise<string | null> {
  return findTs(api, { channel }, since, (m) => (!m.thread_ts || m.thread_ts === m.ts) && payload(m).kind === 'root' && payload(m).conversation_id === conversationId);
}
