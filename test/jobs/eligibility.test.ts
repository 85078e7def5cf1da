// Issue 4, behaviours 1, 2 and 8: the rules are checked when a message is accepted AND again when
// the worker is about to send it; a refusal queues or sends nothing. Real Redis, SQLite, HTTP.
import { afterEach, describe, expect, it } from 'vitest';
import type { RefusalCode } from '../../src/core/errors.js';
import { createHarness, type Harness, type HarnessOptions } from './support/harness.js';

const LOCAL = '+14152345678';
const CONTACT = '+12123456789';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

/** Work queued to be sent (pending or failed), and wake-ups of the send worker. */
async function sendWork(x: Harness): Promise<number> {
  const counts = await x.pipeline.queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
  const items = (await x.temp.store.outbox.stats()).filter((s) => s.lane === 'send').reduce((n, s) => n + s.count, 0);
  return items + Object.values(counts).reduce((a, b) => a + b, 0);
}

describe('refused at enqueue: every reason comes back and nothing is queued or sent', () => {
  const cases: Array<{
    rule: string;
    code: RefusalCode;
    harness?: HarnessOptions;
    setup?: (x: Harness) => Promise<unknown>;
    from?: string;
    to?: string[];
    body?: string;
    media?: Array<{ contentType: string; size: number }>;
  }> = [
    { rule: 'SMS turned off company-wide', code: 'sms_disabled_company', setup: async (x) => await x.temp.store.policy.update({ smsEnabled: false }) },
    { rule: 'SMS turned off for the user', code: 'sms_disabled_user', setup: async (x) => await x.temp.store.users.upsert('slack', 'U1', { smsEnabled: false }) },
    { rule: 'sending number not provisioned', code: 'sender_not_provisioned', from: '+14159876543' },
    { rule: 'toll-free sending number', code: 'sender_toll_free', from: '+18005550199', setup: async (x) => await x.addNumber('+18005550199', { type: 'toll-free' }) },
    { rule: 'virtual sending number', code: 'sender_virtual', from: '+14153334444', setup: async (x) => await x.addNumber('+14153334444', { type: 'virtual' }) },
    {
      rule: 'sending number outside US/Canada',
      code: 'sender_outside_us_ca',
      from: '+442071838750',
      setup: async (x) => await x.temp.store.numbers.create({ e164: '+442071838750', provider: 'fake', type: 'local', status: 'active', country: 'GB' }),
    },
    { rule: 'sending number still porting', code: 'sender_porting', from: '+14155556666', setup: async (x) => await x.addNumber('+14155556666', { status: 'porting' }) },
    { rule: 'unparsable destination', code: 'destination_invalid', to: ['not a number'] },
    { rule: 'destination outside US/Canada', code: 'destination_not_us_ca', to: ['+442071838750'] },
    { rule: 'toll-free destination', code: 'destination_toll_free', to: ['+18885550123'] },
    { rule: 'premium destination', code: 'destination_premium', to: ['+19005550123'] },
    { rule: 'short code destination', code: 'destination_short_code', to: ['72345'] },
    { rule: 'no recipient', code: 'no_recipient', to: [] },
    { rule: 'group text', code: 'too_many_recipients', to: [CONTACT, '+12125550177'] },
    { rule: 'contact opted out', code: 'opted_out', setup: async (x) => await x.temp.store.optOuts.set(LOCAL, CONTACT, true, 'STOP') },
    { rule: 'empty message', code: 'empty_message', body: '   ' },
    { rule: 'over the segment limit', code: 'too_many_segments', body: 'x'.repeat(153 * 10 + 1) },
    { rule: 'too many files', code: 'media_too_many', media: Array.from({ length: 11 }, () => ({ contentType: 'image/png', size: 1000 })) },
    { rule: 'files too large', code: 'media_too_large', media: [{ contentType: 'image/png', size: 6 * 1024 * 1024 }] },
    { rule: 'file type not allowed', code: 'media_type_not_allowed', media: [{ contentType: 'application/x-msdownload', size: 1000 }] },
    {
      rule: 'a file on a number whose provider cannot send MMS',
      code: 'media_not_supported',
      harness: { mms: false },
      media: [{ contentType: 'image/png', size: 1000 }],
    },
    {
      rule: 'a file to a number outside US/Canada',
      code: 'media_destination_not_us_ca',
      to: ['+442071838750'],
      media: [{ contentType: 'image/png', size: 1000 }],
    },
  ];

  for (const c of cases) {
    it(`${c.rule} -> ${c.code}`, async () => {
      h = await createHarness(c.harness);
      await h.addNumber(LOCAL);
      await c.setup?.(h);
      const r = await h.send(c.from ?? LOCAL, CONTACT, c.body ?? 'hello', { to: c.to ?? [CONTACT], media: c.media ?? [] });
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.refusals.map((x) => x.code)).toContain(c.code);
      for (const refusal of r.refusals) expect(refusal.reason.length).toBeGreaterThan(10);
      expect(await sendWork(h)).toBe(0);
      expect(h.fake.requests).toHaveLength(0);
    });
  }
});

