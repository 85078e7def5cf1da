// Who fills a reserved outbox place (OutboxItem.owner). Usually the process preparing the reply
// (a liveness owner "<name>~<nonce>"): when that process dies its place is given up, so the items
// behind it go on; nothing else would ever fill it.
//
// A reply whose chat event was stored in a chat inbox before the platform was answered (Slack's,
// adapters/chat/slack/inbox.ts) is different: the stored event outlives any process, and one live
// instance replays it and fills the place (or gives it up, when the reply is refused). Such a place
// is kept by the inbox, not by a process: a dead process never gives it up, so the reply keeps the
// place it took when it arrived, and the replies written after it wait for it, whichever instance
// handles what. (The workers' bug guard, a place preparing for far too long, still applies.)

/** The owner of a place kept by a chat inbox (not a liveness owner: it never dies). */
export const INBOX_KEEPER = 'inbox';

/** True for a place kept by a chat inbox (see the header). */
export const keptByInbox = (owner: string | null): boolean => owner === INBOX_KEEPER;
