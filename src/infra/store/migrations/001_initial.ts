// Schema 001: every table the bridge foresees, so later issues rarely need a migration.
// History is never deleted: numbers and mappings are soft-removed (removed_at), messages have no
// delete path at all, and conversations keep referring to numbers that left service (which is why
// conversations.number is deliberately NOT a foreign key to numbers).

export const version = 1;
export const name = 'initial';

export const sql = `
CREATE TABLE numbers (
  e164                TEXT PRIMARY KEY,
  provider            TEXT NOT NULL,
  type                TEXT NOT NULL CHECK (type IN ('local', 'toll-free', 'virtual')),
  status              TEXT NOT NULL CHECK (status IN ('active', 'porting')),
  country             TEXT,
  segments_per_second REAL,
  created_at          TEXT NOT NULL,
  updated_at          TEXT NOT NULL,
  removed_at          TEXT
);

CREATE TABLE mappings (
  id         TEXT PRIMARY KEY,
  number     TEXT NOT NULL,
  platform   TEXT NOT NULL,
  channel    TEXT NOT NULL,
  created_at TEXT NOT NULL,
  removed_at TEXT
);
-- Only active rows must be unique: a mapping removed and re-created is a new row.
CREATE UNIQUE INDEX mappings_active_unique ON mappings (number, platform, channel)
  WHERE removed_at IS NULL;
CREATE INDEX mappings_channel ON mappings (platform, channel);

CREATE TABLE conversations (
  id         TEXT PRIMARY KEY,
  number     TEXT NOT NULL,
  contact    TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (number, contact)
);

CREATE TABLE threads (
  conversation_id TEXT NOT NULL REFERENCES conversations (id),
  platform        TEXT NOT NULL,
  channel         TEXT NOT NULL,
  thread_id       TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  PRIMARY KEY (conversation_id, platform, channel)
);
CREATE INDEX threads_by_thread ON threads (platform, channel, thread_id);

CREATE TABLE messages (
  id                  TEXT PRIMARY KEY,
  conversation_id     TEXT NOT NULL REFERENCES conversations (id),
  direction           TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound', 'internal')),
  body                TEXT NOT NULL,
  status              TEXT NOT NULL CHECK (status IN ('received', 'queued', 'sending', 'sent',
                        'delivered', 'undelivered', 'failed', 'refused')),
  status_reason       TEXT,
  error_code          TEXT,
  author_platform     TEXT,
  author_user_id      TEXT,
  author_name         TEXT,
  provider            TEXT,
  provider_message_id TEXT,
  platform_message_id TEXT,
  encoding            TEXT NOT NULL CHECK (encoding IN ('GSM-7', 'UCS-2')),
  segments            INTEGER NOT NULL,
  other_recipients    TEXT NOT NULL DEFAULT '[]',
  created_at          TEXT NOT NULL,
  updated_at          TEXT NOT NULL,
  UNIQUE (provider, provider_message_id),
  UNIQUE (platform_message_id)
);
CREATE INDEX messages_by_conversation ON messages (conversation_id, created_at);
CREATE INDEX messages_by_direction ON messages (direction, created_at);

-- message_id is nullable so a file can be staged before its message exists (chat uploads);
-- the current MediaRepo always sets it.
CREATE TABLE media (
  id           TEXT PRIMARY KEY,
  message_id   TEXT REFERENCES messages (id),
  content_type TEXT NOT NULL,
  size         INTEGER NOT NULL,
  path         TEXT,
  source_url   TEXT,
  status       TEXT NOT NULL CHECK (status IN ('stored', 'refused', 'failed', 'pending')),
  reason       TEXT,
  created_at   TEXT NOT NULL
);
CREATE INDEX media_by_message ON media (message_id);

CREATE TABLE message_posts (
  message_id          TEXT NOT NULL REFERENCES messages (id),
  platform            TEXT NOT NULL,
  channel             TEXT NOT NULL,
  platform_message_id TEXT NOT NULL,
  created_at          TEXT NOT NULL,
  UNIQUE (platform, platform_message_id),
  UNIQUE (message_id, platform, channel)
);

CREATE TABLE opt_outs (
  number     TEXT NOT NULL,
  contact    TEXT NOT NULL,
  opted_out  INTEGER NOT NULL CHECK (opted_out IN (0, 1)),
  keyword    TEXT,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (number, contact)
);

-- One row: the admin's overrides as a JSON document, merged over DEFAULT_POLICY when read, so a
-- default changed in code applies wherever the admin did not set the field.
CREATE TABLE policy (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  document   TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE users (
  platform    TEXT NOT NULL,
  user_id     TEXT NOT NULL,
  sms_enabled INTEGER NOT NULL CHECK (sms_enabled IN (0, 1)),
  admin       INTEGER NOT NULL CHECK (admin IN (0, 1)),
  updated_at  TEXT NOT NULL,
  PRIMARY KEY (platform, user_id)
);

CREATE TABLE audit_log (
  id     INTEGER PRIMARY KEY AUTOINCREMENT,
  at     TEXT NOT NULL,
  actor  TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  before TEXT,
  after  TEXT
);

-- Written before a provider call and after it, so a crash between the two is detectable and a
-- message is never sent twice by accident (outbound pipeline).
CREATE TABLE send_ledger (
  message_id          TEXT PRIMARY KEY REFERENCES messages (id),
  attempts            INTEGER NOT NULL DEFAULT 0,
  state               TEXT NOT NULL CHECK (state IN ('calling', 'done', 'failed')),
  provider            TEXT NOT NULL,
  provider_message_id TEXT,
  started_at          TEXT NOT NULL,
  finished_at         TEXT
);

-- Chat channels the bot knows (Teams conversation references are needed to post proactively).
CREATE TABLE chat_channels (
  platform     TEXT NOT NULL,
  channel      TEXT NOT NULL,
  name         TEXT,
  reference    TEXT,
  installed_at TEXT NOT NULL,
  removed_at   TEXT,
  PRIMARY KEY (platform, channel)
);
`;
