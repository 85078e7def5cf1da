// Schema 011 on Postgres: web inbox read marks (see ../011_inbox_reads.ts); read_upto is the
// messages' seq (insertion order) here.

export const version = 11;
export const name = 'inbox_reads';

export const sql = `
CREATE TABLE inbox_reads (
  session_id      TEXT NOT NULL,
  conversation_id TEXT NOT NULL REFERENCES conversations (id),
  read_upto       BIGINT NOT NULL,
  read_at         TEXT NOT NULL,
  PRIMARY KEY (session_id, conversation_id)
);
`;
