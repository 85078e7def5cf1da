// Schema 011: web inbox read marks. One row per (console session, conversation): the insertion
// order (rowid) of the conversation's newest message when the session last read it. Unread =
// inbound messages inserted after it; insertion order, not created_at, so a text whose provider
// time is behind ours still counts as new. Sessions live elsewhere (migration 010, sign-in), so
// session_id is not a foreign key: marks of an ended session are simply never read again.

export const version = 11;
export const name = 'inbox_reads';

export const sql = `
CREATE TABLE inbox_reads (
  session_id      TEXT NOT NULL,
  conversation_id TEXT NOT NULL REFERENCES conversations (id),
  read_upto       INTEGER NOT NULL,
  read_at         TEXT NOT NULL,
  PRIMARY KEY (session_id, conversation_id)
);
`;
