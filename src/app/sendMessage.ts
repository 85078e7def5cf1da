// The send lane's handler for ONE outbound message (issue 4, behaviours 2, 3, 5, 6). It runs only
// while the message is the head of its conversation's send order (src/infra/queue/turns.ts), so it
// never has to think about order; it decides between done / hold back / retry / final failure.
//
// Exactly one SMS per message. The send ledger row is written (state 'calling') in the same
// transaction that moves the message to 'sending', BEFORE the provider call, and closed right
// after ('done' with the provider id, or 'failed' when the provider answered with an error, i.e.
// nothing was sent). A later attempt that finds the row still 'calling' knows an earlier attempt
// may have reached the provider (a crash, a kill -9, a lost lock) and:
//  - idempotent providers (capabilities.idempotentSend, 8x8 clientMessageId = our message id):
//    sends again with the same id; the provider drops the duplicate;
//  - providers that can list what they sent (SentMessageFinder, Twilio): asks the provider
//    first (src/app/findEarlierSend.ts). Found: recorded as sent with that id, not sent again.
//    Not found: the earlier call never took effect, so it is sent now (once). The lookup
//    failing: retried later, never guessed;
//  - other providers: does NOT send again; the message ends 'failed' with
//    "outcome unknown after crash, not resent to avoid a duplicate", and the author is told.
// The remaining window for non-idempotent providers is the provider call itself plus one SQLite
// commit: from the moment the request leaves until `finish` commits (the provider's response
// time, typically 0.1-1 s for Twilio, bounded by the adapter's timeout, plus about a millisecond).
// A crash inside it never duplicates an SMS; it can only leave a message that did go out
// recorded as 'failed' (outcome unknown). The same rule covers a timeout or a dropped connection
// after the request was sent: no answer means "maybe sent", so it is not resent either. A
// connection that never opened (providerCode 'connect_failed') is not ambiguous: nothing left, so
// it retries with backoff like a 5xx, for every provider.
import type { Logger } from 'pino';
import { recheckAtSend } from '../app/recheckAtSend.js';
import { ACCEPTED_WITHOUT_ID, CONNECT_ERROR_CODES, CONNECT_FAILED, ConflictError, NotFoundError, ProviderError } from '../core/errors.js';
import { findsSentMessages, type Clock, type ItemContext, type ItemOutcome, type LaneItem, type MessageRepo, type SmsProvider, type StatusNotifier, type Store } from '../core/ports.js';
import { findEarlierSend } from './findEarlierSend.js';
import { sendKey } from '../core/sendKey.js';
import { isFinalStatus } from '../core/status.js';
import type { Conversation, Message, OutboundSms, ProviderId, ProvisionedNumber, UserPolicy } from '../core/types.js';
import { OUTCOME_UNKNOWN_ERROR_CODE, type SendLedgerEntry, type SendLedgerRepo, type MessageStoreRepo } from '../infra/store/index.js';
import { createGroupCommit } from './groupCommit.js';
import { segmentsPerSecond, type RateLimiter } from '../infra/queue/rateLimiter.js';

export const OUTCOME_UNKNOWN_AFTER_CRASH = 'outcome unknown after crash, not resent to avoid a duplicate';
export const OUTCOME_UNKNOWN_NO_ANSWER =
  'outcome unknown (the provider did not answer), not resent to avoid a duplicate';
export const OUTCOME_UNKNOWN_CODE = OUTCOME_UNKNOWN_ERROR_CODE;

/**
 * The store the pipeline needs: the core's Store, the send ledger, the joined first read of a
 * send, and (optional, present on the bridge's store) the resend generation and the recovery
 * queries of the message repo.
 */
export type PipelineStore = Store & {
  sendLedger: SendLedgerRepo;
  messages: MessageRepo &
    Partial<Pick<MessageStoreRepo, 'listPendingOutbound' | 'listUndelivered' | 'markSending' | 'markSent'>> &
    Pick<MessageStoreRepo, 'getForSend'>;
};

/**
 * providerCodes of network errors that prove the request never reached the provider: safe to send
 * again. The SMS adapters report every such failure as CONNECT_FAILED (src/core/errors.ts); the
 * raw socket codes are kept for providers that pass them through unchanged.
 */