describe('refused at send time: what changed after enqueue wins, nothing reaches the provider', () => {
  const changes: Array<{ rule: string; code: RefusalCode; change: (x: Harness) => Promise<unknown> }> = [
    { rule: 'contact opted out after enqueue', code: 'opted_out', change: async (x) => await x.temp.store.optOuts.set(LOCAL, CONTACT, true, 'STOP') },
    { rule: 'SMS switched off company-wide after enqueue', code: 'sms_disabled_company', change: async (x) => await x.temp.store.policy.update({ smsEnabled: false }) },
    { rule: 'SMS switched off for the user after enqueue', code: 'sms_disabled_user', change: async (x) => await x.temp.store.users.upsert('slack', 'U1', { smsEnabled: false }) },
    { rule: 'sending number put back to porting after enqueue', code: 'sender_porting', change: async (x) => await x.temp.store.numbers.update(LOCAL, { status: 'porting' }) },
  ];
  for (const c of changes) {
    it(`${c.rule} -> refused with the reason`, async () => {
      h = await createHarness({ worker: false });
      await h.addNumber(LOCAL);
      const r = await h.send(LOCAL, CONTACT, 'hello');
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect((await h.message(r.message.id)).status).toBe('queued');
      await c.change(h);
      await h.startWorker();
      await h.waitFor(async () => (await h!.message(r.message.id)).status === 'refused', 'refused');
      const m = await h.message(r.message.id);
      expect(m.errorCode).toBe(c.code);
      expect(m.statusReason).toBeTruthy();
      expect(h.fake.requests).toHaveLength(0);
      // The chat side was told.
      expect(h.notified.some((n) => n.id === m.id && n.status === 'refused')).toBe(true);
      expect(await h.temp.store.sendLedger.get(m.id)).toBeNull();
    });
  }
});

describe('co-worker messages (rule 6)', () => {
  it('a message to another provisioned number never reaches the provider and goes to that number\'s delivery', async () => {
    h = await createHarness();
    await h.addNumber(LOCAL);
    const coworker = '+14157654321';
    await h.addNumber(coworker);
    const r = await h.send(LOCAL, coworker, 'lunch?');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.internal).toBe(true);
    // The copy in the co-worker's conversation is queued for delivery into their threads.
    const theirs = await h.temp.store.conversations.find(coworker, LOCAL);
    expect(theirs).not.toBeNull();
    const copy = (await h.temp.store.messages.listForConversation(theirs!.id))[0]!;
    const item = await h.temp.store.outbox.findByMessage('deliver', copy.id);
    expect(item).toMatchObject({ state: 'ready', conversationId: theirs!.id });
    expect(h.deliveryWakes).toContainEqual({ conversationId: theirs!.id, token: `m${item!.seq}` });
    // Give the send worker a chance to (wrongly) pick something up.
    await new Promise((res) => setTimeout(res, 300));
    expect(await sendWork(h)).toBe(0);
    expect(h.fake.requests).toHaveLength(0);
  });
});
