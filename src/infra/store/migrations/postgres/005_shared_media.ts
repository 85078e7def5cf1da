// Postgres schema 005: media file bytes in the database (served by any instance) and settings
// generated once for every instance (see ../005_shared_media.ts).

export const version = 5;
export const name = 'shared_media';

export const sql = `
CREATE TABLE media_files (
  media_id   TEXT PRIMARY KEY REFERENCES media (id) ON DELETE CASCADE,
  bytes      BYTEA NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE settings (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  created_at TEXT NOT NULL
);
`;