export const NOT_SENT_CODES: ReadonlySet<string> = new Set([CONNECT_FAILED, ...CONNECT_ERROR_CODES]);

/** HTTP 504: a gateway's "the provider behind me did not answer in time" (see onSendError). */
const GATEWAY_TIMEOUT = 504;

export interface SendDeps {
  store: PipelineStore;
  clock: Clock;
  /** The provider carrying a number, by provider id ("twilio", "8x8", "local"). */
  providers: (id: ProviderId) => SmsProvider | null;
  notifier: StatusNotifier;
  /** null lifts the throughput caps (benchmarks, tests). */
  limiter: RateLimiter | null;
  /** Absolute URLs the provider can fetch for the message's stored media (signed links); null or
   *  absent: not configured, and a message with files fails with that reason (never sent without). */
  mediaUrls?: (message: Message) => string[] | null;
  logger?: Logger;
  /** Most writes of concurrent sends committed together (default 64; 1 = one commit each). */
  groupCommitMax?: number;
}

export function createSendHandler(deps: SendDeps) {
  const { store } = deps;
  const log = deps.logger;
  const providerCaps = (id: string) => deps.providers(id)?.capabilities ?? null;
  const commit = createGroupCommit(store, { maxBatch: deps.groupCommitMax ?? 64 });
  // recheckAtSend runs inside prepare(), i.e. inside a group-commit transaction already: its own
  // transaction would only add a savepoint (and a new transaction wrapper) per message. It reads
  // first and writes once at the very end, so joining the enclosing transaction keeps it atomic.
  const recheckStore: Store = { ...store, transaction: <T>(fn: () => Promise<T>): Promise<T> => fn() };

  async function notify(message: Message | null): Promise<void> {
    if (!message) return;
    try {
      await deps.notifier.statusChanged(message);
    } catch (err) {
      // Showing a status must never make the job retry: a retry could mean a second SMS.
      log?.warn({ messageId: message.id, err: (err as Error).message }, 'status notice failed');
    }
  }

  /** Final failure: recorded on the message with code and human reason, author told. */
  const failMessage = async (id: string, reason: string, code: string): Promise<ItemOutcome> => {
    const updated = await commit.run(() => store.messages.advanceStatus(id, 'failed', { reason, errorCode: code }));
    await notify(updated);
    log?.warn({ messageId: id, code, reason }, 'outbound message failed');
    return { kind: 'fail', error: new Error(`${code}: ${reason}`) };
  };

  /** Mark sent (idempotent): provider id, ledger done, status forward only. Runs in a commit. */
  async function recordSent(id: string, provider: ProviderId, providerMessageId: string): Promise<Message | null> {
    const messages = store.messages;
    await store.sendLedger.finish(id, providerMessageId);
    try {
      // On the bridge's store one UPDATE records the provider id and the status together.
      if (messages.markSent) return await messages.markSent(id, { provider, providerMessageId });
      await messages.setProviderMessageId(id, provider, providerMessageId);
    } catch (err) {
      // The id belongs to another message: record the send anyway, keep the evidence in logs.
      if (!(err instanceof ConflictError)) throw err;
      log?.error({ messageId: id, provider, providerMessageId }, 'provider message id already used');
    }
    return messages.markSent ? messages.markSent(id) : messages.advanceStatus(id, 'sent');
  }

  type Prepared =
    | { kind: 'outcome'; outcome: ItemOutcome; notify?: Message | null; fail?: { reason: string; code: string } }
    | { kind: 'go'; sms: Omit<OutboundSms, 'mediaUrls'>; message: Message };

  /** What the first reads of a send found (no writes). */
  type Inspected =
    | { kind: 'done'; result: string }
    /** A previous attempt got the provider's answer but died before recording it. */
    | { kind: 'recorded'; provider: ProviderId; providerMessageId: string }
    | { kind: 'fail'; reason: string; code: string }
    | {
        kind: 'ok';
        message: Message;
        conversation: Conversation;
        number: ProvisionedNumber;
        provider: SmsProvider;
        before: SendLedgerEntry | null;
        /** The author's user policy and the opt-out, as read with the message. */
        author: UserPolicy | null;
        optedOut: boolean;
        /** The ledger says an earlier call started with no answer, and the provider can be asked. */
        lookUp: boolean;
      };

  /** The cheap reads and decisions before a send; most re-runs end here. */
  async function inspect(id: string): Promise<Inspected> {
    // The message, its conversation, ledger row, number, author and opt-out in one statement.
    const found = await store.messages.getForSend(id);
    if (!found || found.message.direction !== 'outbound') return { kind: 'done', result: 'not an outbound message' };
    const { message } = found;
    if (message.status === 'sent' || isFinalStatus(message.status)) return { kind: 'done', result: message.status };
    const before = found.ledger;
    if (before?.state === 'done' && before.providerMessageId) {
      return { kind: 'recorded', provider: before.provider, providerMessageId: before.providerMessageId };
    }
    const conversation = found.conversation;
    if (!conversation) return { kind: 'fail', reason: 'its conversation no longer exists', code: 'not_found' };
    const number = found.number;
    const provider = deps.providers(number?.provider ?? message.provider ?? '');
    if (!number || !provider) {
      return { kind: 'fail', reason: `no SMS provider is configured for ${conversation.number}`, code: 'no_provider' };
    }
    const unknown = before?.state === 'calling' && !provider.capabilities.idempotentSend;
    if (unknown && !findsSentMessages(provider)) {
      return { kind: 'fail', reason: OUTCOME_UNKNOWN_AFTER_CRASH, code: OUTCOME_UNKNOWN_CODE };
    }
    return { kind: 'ok', message, conversation, number, provider, before, author: found.author, optedOut: found.optedOut, lookUp: unknown };
  }

  /**
   * A view of the store for recheckAtSend that answers the message, conversation, number, author
   * and opt-out `inspect` read moments ago IN THE SAME TRANSACTION (nothing was written in
   * between, so they are what a fresh read would return) instead of reading them a second time.
   */
  function recheckView(seen: Extract<Inspected, { kind: 'ok' }>): Store {
    const messages: MessageRepo = Object.create(store.messages) as MessageRepo;
    messages.get = (id) => (id === seen.message.id ? Promise.resolve(seen.message) : store.messages.get(id));
    const conversations: Store['conversations'] = Object.create(store.conversations) as Store['conversations'];
    conversations.get = (id) => (id === seen.conversation.id ? Promise.resolve(seen.conversation) : store.conversations.get(id));
    const numbers: Store['numbers'] = Object.create(store.numbers) as Store['numbers'];
    numbers.get = (e164) => (e164 === seen.number.e164 ? Promise.resolve(seen.number) : store.numbers.get(e164));
    const users: Store['users'] = Object.create(store.users) as Store['users'];
    const by = seen.message.author;
    users.get = (platform, userId) =>
      by && platform === by.platform && userId === by.userId ? Promise.resolve(seen.author) : store.users.get(platform, userId);
    const optOuts: Store['optOuts'] = Object.create(store.optOuts) as Store['optOuts'];
    const { number: ours, contact } = seen.conversation;
    optOuts.isOptedOut = (number, to) => (number === ours && to === contact ? Promise.resolve(seen.optedOut) : store.optOuts.isOptedOut(number, to));
    return { ...recheckStore, messages, conversations, numbers, users, optOuts };
  }

  /**
   * Eligibility again (an opt-out or a policy switch that arrived meanwhile wins), the crash
   * rule, then 'sending' + ledger row, all in one (group-committed) transaction right before the
   * provider call. `seen`: what inspect() read earlier in this same transaction. `absentSince`:
   * the ledger start of an earlier call the provider was asked about and does not have.
   */
  async function prepare(
    id: string,
    providerId: ProviderId,
    idempotent: boolean,
    seen?: Extract<Inspected, { kind: 'ok' }>,
    absentSince: string | null = null,
  ): Promise<Prepared> {
    let check: Awaited<ReturnType<typeof recheckAtSend>>;
    try {
      check = await recheckAtSend({ store: seen ? recheckView(seen) : recheckStore, clock: deps.clock, providerCaps }, id);
    } catch (err) {
      if (err instanceof ConflictError || err instanceof NotFoundError) {
        return { kind: 'outcome', outcome: { kind: 'done', result: err.message } };
      }
      throw err;
    }
    if (!check.ok) {
      log?.info({ messageId: id, refusals: check.refusals.map((r) => r.code) }, 'outbound message refused at send time');
      return { kind: 'outcome', outcome: { kind: 'done', result: 'refused' }, notify: await store.messages.get(id) };
    }
    const previous = seen ? seen.before : await store.sendLedger.get(id);
    // Still the call the provider was asked about (same start) and does not have: send it now.
    if (previous?.state === 'calling' && !idempotent && previous.startedAt !== absentSince) {
      return { kind: 'outcome', outcome: { kind: 'done' }, fail: { reason: OUTCOME_UNKNOWN_AFTER_CRASH, code: OUTCOME_UNKNOWN_CODE } };
    }
    if (store.messages.markSending) await store.messages.markSending(id);
    else await store.messages.advanceStatus(id, 'sending');
    // `previous` was read in this same transaction: the one-statement start is enough.
    const entry = await store.sendLedger.start(id, providerId);
    if (entry.state === 'done') return { kind: 'outcome', outcome: { kind: 'done', result: 'sent' } };
    // Only a message with an earlier provider call can have been resent; the first call of a new
    // message (the hot path) skips the lookup. Non-idempotent providers ignore the key.
    const resend = idempotent && previous !== null ? (await store.messages.resendCount(id)) : 0;
    return { kind: 'go', sms: { ...check.sms, messageId: sendKey(id, resend) }, message: check.message };
  }

  type Step = Inspected | { kind: 'sent-before'; message: Message | null } | { kind: 'prepared'; prepared: Prepared; seen: Extract<Inspected, { kind: 'ok' }> };

  /** inspect() then, when it may go, prepare(): both in ONE transaction (no rate limiter). */
  async function inspectAndPrepare(id: string): Promise<Step> {
    const seen = await inspect(id);
    if (seen.kind === 'recorded') return { kind: 'sent-before', message: await recordSent(id, seen.provider, seen.providerMessageId) };
    if (seen.kind !== 'ok' || seen.lookUp) return seen;
    return { kind: 'prepared', prepared: await prepare(id, seen.provider.id, seen.provider.capabilities.idempotentSend, seen), seen };
  }

  async function handleSend(item: LaneItem, ctx: ItemContext): Promise<ItemOutcome> {
    const id = item.messageId;
    // With a rate limiter the reads come first, outside any transaction (the reservation needs
    // the number), and prepare() reads afresh after the wait. Without one, reads and prepare()
    // share one group-committed transaction and recheckAtSend reuses the reads.
    let step: Step = deps.limiter ? await inspect(id) : await commit.run(() => inspectAndPrepare(id));
    if (step.kind === 'done') return { kind: 'done', result: step.result };
    if (step.kind === 'fail') return failMessage(id, step.reason, step.code);
    if (step.kind === 'recorded') {
      const { provider: p, providerMessageId: pid } = step;
      step = { kind: 'sent-before', message: await commit.run(() => recordSent(id, p, pid)) };
    }
    if (step.kind === 'sent-before') {
      await notify(step.message);
      return { kind: 'done', result: 'sent' };
    }
    let seen: Extract<Inspected, { kind: 'ok' }>;
    let prepared: Prepared;
    if (step.kind === 'ok') {
      seen = step;
      const { number, message, provider } = step;
      let absentSince: string | null = null;
      if (step.lookUp) {
        const asked = await askProvider(step, ctx);
        if (asked.kind === 'outcome') return asked.outcome;
        absentSince = asked.since;
      }
      // Throughput of the sending number: hold back (never fail) until the number's slot.
      if (deps.limiter) {
        const rate = segmentsPerSecond(number, await store.policy.get());
        const d = await deps.limiter.reserve(number.e164, rate, message.segments, id);
        if (d.delayMs > 0) return { kind: 'delay', ms: d.delayMs, reason: `rate limit of ${number.e164}` };
      }
      // The ledger row is committed before the request leaves (see the header comment).
      prepared = await commit.run(() => prepare(id, provider.id, provider.capabilities.idempotentSend, undefined, absentSince));
    } else {
      seen = step.seen;
      prepared = step.prepared;
    }
    const { conversation, provider } = seen;
    const idempotent = provider.capabilities.idempotentSend;
    if (prepared.kind === 'outcome') {
      if (prepared.fail) return failMessage(id, prepared.fail.reason, prepared.fail.code);
      if (prepared.notify !== undefined) await notify(prepared.notify);
      return prepared.outcome;
    }

    // Media: stored files go out as signed links; a file that cannot go is never dropped silently.
    const stored = prepared.message.media.filter((m) => m.status === 'stored');
    const mediaUrls = stored.length > 0 ? (deps.mediaUrls?.(prepared.message) ?? null) : [];
    if (mediaUrls === null) {
      await store.sendLedger.fail(id);
      return failMessage(id, 'the attached files cannot be sent: media links are not configured', 'media_unavailable');
    }

    // Rule 11: always from the conversation's own number, whatever else happened.
    const sms: OutboundSms = { ...prepared.sms, from: conversation.number, mediaUrls };
    let result: Awaited<ReturnType<SmsProvider['send']>>;
    try {
      result = await provider.send(sms);
    } catch (err) {
      return onSendError(err, { id, idempotent, ctx, from: conversation.number, to: conversation.contact });
    }
    // The send and the end of its outbox item in one commit.
    const sent = await commit.run(async () => {
      const m = await recordSent(id, provider.id, result.providerMessageId);
      await ctx.finish();
      return m;
    });
    await notify(sent);
    log?.debug({ messageId: id, provider: provider.id, attempt: ctx.attempt }, 'outbound message sent');
    return { kind: 'done', result: 'sent' };
  }

  /**
   * The ledger says an earlier call started and never answered: ask the provider whether it has
   * that message (src/app/findEarlierSend.ts). Found: recorded as sent with its id (status
   * callbacks then match it), nothing sent. Absent: `since` (that call's start) for prepare().
   */
  async function askProvider(
    seen: Extract<Inspected, { kind: 'ok' }>,
    ctx: ItemContext,
  ): Promise<{ kind: 'outcome'; outcome: ItemOutcome } | { kind: 'absent'; since: string }> {
    const { id } = seen.message;
    const { provider, conversation, before } = seen;
    if (!before || !findsSentMessages(provider)) return { kind: 'outcome', outcome: await failMessage(id, OUTCOME_UNKNOWN_AFTER_CRASH, OUTCOME_UNKNOWN_CODE) };
    let found: Awaited<ReturnType<typeof findEarlierSend>>;
    try {
      found = await findEarlierSend(provider, store.messages, {
        messageId: id,
        provider: provider.id,
        from: conversation.number,
        to: conversation.contact,
        body: seen.message.body,
        mediaCount: seen.message.media.filter((m) => m.status === 'stored').length,
        startedAt: before.startedAt,
      });
    } catch (err) {
      // No answer is no evidence either way: never guess. A retryable failure (network, 5xx,
      // 429) tries again later; anything else, or the last attempt, leaves it outcome unknown.
      const message = err instanceof Error ? err.message : String(err);
      log?.warn({ messageId: id, provider: provider.id, err: message }, 'could not ask the provider about an earlier send');
      const retryable = err instanceof ProviderError && err.retryable;
      if (retryable && err.httpStatus === 429 && err.retryAfterMs !== null) {
        return { kind: 'outcome', outcome: { kind: 'delay', ms: err.retryAfterMs, reason: `${provider.id} asked to retry after ${err.retryAfterMs} ms` } };
      }
      if (retryable && !ctx.lastAttempt) return { kind: 'outcome', outcome: { kind: 'retry', error: err } };
      return { kind: 'outcome', outcome: await failMessage(id, `${OUTCOME_UNKNOWN_AFTER_CRASH} (could not ask ${provider.id}: ${message})`, OUTCOME_UNKNOWN_CODE) };
    }
    if (found.kind === 'unclear') {
      const reason = `${OUTCOME_UNKNOWN_AFTER_CRASH} (${provider.id} has an unrecorded message ${found.providerMessageId} to the contact that differs from it)`;
      return { kind: 'outcome', outcome: await failMessage(id, reason, OUTCOME_UNKNOWN_CODE) };
    }
    if (found.kind === 'absent') {
      log?.info({ messageId: id, provider: provider.id, since: before.startedAt }, 'earlier send not at the provider; sending it now');
      return { kind: 'absent', since: before.startedAt };
    }
    log?.info({ messageId: id, provider: provider.id, providerMessageId: found.providerMessageId }, 'earlier send found at the provider; not sending again');
    const sent = await commit.run(async () => {
      const m = await recordSent(id, provider.id, found.providerMessageId);
      await ctx.finish();
      return m;
    });
    await notify(sent);
    return { kind: 'outcome', outcome: { kind: 'done', result: 'sent' } };
  }

  async function onSendError(
    err: unknown,
    c: { id: string; idempotent: boolean; ctx: ItemContext; from: string; to: string },
  ): Promise<ItemOutcome> {
    const { id } = c;
    if (!(err instanceof ProviderError)) {
      // Not the adapter's typed error: we cannot tell whether anything left.
      if (!c.idempotent) return failMessage(id, OUTCOME_UNKNOWN_NO_ANSWER, OUTCOME_UNKNOWN_CODE);
      if (c.ctx.lastAttempt) {
        return failMessage(id, `gave up after ${c.ctx.attempt} attempts: ${(err as Error).message}`, 'provider_error');
      }
      return { kind: 'retry', error: err instanceof Error ? err : new Error(String(err)) };
    }

    const code = err.providerCode ?? (err.httpStatus ? `http_${err.httpStatus}` : 'provider_error');
    // Accepted without an id: it may be on its way. The ledger keeps 'calling' (nothing says it
    // was not sent), so an admin resend needs force, and the outcome is named as unknown.
    if (err.providerCode === ACCEPTED_WITHOUT_ID) {
      return failMessage(id, `${err.message}; it may have been sent, so it is not sent again`, OUTCOME_UNKNOWN_CODE);
    }
    if (err.optedOut) await store.optOuts.set(c.from, c.to, true, 'provider');
    if (!err.retryable || err.optedOut) {
      await store.sendLedger.fail(id);
      return failMessage(id, err.message, code);
    }

    // Retryable. Did the provider answer (nothing was sent) or may the SMS have gone out? A 504
    // comes from a gateway in front of the provider that stopped waiting for it: the provider may
    // have taken the message, so it counts as no answer.
    const answered =
      (err.httpStatus !== null && err.httpStatus !== GATEWAY_TIMEOUT) || (err.providerCode !== null && NOT_SENT_CODES.has(err.providerCode));
    if (!answered && !c.idempotent) return failMessage(id, OUTCOME_UNKNOWN_NO_ANSWER, OUTCOME_UNKNOWN_CODE);
    if (answered) await store.sendLedger.fail(id);

    // 429 with Retry-After: the provider says when; waiting is not a failed attempt.
    if (err.httpStatus === 429 && err.retryAfterMs !== null) {
      return { kind: 'delay', ms: err.retryAfterMs, reason: `${err.provider} asked to retry after ${err.retryAfterMs} ms` };
    }
    if (c.ctx.lastAttempt) return failMessage(id, `gave up after ${c.ctx.attempt} attempts: ${err.message}`, code);
    return { kind: 'retry', error: err };
  }

  return { handler: handleSend, commit: <T>(fn: () => Promise<T>): Promise<T> => commit.run(fn) };
}

/** Final failure recorded when the handler itself kept failing (unexpected errors) to its last attempt. */
export function createSendAbandon(deps: Pick<SendDeps, 'store' | 'notifier' | 'logger'>) {
  return async ({ messageId: id }: LaneItem, reason: string): Promise<void> => {
    const message = await deps.store.messages.get(id);
    if (!message || message.direction !== 'outbound' || message.status === 'sent' || isFinalStatus(message.status)) return;
    const ledger = await deps.store.sendLedger.get(id);
    // A send that died mid-call may have reached the provider: say so rather than guess.
    const text = ledger?.state === 'calling' ? `${OUTCOME_UNKNOWN_AFTER_CRASH} (${reason})` : reason;
    const updated = await deps.store.messages.advanceStatus(id, 'failed', {
      reason: text,
      errorCode: ledger?.state === 'calling' ? OUTCOME_UNKNOWN_CODE : 'gave_up',
    });
    if (updated) {
      try {
        await deps.notifier.statusChanged(updated);
      } catch (err) {
        deps.logger?.warn({ messageId: id, err: (err as Error).message }, 'status notice failed');
      }
    }
  };
}
