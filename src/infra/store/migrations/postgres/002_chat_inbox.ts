// Postgres schema 002: the chat inbox (see ../002_chat_inbox.ts); seq orders rows as SQLite's rowid.

export const version = 2;
export const name = 'chat_inbox';

export const sql = `
CREATE TABLE chat_inbox (
  seq         BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  platform    TEXT NOT NULL,
  event_id    TEXT NOT NULL,
  payload     TEXT NOT NULL,
  received_at TEXT NOT NULL,
  attempts    INTEGER NOT NULL DEFAULT 0,
  done_at     TEXT,
  PRIMARY KEY (platform, event_id)
);
CREATE INDEX chat_inbox_open ON chat_inbox (platform, received_at, seq) WHERE done_at IS NULL;
`;
