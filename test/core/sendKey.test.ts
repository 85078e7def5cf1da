import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { messageIdFromSendKey, resendFromSendKey, sendKey } from '../../src/core/sendKey.js';

const ID = '5d1c3c4e-0f7e-4c55-9b7a-0d1c9e0c1a22';

describe('send key: the provider idempotency key of one send of a message', () => {
  it('is the message id for the first send and <id>-rN after the N-th resend', async () => {
    expect(sendKey(ID, 0)).toBe(ID);
    expect(sendKey(ID, 1)).toBe(`${ID}-r1`);
    expect(sendKey(ID, 12)).toBe(`${ID}-r12`);
    expect(() => sendKey(ID, -1)).toThrow(RangeError);
    expect(() => sendKey(ID, 1.5)).toThrow(RangeError);
  });

  it('turns back into the plain message id and its resend generation, for any uuid and generation', async () => {
    fc.assert(
      fc.property(fc.uuid(), fc.nat(10_000), (id, resend) => {
        const key = sendKey(id, resend);
        expect(messageIdFromSendKey(key)).toBe(id);
        expect(resendFromSendKey(key)).toBe(resend);
      }),
    );
  });

  it('leaves a key without a resend suffix as it is', async () => {
    expect(messageIdFromSendKey(ID)).toBe(ID);
    expect(messageIdFromSendKey('our-id')).toBe('our-id');
    expect(messageIdFromSendKey(`${ID}-r0`)).toBe(`${ID}-r0`); // never produced: not a suffix
    expect(resendFromSendKey(ID)).toBe(0);
  });
});
