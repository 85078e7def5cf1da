// Postgres schema 003: conversations in (created_at, seq) order for the admin API's pages.

export const version = 3;
export const name = 'conversations_by_time';

export const sql = `
CREATE INDEX conversations_created ON conversations (created_at, seq);
`;
