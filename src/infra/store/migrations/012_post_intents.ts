// Schema 012: chat post intents. Slack's chat.postMessage has no idempotency key, so a post whose
// call completed just before a crash (kill -9, a lost answer) but whose record (message_posts, or
// threads for a thread root) never committed would be posted again by the retry. Delivery first
// records here that it is about to post (what, where, since when), committed before the call; a
// retry that finds an intent but no record looks for its own post on the platform first
// (src/delivery/postOnce.ts). The row goes once the post is recorded.
//
// kind 'message': subject_id is a message id. kind 'thread_root': subject_id is a conversation id.
// started_at is the first attempt's time (a later attempt keeps it): the platform search starts
// there, so it never has to read a whole long thread or channel.
//
// Version 012 follows 009 on purpose: 010 and 011 belong to changes on other branches. migrate()
// checks each version on its own (not "everything up to the highest"), so a gap is harmless and
// 010/011 apply later on a database that already has 012.

export const version = 12;
export const name = 'post_intents';

export const sql = `
CREATE TABLE chat_post_intents (
  kind       TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  platform   TEXT NOT NULL,
  channel    TEXT NOT NULL,
  started_at TEXT NOT NULL,
  PRIMARY KEY (kind, subject_id, platform, channel)
);
`;
