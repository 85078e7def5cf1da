// Schema 002: the chat inbox. A chat platform that wants its answer before the bridge has done
// the work (Slack: 3 s, then it retries) gets it only after the raw event is stored here; the row
// is marked done once handled, and rows still open at start-up (a crash, a kill) are handled then.

export const version = 2;
export const name = 'chat_inbox';

export const sql = `
CREATE TABLE chat_inbox (
  platform    TEXT NOT NULL,
  event_id    TEXT NOT NULL,
  payload     TEXT NOT NULL,
  received_at TEXT NOT NULL,
  attempts    INTEGER NOT NULL DEFAULT 0,
  done_at     TEXT,
  PRIMARY KEY (platform, event_id)
);
CREATE INDEX chat_inbox_open ON chat_inbox (platform, received_at) WHERE done_at IS NULL;
`;
