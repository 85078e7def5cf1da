// Admin resend at the store level: `messages.requeue` is the ONE audited way a message moves back
// (failed/undelivered -> queued); the core's advanceStatus stays forward-only. Also the recovery
// queries the workers use when Redis lost its data.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewMessage } from '../../src/core/ports.js';
import { OUTCOME_UNKNOWN_ERROR_CODE, REQUEUE_AUDIT_ACTION } from '../../src/infra/store/index.js';
import { createTempStore, type TempStore } from '../support/tempStore.js';
import { steppingClock } from './clock.js';

const NUMBER = '+12025550100';
const CONTACT = '+14155550123';

let temp: TempStore;
let clock: ReturnType<typeof steppingClock>;
let conversationId: string;
beforeEach(async () => {
  clock = steppingClock();
  temp = await createTempStore({ clock });
  conversationId = (await temp.store.conversations.getOrCreate(NUMBER, CONTACT)).conversation.id;
});
afterEach(() => temp.cleanup());

async function outbound(over: Partial<NewMessage> = {}): Promise<string> {
  return (await temp.store.messages.insert({
    conversationId, direction: 'outbound', body: 'reply', status: 'queued', encoding: 'GSM-7', segments: 1,
    author: { platform: 'slack', userId: 'U1', name: 'Ana' }, platformMessageId: `slack:C1:${Math.random()}`, ...over,
  })).message.id;
}

/** An outbound message that went to the provider (ledger done, provider id) and then ended `status`. */
async function sentThen(status: 'failed' | 'undelivered', reason = 'carrier said no', code = '30003'): Promise<string> {
  const id = await outbound();
  const s = temp.store;
  await s.messages.advanceStatus(id, 'sending');
  await s.sendLedger.begin(id, 'twilio');
  await s.sendLedger.finish(id, 'SM1');
  await s.messages.setProviderMessageId(id, 'twilio', 'SM1');
  await s.messages.advanceStatus(id, 'sent');
  await s.messages.advanceStatus(id, status, { reason, errorCode: code });
  return id;
}

