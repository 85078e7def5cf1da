// Schema 006: what each chat platform shows as a message's status, per channel. Teams shows the
// status of a reply a person wrote in one notice under it, updated in place: which notice that is
// (and the line it shows) must be known to every bridge instance, or the instance that handles the
// next status posts a second notice instead of updating the first.

export const version = 6;
export const name = 'status_notices';

export const sql = `
CREATE TABLE status_notices (
  message_id  TEXT NOT NULL,
  platform    TEXT NOT NULL,
  channel     TEXT NOT NULL,
  activity_id TEXT,
  shown_line  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  PRIMARY KEY (message_id, platform, channel)
);
`;
