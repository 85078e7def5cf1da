// Send ledger for exactly-once sending (outbound pipeline). The worker calls `begin` right before
// the provider call and `finish`/`fail` right after. A crash in between leaves state 'calling',
// which the next attempt sees in `previous` and can resolve (ask the provider, or rely on its
// idempotency key) instead of blindly sending again.
import type { ProviderId } from '../../../core/types.js';
import type { RepoContext } from '../shared.js';
import type { Sync } from '../sqlite/asyncRepo.js';

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

export function createSendLedgerRepo({ db, now }: RepoContext): Sync<SendLedgerRepo> {
  const byId = db.prepare<[string], LedgerRow>('SELECT * FROM send_ledger WHERE message_id = ?');
  // Writes return the row they changed (RETURNING): the send path reads nothing back separately.
  const start = db.prepare<{ messageId: string; provider: string; now: string }, LedgerRow>(`
    INSERT INTO send_ledger (message_id, attempts, state, provider, started_at)
    VALUES (@messageId, 1, 'calling', @provider, @now)
    ON CONFLICT (message_id) DO UPDATE SET
      attempts = attempts + 1, state = 'calling', provider = excluded.provider,
      started_at = excluded.started_at, finished_at = NULL
    WHERE send_ledger.state <> 'done'
    RETURNING *`);
  const finishRow = db.prepare<{ messageId: string; providerMessageId: string; now: string }, LedgerRow>(`
    UPDATE send_ledger SET state = 'done', provider_message_id = @providerMessageId, finished_at = @now
    WHERE message_id = @messageId
    RETURNING *`);
  const failRow = db.prepare<{ messageId: string; now: string }, LedgerRow>(`
    UPDATE send_ledger SET state = 'failed', finished_at = @now
    WHERE message_id = @messageId AND state <> 'done'
    RETURNING *`);

  const get = (messageId: string): SendLedgerEntry | null => {
    const row = byId.get(messageId);
    return row ? toEntry(row) : null;
  };

  // No row back from the upsert: the entry is 'done' and was left alone.
  const startEntry = (messageId: string, provider: ProviderId): SendLedgerEntry => {
    const row = start.get({ messageId, provider, now: now() });
    const entry = row ? toEntry(row) : get(messageId);
    if (!entry) throw new Error(`send ledger entry ${messageId} vanished after insert`);
    return entry;
  };

  const begin = db.transaction((messageId: string, provider: ProviderId) => {
    const previous = get(messageId);
    return { entry: startEntry(messageId, provider), previous };
  });

  return {
    begin: (messageId, provider) => begin.immediate(messageId, provider),
    start: startEntry,
    finish(messageId, providerMessageId) {
      const row = finishRow.get({ messageId, providerMessageId, now: now() });
      return row ? toEntry(row) : null;
    },
    fail(messageId) {
      const row = failRow.get({ messageId, now: now() });
      return row ? toEntry(row) : get(messageId);
    },
    get,
  };
}
