// Schema 005: what several bridge instances on one database must share about media. The bytes of
// stored media files move into the database (MMS files are a few MB at most), so /media/{id} is
// served by any instance; `settings` holds values generated once for all instances (the media
// signing key when MEDIA_SIGNING_SECRET is not set). Files older versions kept under
// DATA_DIR/media stay where they are and are still read from there.

export const version = 5;
export const name = 'shared_media';

export const sql = `
CREATE TABLE media_files (
  media_id   TEXT PRIMARY KEY REFERENCES media (id) ON DELETE CASCADE,
  bytes      BLOB NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE settings (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  created_at TEXT NOT NULL
);
`;
