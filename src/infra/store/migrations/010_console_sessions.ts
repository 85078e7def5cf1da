// Schema 010: console sign-in, in the store so every instance behind a balancer knows a session
// and a restart signs nobody out. Only SHA-256 digests of the secrets are kept: a copy of the
// database lets nobody in.
// - console_sessions: one row per signed-in browser. `id` is the session's public id (what unread
//   counts and logs may name); `token_hash` is the digest of the cookie's random value. A session
//   ends at `idle_expires_at` (pushed forward while it is used) or `expires_at`, whichever is first.
// - console_sign_in_codes: one-time codes (trial start-up prints one); consumed by a DELETE, so two
//   browsers presenting one code at once get in once.

export const version = 10;
export const name = 'console_sessions';

export const sql = `
CREATE TABLE console_sessions (
  id              TEXT PRIMARY KEY,
  token_hash      TEXT NOT NULL UNIQUE,
  name            TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  last_seen_at    TEXT NOT NULL,
  idle_expires_at TEXT NOT NULL,
  expires_at      TEXT NOT NULL
);

CREATE TABLE console_sign_in_codes (
  code_hash  TEXT PRIMARY KEY,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
`;
