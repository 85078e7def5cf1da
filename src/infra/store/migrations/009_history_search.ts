// Schema 009: history search by index. Text search is a substring test (ASCII letters folded);
// without an index every search read every message. messages_fts is an FTS5 trigram index of the
// bodies: a text of 3 or more characters narrows the search to the messages holding all of its
// trigrams, and the exact substring test then runs on those only (repos/messages.ts search()).
//
// - External content (content='messages'): the index stores trigrams, not a second copy of the
//   bodies, and is keyed by messages.rowid. messages has no delete path (001), so its rowids
//   stay 1..N without gaps, which even a VACUUM that renumbers rowids keeps as they are.
// - case_sensitive 0 (the trigram default) folds case per character, non-ASCII letters too: the
//   index matches a superset of the ASCII-folded substring matches, never fewer.
// - Bodies are written once (insert) and never updated or deleted; the update and delete triggers
//   keep the index right should a maintenance script ever do either.
// - 'rebuild' indexes the messages that exist already.
// - messages_by_time: a search for a common text walks the messages newest first and stops at
//   its limit (instead of collecting and sorting every hit); see search() for when.

export const version = 9;
export const name = 'history_search';

export const sql = `
CREATE VIRTUAL TABLE messages_fts USING fts5(
  body, content = 'messages', content_rowid = 'rowid', tokenize = 'trigram case_sensitive 0'
);

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts (rowid, body) VALUES (new.rowid, new.body);
END;

CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.rowid, old.body);
END;

CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.rowid, old.body);
  INSERT INTO messages_fts (rowid, body) VALUES (new.rowid, new.body);
END;

INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');

CREATE INDEX messages_by_time ON messages (created_at);
`;
