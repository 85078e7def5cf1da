// Postgres schema 008: the local dev provider's shared outbox (see ../008_local_outbox.ts); the
// AUTOINCREMENT key is an identity column.

export const version = 8;
export const name = 'local_outbox';

export const sql = `
CREATE TABLE local_outbox (
  seq                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  provider_message_id TEXT NOT NULL UNIQUE,
  message_id          TEXT NOT NULL UNIQUE,
  from_number         TEXT NOT NULL,
  to_number           TEXT NOT NULL,
  body                TEXT NOT NULL,
  media_urls          TEXT NOT NULL,
  sent_at             TEXT NOT NULL
);
`;
