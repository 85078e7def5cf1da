// Schema 003: conversations in time order. The admin API pages conversations by (created_at,
// rowid); without this index every page of an unfiltered list scanned and sorted the whole table.

export const version = 3;
export const name = 'conversations_by_time';

export const sql = `
CREATE INDEX conversations_created ON conversations (created_at);
`;
