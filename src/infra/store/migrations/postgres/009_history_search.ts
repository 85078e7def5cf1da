// Postgres schema 009: history search by index (see ../009_history_search.ts). A GIN pg_trgm
// index on the ASCII-folded body serves the search's own `lower_ascii(body) LIKE '%text%'`
// directly: Postgres narrows by trigrams and rechecks the exact LIKE itself. messages_by_time
// lets a search for a common text walk the messages newest first and stop at its limit; the
// planner chooses between the two by the text (search() has it plan each search anew).
//
// pg_trgm is a trusted extension (CREATE on the database suffices). Extensions are per database
// while this schema may be one of several in it (search_path): when pg_trgm is already installed
// in some schema, its operator class is named through that schema; otherwise it is installed
// here, in the current schema.

export const version = 9;
export const name = 'history_search';

export const sql = `
DO $$
DECLARE
  trgm_schema text;
BEGIN
  SELECT n.nspname INTO trgm_schema
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pg_trgm';
  IF trgm_schema IS NULL THEN
    CREATE EXTENSION pg_trgm;
    SELECT n.nspname INTO trgm_schema
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
      WHERE e.extname = 'pg_trgm';
  END IF;
  EXECUTE format('CREATE INDEX messages_body_trgm ON messages USING gin (lower_ascii(body) %I.gin_trgm_ops)', trgm_schema);
END
$$;

CREATE INDEX messages_by_time ON messages (created_at, seq);
`;
