// Send ledger for exactly-once sending (outbound pipeline). The worker calls `begin` right before
// the provider call and `finish`/`fail` right after. A crash in between leaves state 'calling',
// which the next attempt sees in `previous` and can resolve (ask the provider, or rely on its
// idempotency key) instead of blindly sending again.
import type { ProviderId } from '../../core/types.js';
import type { RepoContext } from '../shared.js';

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
  begin(messageId: string, provider: ProviderId): { entry: SendLedgerEntry; previous: SendLedgerEntry | null };
  /** The provider accepted the message. Null when there is no entry. */
  finish(messageId: string, providerMessageId: string): SendLedgerEntry | null;
  /** The provider call failed for sure (nothing was sent). Null when there is no entry. */
  fail(messageId: string): SendLedgerEntry | null;
  get(messageId: string): SendLedgerEntry | null;
}

interface LedgerRow {
  message_id: string;
  attempts: number;
  state: SendLedgerState;
  provider: string;
  provider_message_id: string | null;
  started_at: string;
  finished_at: string | null;
}

function toEntry(r: LedgerRow): SendLedgerEntry {
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

export function createSendLedgerRepo({ db, now }: RepoContext): SendLedgerRepo {
  const byId = db.prepare<[string], LedgerRow>('SELECT * FROM send_ledger WHERE message_id = ?');
  const start = db.prepare(`
    INSERT INTO send_ledger (message_id, attempts, state, provider, started_at)
    VALUES (@messageId, 1, 'calling', @provider, @now)
    ON CONFLICT (message_id) DO UPDATE SET
      attempts = attempts + 1, state = 'calling', provider = excluded.provider,
      started_at = excluded.started_at, finished_at = NULL
    WHERE send_ledger.state <> 'done'`);
  const finishRow = db.prepare(`
    UPDATE send_ledger SET state = 'done', provider_message_id = @providerMessageId, finished_at = @now
    WHERE message_id = @messageId`);
  const failRow = db.prepare(`
    UPDATE send_ledger SET state = 'failed', finished_at = @now
    WHERE message_id = @messageId AND state <> 'done'`);

  const get = (messageId: string): SendLedgerEntry | null => {
    const row = byId.get(messageId);
    return row ? toEntry(row) : null;
  };

  const begin = db.transaction((messageId: string, provider: ProviderId) => {
    const previous = get(messageId);
    start.run({ messageId, provider, now: now() });
    const entry = get(messageId);
    if (!entry) throw new Error(`send ledger entry ${messageId} vanished after insert`);
    return { entry, previous };
  });

  return {
    begin: (messageId, provider) => begin.immediate(messageId, provider),
    finish(messageId, providerMessageId) {
      finishRow.run({ messageId, providerMessageId, now: now() });
      return get(messageId);
    },
    fail(messageId) {
      failRow.run({ messageId, now: now() });
      return get(messageId);
    },
    get,
  };
}
