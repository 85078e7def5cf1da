// Postgres schema 012: chat post intents (see ../012_post_intents.ts); the same table.

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
