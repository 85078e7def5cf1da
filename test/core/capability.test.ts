import { describe, expect, it } from 'vitest';

import { smsCapability } from '../../src/core/capability.js';
import { DEFAULT_POLICY } from '../../src/core/types.js';
import { number } from './fixtures.js';

const codes = (r: ReturnType<typeof smsCapability>) => r.refusals.map((x) => x.code);

describe('rule 1: sending numbers', () => {
  it('a local US number is SMS-capable', async () => {
    expect(smsCapability(number(), DEFAULT_POLICY)).toEqual({ capable: true, refusals: [] });
  });

  it('a local Canadian number is SMS-capable', async () => {
    expect(smsCapability(number({ e164: '+14165551234', country: 'CA' }), DEFAULT_POLICY).capable).toBe(true);
  });

  it('a number that is not provisioned cannot send', async () => {
    expect(codes(smsCapability(null, DEFAULT_POLICY))).toEqual(['sender_not_provisioned']);
  });

  it('a toll-free number is not SMS-capable by default, naming the number', async () => {
    const r = smsCapability(number({ e164: '+18005551234', type: 'toll-free' }), DEFAULT_POLICY);
    expect(codes(r)).toEqual(['sender_toll_free']);
    expect(r.refusals[0]?.reason).toContain('(800) 555-1234');
  });

  it('a toll-free number is SMS-capable when the policy allows toll-free SMS', async () => {
    const r = smsCapability(number({ e164: '+18005551234', type: 'toll-free' }), { ...DEFAULT_POLICY, tollFreeSmsCapable: true });
    expect(r.capable).toBe(true);
  });

  it('a virtual number is not SMS-capable by default, and is when the policy allows it', async () => {
    expect(codes(smsCapability(number({ type: 'virtual' }), DEFAULT_POLICY))).toEqual(['sender_virtual']);
    expect(smsCapability(number({ type: 'virtual' }), { ...DEFAULT_POLICY, virtualSmsCapable: true }).capable).toBe(true);
  });

  it('a UK number is not SMS-capable, naming the country', async () => {
    const r = smsCapability(number({ e164: '+442079460958', country: 'GB' }), DEFAULT_POLICY);
    expect(codes(r)).toEqual(['sender_outside_us_ca']);
    expect(r.refusals[0]?.reason).toMatch(/\+44 20 7946 0958 is a number in United Kingdom/);
  });

  it('derives the country from the number when none is stored', async () => {
    expect(codes(smsCapability(number({ e164: '+442079460958', country: null }), DEFAULT_POLICY))).toEqual(['sender_outside_us_ca']);
    expect(smsCapability(number({ country: null }), DEFAULT_POLICY).capable).toBe(true);
  });

  it('a number still porting in is not SMS-enabled until the port completes', async () => {
    const r = smsCapability(number({ status: 'porting' }), DEFAULT_POLICY);
    expect(codes(r)).toEqual(['sender_porting']);
    expect(r.refusals[0]?.reason).toMatch(/\(415\) 555-0100 is still being ported/);
  });

  it('lists every reason that applies at once', async () => {
    const r = smsCapability(number({ e164: '+448001234567', country: 'GB', type: 'toll-free', status: 'porting' }), DEFAULT_POLICY);
    expect(r.capable).toBe(false);
    expect(codes(r)).toEqual(['sender_toll_free', 'sender_outside_us_ca', 'sender_porting']);
    for (const refusal of r.refusals) expect(refusal.reason).toMatch(/^\+44 800 123 4567 /);
  });
});
