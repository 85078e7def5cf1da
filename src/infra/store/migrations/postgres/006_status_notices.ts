// Postgres schema 006: shown statuses per message and channel (see ../006_status_notices.ts).

export const version = 6;
export const name = 'status_notices';

export const sql = `
CREATE TABLE status_notices (
  message_id  TEXT NOT NULL,
  platform    TEXT NOT NULL,
  channel     TEXT NOT NULL,
  activity_id TEXT,
  shown_line  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  PRIMARY KEY (message_id, platform, channel)
);
`;