describe('messages.requeue: an audited resend of a failed outbound message', () => {
  it('moves an undelivered message back to queued, clears reason, code and provider id, resets the ledger', async () => {
    const id = await sentThen('undelivered');
    const r = await temp.store.messages.requeue(id, { actor: 'admin-api' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.message).toMatchObject({ id, status: 'queued', statusReason: null, errorCode: null, providerMessageId: null });
    expect(r.possibleDuplicate).toBe(false);
    expect(r.resend).toBe(1);
    expect(r.previous).toMatchObject({ status: 'undelivered', statusReason: 'carrier said no', errorCode: '30003', providerMessageId: 'SM1' });
    // The ledger no longer says 'done': the next attempt makes a fresh provider call.
    const ledger = (await temp.store.sendLedger.get(id))!;
    expect(ledger.state).toBe('failed');
    expect(ledger.providerMessageId).toBeNull();
    expect((await temp.store.sendLedger.begin(id, 'twilio')).entry.state).toBe('calling');
    // A late callback for the old provider id no longer finds the message.
    expect(await temp.store.messages.getByProviderId('twilio', 'SM1')).toBeNull();
  });

  it('records the previous outcome in the audit log with the actor, and counts resends', async () => {
    const id = await sentThen('failed', 'invalid destination', '21211');
    expect(await temp.store.messages.resendCount(id)).toBe(0);
    await temp.store.messages.requeue(id, { actor: 'admin-api' });
    const [entry] = await temp.store.audit.list({ limit: 1 });
    expect(entry).toMatchObject({
      actor: 'admin-api',
      action: REQUEUE_AUDIT_ACTION,
      target: id,
      before: { status: 'failed', statusReason: 'invalid destination', errorCode: '21211', providerMessageId: 'SM1', ledger: { state: 'done', attempts: 1, providerMessageId: 'SM1' } },
      after: { status: 'queued', force: false, possibleDuplicate: false },
    });
    expect(await temp.store.messages.resendCount(id)).toBe(1);
    // Fails again, is requeued again: the generation goes on.
    await temp.store.messages.advanceStatus(id, 'failed', { reason: 'again', errorCode: 'x' });
    const again = await temp.store.messages.requeue(id, { actor: 'admin-api' });
    expect(again.ok && again.resend).toBe(2);
    expect(await temp.store.messages.resendCount(id)).toBe(2);
  });

  it('refuses a message that is not failed or undelivered, and changes nothing', async () => {
    for (const status of ['queued', 'sending', 'sent', 'delivered', 'refused'] as const) {
      const id = await outbound();
      if (status !== 'queued') await temp.store.messages.advanceStatus(id, status);
      const r = await temp.store.messages.requeue(id, { actor: 'admin-api', force: true });
      expect(r).toMatchObject({ ok: false, code: 'not_failed' });
      if (!r.ok) expect(r.reason).toContain(status);
      expect((await temp.store.messages.get(id))!.status).toBe(status);
    }
    expect(await temp.store.audit.list()).toHaveLength(0);
  });

  it('refuses inbound messages and unknown ids', async () => {
    const inbound = (await temp.store.messages.insert({
      conversationId, direction: 'inbound', body: 'hi', status: 'received', encoding: 'GSM-7', segments: 1, provider: 'twilio', providerMessageId: 'SMin',
    })).message.id;
    expect(await temp.store.messages.requeue(inbound, { actor: 'admin-api' })).toMatchObject({ ok: false, code: 'not_outbound' });
    expect(await temp.store.messages.requeue('nope', { actor: 'admin-api' })).toMatchObject({ ok: false, code: 'not_found' });
  });

  it('refuses an outcome-unknown failure unless forced, and then says it may be a duplicate', async () => {
    const id = await outbound();
    await temp.store.messages.advanceStatus(id, 'sending');
    await temp.store.sendLedger.begin(id, 'twilio'); // crashed mid-call: still 'calling'
    await temp.store.messages.advanceStatus(id, 'failed', { reason: 'outcome unknown after crash', errorCode: OUTCOME_UNKNOWN_ERROR_CODE });

    const refused = await temp.store.messages.requeue(id, { actor: 'admin-api' });
    expect(refused).toMatchObject({ ok: false, code: 'outcome_unknown' });
    if (!refused.ok) expect(refused.reason).toMatch(/force/);
    expect((await temp.store.messages.get(id))!.status).toBe('failed');
    expect((await temp.store.sendLedger.get(id))!.state).toBe('calling');

    const forced = await temp.store.messages.requeue(id, { actor: 'admin-api', force: true });
    expect(forced).toMatchObject({ ok: true, possibleDuplicate: true });
    expect((await temp.store.sendLedger.get(id))!.state).toBe('failed');
    expect((await temp.store.audit.list({ limit: 1 }))[0]!.after).toEqual({ status: 'queued', force: true, possibleDuplicate: true });
  });

  it('treats a ledger still calling as outcome unknown even without the code', async () => {
    const id = await outbound();
    await temp.store.messages.advanceStatus(id, 'sending');
    await temp.store.sendLedger.begin(id, 'twilio');
    await temp.store.messages.advanceStatus(id, 'failed', { reason: 'gave up', errorCode: 'gave_up' });
    expect(await temp.store.messages.requeue(id, { actor: 'admin-api' })).toMatchObject({ ok: false, code: 'outcome_unknown' });
  });

  it('leaves the forward-only advanceStatus alone: a failed message still cannot move back there', async () => {
    const id = await sentThen('failed');
    expect(await temp.store.messages.advanceStatus(id, 'queued')).toBeNull();
    expect((await temp.store.messages.get(id))!.status).toBe('failed');
  });
});

describe('recovery queries', () => {
  it('lists outbound messages still queued or sending, oldest first', async () => {
    const a = await outbound();
    const b = await outbound();
    await temp.store.messages.advanceStatus(b, 'sending');
    const done = await outbound();
    await temp.store.messages.advanceStatus(done, 'sent');
    const c = await outbound();
    expect((await temp.store.messages.listPendingOutbound()).map((m) => m.id)).toEqual([a, b, c]);
  });

  it('lists recent inbound messages with no chat post while their number is mapped', async () => {
    const inbound = async (n: number) =>
      (await temp.store.messages.insert({
        conversationId, direction: 'inbound', body: `hi ${n}`, status: 'received', encoding: 'GSM-7', segments: 1, provider: 'twilio', providerMessageId: `SM${n}`,
      })).message.id;
    const old = await inbound(1);
    const since = clock.peek();
    const posted = await inbound(2);
    const pending = await inbound(3);
    await outbound(); // outbound messages are not deliveries
    await temp.store.posts.save({ messageId: posted, platform: 'slack', channel: 'C1', platformMessageId: '1.1' });

    // Unmapped number: nothing to deliver to (listed as unrouted instead).
    expect(await temp.store.messages.listUndelivered({ since })).toEqual([]);
    await temp.store.mappings.create({ number: NUMBER, platform: 'slack', channel: 'C1' });
    expect((await temp.store.messages.listUndelivered({ since })).map((m) => m.id)).toEqual([pending]);
    // The window: an older one shows up only when the window reaches back to it.
    expect((await temp.store.messages.listUndelivered({ since: '2000-01-01T00:00:00.000Z' })).map((m) => m.id)).toEqual([old, pending]);
  });
});
