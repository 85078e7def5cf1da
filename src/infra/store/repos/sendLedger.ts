// Send ledger for exactly-once sending (outbound pipeline). The worker calls `begin` right before
// the provider call and `finish`/`fail` right after. A crash in between leaves state 'calling',
// which the next attempt sees in `previous` and can resolve (ask the provider, or rely on its
// idempotency key) instead of blindly sending again.
import type { ProviderId } from '../../../core/types.js';
import type { DbContext } from '../shared.js';

export type SendLedgerState = 'calling' | 'done' | 'failed';

export interface SendLedgerEntry {
  messageId: string;
  /** How many times `begin` started a provider call for this message. */
  attempts: number;
  state: SendLedgerState;
  provider: ProviderId;
  providerMessageId: string | null;
  startedAt: string;
  finishedAt: string | null;
}

export interface SendLedgerRepo {
  /**
   * Records that a provider call is about to start. `previous` is the entry as it was before
   * (null on the first attempt). When the message is already 'done' nothing changes and
   * `entry` equals `previous`: the caller must not send again.
   */
  begin(messageId: string, provider: ProviderId): Promise<{ entry: SendLedgerEntry; previous: SendLedgerEntry | null }>;
  /**
   * `begin` for a caller that read the previous entry itself (the send worker, inside its own
   * transaction): one statement, returns the entry as it is now. A 'done' entry is left as it is
   * and returned unchanged: the caller must not send again.
   */
  start(messageId: string, provider: ProviderId): Promise<SendLedgerEntry>;
  /** The provider accepted the message. Null when there is no entry. */
  finish(messageId: string, providerMessageId: string): Promise<SendLedgerEntry | null>;
  /** The provider call failed for sure (nothing was sent). Null when there is no entry. */
  fail(messageId: string): Promise<SendLedgerEntry | null>;
  get(messageId: string): Promise<SendLedgerEntry | null>;
}

export interface LedgerRow {
  message_id: string;
  attempts: number;
  state: SendLedgerState;
  provider: string;
  provider_message_id: string | null;
  started_at: string;
  finished_at: string | null;
}

export function toEntry(r: LedgerRow): SendLedgerEntry {
  return {
    messageId: r.message_id,
    attempts: r.attempts,
    state: r.state,
    provider: r.provider,
    providerMessageId: r.provider_message_id,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

export function createSendLedgerRepo({ db, now }: DbContext): SendLedgerRepo {
  const BY_ID = 'SELECT * FROM send_ledger WHERE message_id = ?';
  // Writes return the row they changed (RETURNING): the send path reads nothing back separately.
  // The existing row's columns are qualified (send_ledger.) in DO UPDATE: both the row and
  // `excluded` are in scope there. Params: message id, provider, now.
  const START = `
    INSERT INTO send_ledger (message_id, attempts, state, provider, started_at)
    VALUES (?, 1, 'calling', ?, ?)
    ON CONFLICT (message_id) DO UPDATE SET
      attempts = send_ledger.attempts + 1, state = 'calling', provider = excluded.provider,
      started_at = excluded.started_at, finished_at = NULL
    WHERE send_ledger.state <> 'done'
    RETURNING *`;
  const FINISH = `
    UPDATE send_ledger SET state = 'done', provider_message_id = ?, finished_at = ?
    WHERE message_id = ?
    RETURNING *`;
  const FAIL = `
    UPDATE send_ledger SET state = 'failed', finished_at = ?
    WHERE message_id = ? AND state <> 'done'
    RETURNING *`;

  const get = async (messageId: string): Promise<SendLedgerEntry | null> => {
    const row = await db.get<LedgerRow>(BY_ID, [messageId]);
    return row ? toEntry(row) : null;
  };

  // No row back from the upsert: the entry is 'done' and was left alone.
  const start = async (messageId: string, provider: ProviderId): Promise<SendLedgerEntry> => {
    const row = await db.get<LedgerRow>(START, [messageId, provider, now()]);
    const entry = row ? toEntry(row) : await get(messageId);
    if (!entry) throw new Error(`send ledger entry ${messageId} vanished after insert`);
    return entry;
  };

  return {
    begin: (messageId, provider) =>
      db.transaction(async () => {
        const previous = await get(messageId);
        return { entry: await start(messageId, provider), previous };
      }),
    start,
    async finish(messageId, providerMessageId) {
      const row = await db.get<LedgerRow>(FINISH, [providerMessageId, now(), messageId]);
      return row ? toEntry(row) : null;
    },
    async fail(messageId) {
      const row = await db.get<LedgerRow>(FAIL, [now(), messageId]);
      return row ? toEntry(row) : get(messageId);
    },
    get,
  };
}
