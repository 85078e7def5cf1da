// Postgres schema 004: the outbox (see ../004_outbox.ts). SQLite's 004 also moved the pending
// work of the Redis-ordered design into it; a Postgres database never ran that design, so there
// is nothing to move. due_at is epoch ms (BIGINT); the AUTOINCREMENT key is an identity column.

export const version = 4;
export const name = 'outbox';

export const sql = `
CREATE TABLE outbox (
  seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  lane            TEXT NOT NULL CHECK (lane IN ('send', 'deliver')),
  conversation_id TEXT NOT NULL,
  message_id      TEXT,
  slot_key        TEXT,
  owner           TEXT,
  state           TEXT NOT NULL CHECK (state IN ('preparing', 'ready', 'failed')),
  due_at          BIGINT NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL
);
CREATE INDEX outbox_head ON outbox (lane, conversation_id, seq) WHERE state <> 'failed';
CREATE UNIQUE INDEX outbox_pending_message ON outbox (lane, message_id) WHERE state <> 'failed';
CREATE UNIQUE INDEX outbox_slot ON outbox (lane, slot_key) WHERE slot_key IS NOT NULL AND state <> 'failed';
CREATE INDEX outbox_failed ON outbox (lane, updated_at) WHERE state = 'failed';
`;
