// Postgres schema 007: who is handling each chat inbox event (see ../007_chat_inbox_owner.ts).

export const version = 7;
export const name = 'chat_inbox_owner';

export const sql = `
ALTER TABLE chat_inbox ADD COLUMN owner TEXT;
`;
