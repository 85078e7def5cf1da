import { beforeEach, describe, expect, it } from 'vitest';

import { recordInbound } from '../../src/app/recordInbound.js';
import type { InboundSms } from '../../src/core/types.js';
import { CONTACT, OUR } from './fixtures.js';
import { createMemoryStore, fixedClock } from './memoryStore.js';

function sms(patch: Partial<InboundSms> = {}): InboundSms {
  return {
    provider: 'twilio',
    providerMessageId: `SM${Math.random().toString(16).slice(2)}`,
    from: CONTACT,
    to: OUR,
    body: 'Hi, is my order ready?',
    media: [],
    ...patch,
  };
}

let clock: ReturnType<typeof fixedClock>;
let store: ReturnType<typeof createMemoryStore>;
let deps: { store: typeof store; clock: typeof clock };

beforeEach(async () => {
  clock = fixedClock('2026-03-01T09:00:00.000Z');
  store = createMemoryStore(clock);
  await store.numbers.create({ e164: OUR, provider: 'twilio', type: 'local', status: 'active', country: 'US' });
  await store.mappings.create({ number: OUR, platform: 'slack', channel: 'C1' });
  deps = { store, clock };
});

describe('inbound messages are recorded', () => {
  it('stores the message in a new conversation for (our number, contact), normalising both to E.164', async () => {
    const r = await recordInbound(deps, sms({ from: '(415) 555-2671', to: '+1 415 555 0100', body: 'Hello 😀' }));
    expect(r.duplicate).toBe(false);
    expect(r.routed).toBe(true);
    expect(r.keyword).toBeNull();
    expect(r.conversation).toMatchObject({ number: OUR, contact: CONTACT });
    expect(r.message).toMatchObject({
      conversationId: r.conversation.id,
      direction: 'inbound',
      status: 'received',
      body: 'Hello 😀',
      provider: 'twilio',
      encoding: 'UCS-2',
      segments: 1,
      createdAt: '2026-03-01T09:00:00.000Z',
    });
  });

  it('reuses the conversation for the next message from the same contact', async () => {
    const a = await recordInbound(deps, sms());
    const b = await recordInbound(deps, sms({ from: '415-555-2671' }));
    expect(b.conversation.id).toBe(a.conversation.id);
    expect(await store.messages.listForConversation(a.conversation.id)).toHaveLength(2);
  });

  it('keeps alphanumeric senders and short codes as sent', async () => {
    expect((await recordInbound(deps, sms({ from: ' AMAZON ' }))).conversation.contact).toBe('AMAZON');
    expect((await recordInbound(deps, sms({ from: '828282' }))).conversation.contact).toBe('828282');
  });

  it('receives messages from any number in the world (rule 2)', async () => {
    expect((await recordInbound(deps, sms({ from: '+44 20 7946 0958' }))).conversation.contact).toBe('+442079460958');
  });

  it('stores each media file as pending with its source URL', async () => {
    const r = await recordInbound(deps, sms({ media: [{ url: 'https://api.twilio.com/m/1', contentType: 'image/jpeg' }, { url: 'https://api.twilio.com/m/2', contentType: null }] }));
    expect(r.message.media).toHaveLength(2);
    expect(r.message.media.map((m) => [m.status, m.sourceUrl, m.contentType])).toEqual([
      ['pending', 'https://api.twilio.com/m/1', 'image/jpeg'],
      ['pending', 'https://api.twilio.com/m/2', 'application/octet-stream'],
    ]);
  });

  it('writes nothing when a step fails: the transaction rolls back', async () => {
    const failing = createMemoryStore(clock);
    failing.media.create = () => {
      throw new Error('disk full');
    };
    await expect(recordInbound({ store: failing, clock }, sms({ media: [{ url: 'https://x/1', contentType: 'image/png' }] }))).rejects.toThrow('disk full');
    expect(failing.state.messages.size).toBe(0);
    expect(failing.state.conversations.size).toBe(0);
  });
});

