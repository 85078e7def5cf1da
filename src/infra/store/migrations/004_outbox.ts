// Schema 004: the outbox. Every piece of work that must still happen for a message (send it as
// SMS, post it into chat) is a row here, in one order per conversation and lane, written in the
// same transaction as the message. The queue (BullMQ) only says "this conversation has work": a
// Redis that lost its data, or a wake-up lost to a crash, loses nothing (see
// src/infra/queue/turns.ts).
//
// The previous design kept this order in Redis; its pending work is moved in here: outbound
// messages still queued or sending, and inbound or co-worker messages of the last day that have
// no chat post while their number is mapped (what its start-up recovery re-enqueued).

export const version = 4;
export const name = 'outbox';

export const sql = `
CREATE TABLE outbox (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  lane            TEXT NOT NULL CHECK (lane IN ('send', 'deliver')),
  conversation_id TEXT NOT NULL,
  message_id      TEXT,
  slot_key        TEXT,
  owner           TEXT,
  state           TEXT NOT NULL CHECK (state IN ('preparing', 'ready', 'failed')),
  due_at          INTEGER NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL
);
CREATE INDEX outbox_head ON outbox (lane, conversation_id, seq) WHERE state <> 'failed';
CREATE UNIQUE INDEX outbox_pending_message ON outbox (lane, message_id) WHERE state <> 'failed';
CREATE UNIQUE INDEX outbox_slot ON outbox (lane, slot_key) WHERE slot_key IS NOT NULL AND state <> 'failed';
CREATE INDEX outbox_failed ON outbox (lane, updated_at) WHERE state = 'failed';

INSERT INTO outbox (lane, conversation_id, message_id, state, due_at, created_at, updated_at)
SELECT 'send', conversation_id, id, 'ready', CAST(strftime('%s', 'now') AS INTEGER) * 1000, created_at, created_at
FROM messages
WHERE direction = 'outbound' AND status IN ('queued', 'sending')
ORDER BY created_at, rowid;

INSERT INTO outbox (lane, conversation_id, message_id, state, due_at, created_at, updated_at)
SELECT 'deliver', m.conversation_id, m.id, 'ready', CAST(strftime('%s', 'now') AS INTEGER) * 1000, m.created_at, m.created_at
FROM messages m JOIN conversations c ON c.id = m.conversation_id
WHERE m.direction IN ('inbound', 'internal')
  AND m.created_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 day')
  AND NOT EXISTS (SELECT 1 FROM message_posts p WHERE p.message_id = m.id)
  AND EXISTS (SELECT 1 FROM mappings k WHERE k.number = c.number AND k.removed_at IS NULL)
ORDER BY m.created_at, m.rowid;
`;
