// Schema 007: who is handling each chat inbox event. With several instances on one store, an
// instance replays only the open events of instances that are no longer alive (its own previous
// life included), and claims each by changing this column, so exactly one survivor replays it.
// NULL (events stored before 007) counts as an owner that is not alive.

export const version = 7;
export const name = 'chat_inbox_owner';

export const sql = `
ALTER TABLE chat_inbox ADD COLUMN owner TEXT;
`;
