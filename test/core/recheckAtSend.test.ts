import { beforeEach, describe, expect, it } from 'vitest';

import { ConflictError, NotFoundError } from '../../src/core/errors.js';
import type { Message } from '../../src/core/types.js';
import { recheckAtSend } from '../../src/app/recheckAtSend.js';
import { recordInbound } from '../../src/app/recordInbound.js';
import { requestOutbound } from '../../src/app/requestOutbound.js';
import { CONTACT, OUR, TWILIO_CAPS } from './fixtures.js';
import { createMemoryStore, fixedClock } from './memoryStore.js';

let store: ReturnType<typeof createMemoryStore>;
let deps: Parameters<typeof recheckAtSend>[0];
let queued: Message;

beforeEach(async () => {
  const clock = fixedClock();
  store = createMemoryStore(clock);
  await store.numbers.create({ e164: OUR, provider: 'twilio', type: 'local', status: 'active', country: 'US' });
  const noop = { wake: async () => undefined };
  deps = { store, clock, providerCaps: () => TWILIO_CAPS };
  const r = await requestOutbound(
    { ...deps, queue: noop },
    { fromNumber: OUR, to: ['415-555-2671'], body: 'See you at 5', media: [], author: { platform: 'slack', userId: 'U1' }, platformMessageId: 'slack:1' },
  );
  if (!r.ok) throw new Error('refused');
  queued = r.message;
});

describe('send-time re-check', () => {
  it('allows a still-eligible message and says exactly what to send', async () => {
    expect(await recheckAtSend(deps, queued.id)).toEqual({
      ok: true,
      message: expect.objectContaining({ id: queued.id }),
      sms: { messageId: queued.id, from: OUR, to: CONTACT, body: 'See you at 5' },
    });
  });

  it('rule 12: an opt-out that arrived while the message waited wins, and the message ends refused', async () => {
    await recordInbound({ store, clock: fixedClock() }, { provider: 'twilio', providerMessageId: 'SMstop', from: CONTACT, to: OUR, body: 'STOP', media: [] });
    const r = await recheckAtSend(deps, queued.id);
    expect(r).toMatchObject({ ok: false, refusals: [{ code: 'opted_out' }] });
    expect(await store.messages.get(queued.id)).toMatchObject({ status: 'refused', errorCode: 'opted_out', statusReason: expect.stringMatching(/opted out/) });
  });

  it('rule 7: SMS switched off company-wide meanwhile wins', async () => {
    await store.policy.update({ smsEnabled: false });
    expect(await recheckAtSend(deps, queued.id)).toMatchObject({ ok: false, refusals: [{ code: 'sms_disabled_company' }] });
  });

  it('rule 7: SMS switched off for the author meanwhile wins', async () => {
    await store.users.upsert('slack', 'U1', { smsEnabled: false });
    expect(await recheckAtSend(deps, queued.id)).toMatchObject({ ok: false, refusals: [{ code: 'sms_disabled_user' }] });
  });

  it('rule 1: a number that started porting meanwhile cannot send', async () => {
    await store.numbers.update(OUR, { status: 'porting' });
    expect(await recheckAtSend(deps, queued.id)).toMatchObject({ ok: false, refusals: [{ code: 'sender_porting' }] });
  });

  it('rule 11: the sender is always the conversation\'s number', async () => {
    const r = await recheckAtSend(deps, queued.id);
    const conversation = await store.conversations.get(queued.conversationId);
    expect(r.ok && r.sms.from).toBe(conversation?.number);
  });

  it('a message already sent is never sent again', async () => {
    await store.messages.advanceStatus(queued.id, 'sent');
    await expect(recheckAtSend(deps, queued.id)).rejects.toThrow(ConflictError);
    expect((await store.messages.get(queued.id))?.status).toBe('sent');
  });

  it('a message being sent (a retried job) is re-checked', async () => {
    await store.messages.advanceStatus(queued.id, 'sending');
    expect((await recheckAtSend(deps, queued.id)).ok).toBe(true);
  });

  it('an unknown message is not found; an inbound one is not sendable', async () => {
    await expect(recheckAtSend(deps, 'nope')).rejects.toThrow(NotFoundError);
    const inbound = await recordInbound({ store, clock: fixedClock() }, { provider: 'twilio', providerMessageId: 'SMin', from: CONTACT, to: OUR, body: 'hi', media: [] });
    await expect(recheckAtSend(deps, inbound.message.id)).rejects.toThrow(ConflictError);
  });
});
