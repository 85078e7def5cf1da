// Schema 008: the local dev provider's outbox (what it "sent"), shared by every instance on the
// store, so the dev phone of any instance lists and answers what any instance sent. A send is
// idempotent on our message id (UNIQUE message_id); only the latest entries are kept (the repo
// prunes).

export const version = 8;
export const name = 'local_outbox';

export const sql = `
CREATE TABLE local_outbox (
  seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
  provider_message_id TEXT NOT NULL UNIQUE,
  message_id          TEXT NOT NULL UNIQUE,
  from_number         TEXT NOT NULL,
  to_number           TEXT NOT NULL,
  body                TEXT NOT NULL,
  media_urls          TEXT NOT NULL,
  sent_at             TEXT NOT NULL
);
`;
