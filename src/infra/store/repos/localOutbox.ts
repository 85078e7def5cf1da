// The local dev provider's outbox (migration 008): what it "sent", in the shared store, so every
// instance's dev phone lists (and can answer with a status) what any instance sent. Sends are
// idempotent on our message id: recording one twice keeps, and returns, the first entry.
import { type DbContext } from '../shared.js';

export interface LocalOutboxRecord {
  providerMessageId: string;
  messageId: string;
  from: string;
  to: string;
  body: string;
  mediaUrls: string[];
  at: string;
}

export interface LocalOutboxRepo {
  /** Stores the entry unless one for its message id exists; returns the stored one (first wins). */
  record(entry: LocalOutboxRecord): Promise<LocalOutboxRecord>;
  /** The latest `limit` entries, oldest first. */
  list(limit: number): Promise<LocalOutboxRecord[]>;
  /** Keeps the latest `keep` entries; returns how many were removed. */
  prune(keep: number): Promise<number>;
}

interface Row {
  provider_message_id: string;
  message_id: string;
  from_number: string;
  to_number: string;
  body: string;
  media_urls: string;
  sent_at: string;
}

const toRecord = (r: Row): LocalOutboxRecord => ({
  providerMessageId: r.provider_message_id,
  messageId: r.message_id,
  from: r.from_number,
  to: r.to_number,
  body: r.body,
  mediaUrls: JSON.parse(r.media_urls) as string[],
  at: r.sent_at,
});

export function createLocalOutboxRepo({ db }: DbContext): LocalOutboxRepo {
  const COLUMNS = 'provider_message_id, message_id, from_number, to_number, body, media_urls, sent_at';
  // No conflict target: a repeat send of one message (message_id) keeps the first entry.
  const INSERT = `INSERT INTO local_outbox (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`;
  const BY_MESSAGE = `SELECT ${COLUMNS} FROM local_outbox WHERE message_id = ?`;
  const LATEST = `SELECT ${COLUMNS} FROM (SELECT seq, ${COLUMNS} FROM local_outbox ORDER BY seq DESC LIMIT ?) AS latest ORDER BY seq`;
  // With fewer than `keep` rows the subquery is NULL and `seq < NULL` removes nothing.
  const PRUNE = 'DELETE FROM local_outbox WHERE seq < (SELECT seq FROM local_outbox ORDER BY seq DESC LIMIT 1 OFFSET ?)';
  return {
    async record(e) {
      await db.run(INSERT, [e.providerMessageId, e.messageId, e.from, e.to, e.body, JSON.stringify(e.mediaUrls), e.at]);
      const row = await db.get<Row>(BY_MESSAGE, [e.messageId]);
      if (!row) throw new Error(`local outbox: entry of message ${e.messageId} not found after storing it`);
      return toRecord(row);
    },
    list: async (limit) => (await db.all<Row>(LATEST, [limit])).map(toRecord),
    prune: async (keep) => (await db.run(PRUNE, [keep - 1])).changes,
  };
}