describe('inbound webhooks are idempotent on the provider message id', () => {
  it('a retried webhook is reported as duplicate and changes nothing', async () => {
    const first = await recordInbound(deps, sms({ providerMessageId: 'SM1', body: 'STOP' }));
    const again = await recordInbound(deps, sms({ providerMessageId: 'SM1', body: 'STOP' }));
    expect(again.duplicate).toBe(true);
    expect(again.message.id).toBe(first.message.id);
    expect(again.conversation.id).toBe(first.conversation.id);
    expect(store.state.messages.size).toBe(1);
    expect(store.state.optOutWrites).toHaveLength(1);
  });

  it('the same id from another provider is a different message', async () => {
    await recordInbound(deps, sms({ providerMessageId: 'X1' }));
    expect((await recordInbound(deps, sms({ providerMessageId: 'X1', provider: '8x8' }))).duplicate).toBe(false);
  });
});

describe('rule 12: opt-out keywords update the opt-out list', () => {
  it('STOP opts the contact out of this number, and the message is still stored', async () => {
    const r = await recordInbound(deps, sms({ body: ' stop ' }));
    expect(r.keyword).toBe('stop');
    expect(await store.optOuts.isOptedOut(OUR, CONTACT)).toBe(true);
    expect(store.state.messages.size).toBe(1);
  });

  it('START (or YES, UNSTOP) opts the contact back in', async () => {
    await recordInbound(deps, sms({ body: 'UNSUBSCRIBE' }));
    await recordInbound(deps, sms({ body: 'Unstop' }));
    expect(await store.optOuts.isOptedOut(OUR, CONTACT)).toBe(false);
    await recordInbound(deps, sms({ body: 'quit' }));
    await recordInbound(deps, sms({ body: 'yes' }));
    expect(await store.optOuts.isOptedOut(OUR, CONTACT)).toBe(false);
  });

  it('an opt-out is per number: the contact still receives from our other numbers', async () => {
    await recordInbound(deps, sms({ body: 'STOP' }));
    expect(await store.optOuts.isOptedOut('+14165550111', CONTACT)).toBe(false);
  });

  it('"Stop please" is a conversation, not an opt-out; HELP is recognised without changing anything', async () => {
    expect((await recordInbound(deps, sms({ body: 'Stop please' }))).keyword).toBeNull();
    expect((await recordInbound(deps, sms({ body: 'HELP' }))).keyword).toBe('help');
    expect(store.state.optOutWrites).toHaveLength(0);
  });
});

describe('rule 3: inbound group messages are kept', () => {
  it('stores the other recipients (not our own number) so the thread can say replies go to the sender alone', async () => {
    const r = await recordInbound(deps, sms({ otherRecipients: ['(604) 555-2671', OUR, '+1 416 555 1234'] }));
    expect(r.message.otherRecipients).toEqual(['+16045552671', '+14165551234']);
  });
});

describe('rule 7: turning SMS off still stores inbound messages', () => {
  it('stores and routes inbound messages while SMS is off company-wide', async () => {
    await store.policy.update({ smsEnabled: false });
    const r = await recordInbound(deps, sms());
    expect(r.routed).toBe(true);
    expect((await store.messages.get(r.message.id))?.status).toBe('received');
  });
});

describe('nothing is dropped: unmapped and unknown numbers', () => {
  it('a message to a number with no mapping is stored as unrouted', async () => {
    await store.numbers.create({ e164: '+14165550111', provider: 'twilio', type: 'local', status: 'active', country: 'CA' });
    const r = await recordInbound(deps, sms({ to: '+14165550111' }));
    expect(r.routed).toBe(false);
    expect((await store.messages.listUnrouted()).map((m) => m.id)).toEqual([r.message.id]);
  });

  it('a message to a number we do not know is stored too', async () => {
    const r = await recordInbound(deps, sms({ to: '+16045550199' }));
    expect(r.routed).toBe(false);
    expect(r.conversation.number).toBe('+16045550199');
    expect(await store.messages.get(r.message.id)).not.toBeNull();
  });
});
