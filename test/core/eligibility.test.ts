import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { checkEligibility, type Eligibility, type EligibilityInput } from '../../src/core/eligibility.js';
import type { RefusalCode } from '../../src/core/errors.js';
import { DEFAULT_POLICY, type Policy } from '../../src/core/types.js';
import { CONTACT, number, OUR, TWILIO_CAPS } from './fixtures.js';

const MB = 1024 * 1024;

function input(patch: Partial<EligibilityInput> = {}): EligibilityInput {
  return {
    policy: DEFAULT_POLICY,
    user: null,
    sender: number({ e164: OUR }),
    senderInput: OUR,
    recipients: [CONTACT],
    isOptedOut: () => false,
    body: 'Your table is ready.',
    media: [],
    provider: TWILIO_CAPS,
    ...patch,
  };
}

function policy(patch: Partial<Policy>): Policy {
  return { ...DEFAULT_POLICY, ...patch };
}

function refusals(e: Eligibility) {
  return e.allowed ? [] : e.refusals;
}

function codes(e: Eligibility): RefusalCode[] {
  return refusals(e).map((r) => r.code);
}

function reasonFor(e: Eligibility, code: RefusalCode): string {
  const r = refusals(e).find((x) => x.code === code);
  if (!r) throw new Error(`no refusal ${code} in ${JSON.stringify(refusals(e))}`);
  return r.reason;
}

const user = (smsEnabled: boolean) => ({ platform: 'slack', userId: 'U1', smsEnabled, admin: false, updatedAt: '2026-01-01T00:00:00.000Z' });

describe('eligibility: an ordinary message', () => {
  it('is allowed, with the destination in E.164 and its segment count', async () => {
    const e = checkEligibility(input({ recipients: ['(415) 555-2671'] }));
    expect(e).toEqual({ allowed: true, to: CONTACT, segments: { encoding: 'GSM-7', units: 20, segments: 1, perSegment: 160 } });
  });
});

describe('rule 7: turning SMS off', () => {
  it('refuses every send while SMS is off company-wide', async () => {
    const e = checkEligibility(input({ policy: policy({ smsEnabled: false }) }));
    expect(codes(e)).toEqual(['sms_disabled_company']);
    expect(reasonFor(e, 'sms_disabled_company')).toMatch(/turned off for the whole company/);
  });

  it('refuses sends by a user whose SMS is off', async () => {
    expect(codes(checkEligibility(input({ user: user(false) })))).toEqual(['sms_disabled_user']);
  });

  it('lets a user with SMS on, or with no profile row, send', async () => {
    expect(checkEligibility(input({ user: user(true) })).allowed).toBe(true);
    expect(checkEligibility(input({ user: null })).allowed).toBe(true);
  });

  it('gives both reasons when both are off', async () => {
    expect(codes(checkEligibility(input({ policy: policy({ smsEnabled: false }), user: user(false) })))).toEqual([
      'sms_disabled_company',
      'sms_disabled_user',
    ]);
  });
});

describe('rule 1: sending numbers', () => {
  it('refuses a sending number that is not provisioned, naming it', async () => {
    const e = checkEligibility(input({ sender: null, senderInput: '+1 415 555 9999' }));
    expect(codes(e)).toEqual(['sender_not_provisioned']);
    expect(reasonFor(e, 'sender_not_provisioned')).toBe('(415) 555-9999 is not provisioned on this bridge, so it cannot send SMS.');
  });

  it('refuses a toll-free sending number by default', async () => {
    expect(codes(checkEligibility(input({ sender: number({ e164: '+18005551234', type: 'toll-free' }) })))).toEqual(['sender_toll_free']);
  });

  it('refuses a virtual sending number by default', async () => {
    expect(codes(checkEligibility(input({ sender: number({ type: 'virtual' }) })))).toEqual(['sender_virtual']);
  });

  it('refuses a UK sending number', async () => {
    expect(codes(checkEligibility(input({ sender: number({ e164: '+442079460958', country: 'GB' }) })))).toEqual(['sender_outside_us_ca']);
  });

  it('refuses a number whose port-in is under way', async () => {
    expect(codes(checkEligibility(input({ sender: number({ e164: OUR, status: 'porting' }) })))).toEqual(['sender_porting']);
  });
});

describe('rule 2: destinations', () => {
  it('sends to US and Canadian numbers in any common format', async () => {
    for (const to of ['415.555.2671', '+1 416 555 1234', '1-604-555-2671']) {
      expect(checkEligibility(input({ recipients: [to] })).allowed).toBe(true);
    }
  });

  it('refuses a UK destination, naming the country', async () => {
    const e = checkEligibility(input({ recipients: ['+44 20 7946 0958'] }));
    expect(codes(e)).toEqual(['destination_not_us_ca']);
    expect(reasonFor(e, 'destination_not_us_ca')).toBe(
      '+44 20 7946 0958 is a number in United Kingdom; SMS can only be sent to US and Canadian numbers.',
    );
  });

  it('refuses a Caribbean NANP destination (+1 but not US/Canada)', async () => {
    expect(codes(checkEligibility(input({ recipients: ['+1 876 555 1234'] })))).toEqual(['destination_not_us_ca']);
  });

  it('refuses toll-free destinations', async () => {
    expect(codes(checkEligibility(input({ recipients: ['1-800-555-1234'] })))).toEqual(['destination_toll_free']);
  });

  it('refuses premium-rate destinations', async () => {
    expect(codes(checkEligibility(input({ recipients: ['+1 900 555 1234'] })))).toEqual(['destination_premium']);
  });

  it('refuses short codes', async () => {
    const e = checkEligibility(input({ recipients: ['828282'] }));
    expect(codes(e)).toEqual(['destination_short_code']);
    expect(reasonFor(e, 'destination_short_code')).toMatch(/^828282 is a short code/);
  });

  it('refuses text that is not a phone number', async () => {
    const e = checkEligibility(input({ recipients: ['call me maybe'] }));
    expect(codes(e)).toEqual(['destination_invalid']);
    expect(reasonFor(e, 'destination_invalid')).toBe(
      '"call me maybe" is not a valid phone number. Letters are not read as digits; type the number, e.g. +14155552671.',
    );
    expect(reasonFor(checkEligibility(input({ recipients: ['+999 123'] })), 'destination_invalid')).toMatch(
      /^"\+999 123" is not a valid phone number\. It does not look like a phone number/,
    );
  });

  it('refuses an alphanumeric sender id as a destination', async () => {
    expect(reasonFor(checkEligibility(input({ recipients: ['AMAZON'] })), 'destination_invalid')).toMatch(/sender name, not a phone number/);
  });

  it('refuses fictional 555-01XX numbers with the reason', async () => {
    const e = checkEligibility(input({ recipients: ['(212) 555-0123'] }));
    expect(codes(e)).toEqual(['destination_invalid']);
    expect(reasonFor(e, 'destination_invalid')).toMatch(/^\(212\) 555-0123 cannot receive SMS: 555-0123 is a fictional number/);
  });

  it('refuses N11 exchanges with the reason', async () => {
    expect(reasonFor(checkEligibility(input({ recipients: ['+1 415 411 1234'] })), 'destination_invalid')).toMatch(/service code/);
  });

  it('refuses a number texting itself', async () => {
    expect(reasonFor(checkEligibility(input({ recipients: [OUR] })), 'destination_invalid')).toMatch(/cannot text itself/);
  });
});

describe('rule 3: one-to-one only', () => {
  it('refuses a request with no recipient', async () => {
    expect(codes(checkEligibility(input({ recipients: [] })))).toEqual(['no_recipient']);
    expect(codes(checkEligibility(input({ recipients: ['  '] })))).toEqual(['no_recipient']);
  });

  it('refuses a request naming several recipients outright, with the count', async () => {
    const e = checkEligibility(input({ recipients: [CONTACT, '+1 416 555 1234', '+1 604 555 2671'] }));
    expect(codes(e)).toEqual(['too_many_recipients']);
    expect(reasonFor(e, 'too_many_recipients')).toBe('The message names 3 recipients; SMS goes to one number at a time (no group texts).');
  });

  it('counts the same number written two ways once', async () => {
    expect(checkEligibility(input({ recipients: ['(415) 555-2671', CONTACT] }))).toMatchObject({ allowed: true, to: CONTACT });
  });
});

describe('rule 12: opt-out', () => {
  it('refuses a contact who opted out of this number, saying how to undo it', async () => {
    const optedOut = new Set([`${OUR}|${CONTACT}`]);
    const e = checkEligibility(input({ recipients: ['415-555-2671'], isOptedOut: (n, c) => optedOut.has(`${n}|${c}`) }));
    expect(codes(e)).toEqual(['opted_out']);
    expect(reasonFor(e, 'opted_out')).toBe(
      '(415) 555-2671 has opted out of messages from (415) 555-0100 (they texted STOP); they must text START to receive messages again.',
    );
  });

  it('an opt-out from another number does not apply', async () => {
    const e = checkEligibility(input({ isOptedOut: (n, c) => n === '+14165550111' && c === CONTACT }));
    expect(e.allowed).toBe(true);
  });
});

describe('rule 4: length', () => {
  it('allows 10 segments by default', async () => {
    const e = checkEligibility(input({ body: 'x'.repeat(153 * 10) }));
    expect(e).toMatchObject({ allowed: true, segments: { segments: 10 } });
  });

  it('refuses 11 segments with the count shown', async () => {
    const e = checkEligibility(input({ body: 'x'.repeat(153 * 10 + 1) }));
    expect(codes(e)).toEqual(['too_many_segments']);
    expect(reasonFor(e, 'too_many_segments')).toMatch(/^Message is 11 segments; the limit is 10\./);
    expect(e.segments.segments).toBe(11);
  });

  it('refuses 12 segments with the count and limit in the reason', async () => {
    expect(reasonFor(checkEligibility(input({ body: 'x'.repeat(153 * 12) })), 'too_many_segments')).toMatch(
      /^Message is 12 segments; the limit is 10\./,
    );
  });

  it('follows the admin\'s segment limit', () => {
    const e = checkEligibility(input({ body: 'x'.repeat(161), policy: policy({ maxSegments: 1 }) }));
    expect(reasonFor(e, 'too_many_segments')).toMatch(/^Message is 2 segments; the limit is 1\./);
  });

  it('explains that one emoji makes the message Unicode', async () => {
    const e = checkEligibility(input({ body: '😀' + 'x'.repeat(67 * 10) }));
    expect(reasonFor(e, 'too_many_segments')).toMatch(/Unicode because of "😀".*67 characters/);
  });

  it('refuses an empty message (no text, no attachment), also whitespace only', async () => {
    expect(codes(checkEligibility(input({ body: '' })))).toEqual(['empty_message']);
    expect(codes(checkEligibility(input({ body: ' \n ' })))).toEqual(['empty_message']);
  });

  it('allows a picture with no text', async () => {
    expect(checkEligibility(input({ body: '', media: [{ contentType: 'image/png', size: 1000 }] })).allowed).toBe(true);
  });
});

describe('rule 5: pictures and files (MMS)', () => {
  const png = { contentType: 'image/png', size: 100_000 };

  it('allows pictures to a US number within the provider limits', async () => {
    expect(checkEligibility(input({ media: [png, { contentType: 'image/JPEG; name=a.jpg', size: 1 }] })).allowed).toBe(true);
  });

  it('refuses files when the provider has no MMS', async () => {
    const e = checkEligibility(input({ media: [png], provider: { ...TWILIO_CAPS, mms: false } }));
    expect(codes(e)).toEqual(['media_not_supported']);
  });

  it('refuses files to a number outside US/Canada (as well as the text)', async () => {
    const e = checkEligibility(input({ recipients: ['+442079460958'], media: [png] }));
    expect(codes(e)).toEqual(['destination_not_us_ca', 'media_destination_not_us_ca']);
    expect(reasonFor(e, 'media_destination_not_us_ca')).toMatch(/\+44 20 7946 0958 is not one/);
  });

  it('refuses more than 10 files', async () => {
    const e = checkEligibility(input({ media: Array.from({ length: 11 }, () => ({ ...png, size: 10 })) }));
    expect(codes(e)).toEqual(['media_too_many']);
    expect(reasonFor(e, 'media_too_many')).toBe('The message has 11 files; at most 10 can be sent in one message.');
  });

  it('uses the smaller of the policy and provider file limits', async () => {
    const e = checkEligibility(input({ media: [png, png, png], provider: { ...TWILIO_CAPS, maxMediaFiles: 2 } }));
    expect(reasonFor(e, 'media_too_many')).toMatch(/at most 2 can be sent/);
  });

  it('refuses more than 5 MB in all, showing both sizes', async () => {
    const e = checkEligibility(input({ media: [{ contentType: 'image/png', size: 3 * MB }, { contentType: 'image/png', size: 3 * MB }] }));
    expect(codes(e)).toEqual(['media_too_large']);
    expect(reasonFor(e, 'media_too_large')).toBe('The files add up to 6.0 MB; at most 5.0 MB in all can be sent in one message.');
  });

  it('uses the smaller of the policy and provider size limits', async () => {
    const e = checkEligibility(input({ media: [{ contentType: 'image/png', size: 2 * MB }], provider: { ...TWILIO_CAPS, maxMediaBytes: 1 * MB } }));
    expect(reasonFor(e, 'media_too_large')).toMatch(/at most 1.0 MB/);
  });

  it('refuses a file type that is not allowed, naming the type once', async () => {
    const exe = { contentType: 'application/x-msdownload', size: 10 };
    const e = checkEligibility(input({ media: [exe, exe, png] }));
    expect(codes(e)).toEqual(['media_type_not_allowed']);
    expect(reasonFor(e, 'media_type_not_allowed')).toMatch(/^Files of type application\/x-msdownload cannot be sent by MMS/);
  });
});

describe('eligibility returns every reason at once', () => {
  it('lists SMS off, sender, destination, length and media reasons together', async () => {
    const e = checkEligibility(
      input({
        policy: policy({ smsEnabled: false }),
        user: user(false),
        sender: number({ e164: '+18005551234', type: 'toll-free', status: 'porting' }),
        recipients: ['+44 20 7946 0958'],
        body: 'x'.repeat(2000),
        media: [{ contentType: 'application/zip', size: 6 * MB }],
      }),
    );
    expect(codes(e)).toEqual([
      'sms_disabled_company',
      'sms_disabled_user',
      'sender_toll_free',
      'sender_porting',
      'destination_not_us_ca',
      'too_many_segments',
      'media_destination_not_us_ca',
      'media_too_large',
      'media_type_not_allowed',
    ]);
    for (const r of refusals(e)) expect(r.reason).toMatch(/^[A-Z(+"].*[.]$/);
  });
});

describe('rule 6: co-workers (internal)', () => {
  it('skips carrier rules for a co-worker message but keeps SMS-off and one recipient', async () => {
    const internal = input({
      internal: true,
      sender: number({ e164: OUR, type: 'toll-free' }),
      recipients: ['+442079460958'],
      body: 'x'.repeat(2000),
      provider: { ...TWILIO_CAPS, mms: false },
      media: [{ contentType: 'image/png', size: 10 }],
      isOptedOut: () => true,
    });
    expect(checkEligibility(internal)).toMatchObject({ allowed: true, to: '+442079460958' });
    expect(codes(checkEligibility({ ...internal, policy: policy({ smsEnabled: false }) }))).toEqual(['sms_disabled_company']);
  });
});

describe('every refusal code has a scenario', () => {
  const MMS_PNG = [{ contentType: 'image/png', size: 10 }];
  const scenarios: Record<RefusalCode, Partial<EligibilityInput>> = {
    sms_disabled_company: { policy: policy({ smsEnabled: false }) },
    sms_disabled_user: { user: user(false) },
    sender_not_provisioned: { sender: null },
    sender_toll_free: { sender: number({ type: 'toll-free', e164: '+18885551234' }) },
    sender_virtual: { sender: number({ type: 'virtual' }) },
    sender_outside_us_ca: { sender: number({ e164: '+442079460958', country: 'GB' }) },
    sender_porting: { sender: number({ status: 'porting', e164: OUR }) },
    sender_provider_not_configured: { provider: null },
    destination_invalid: { recipients: ['nope'] },
    destination_not_us_ca: { recipients: ['+33 1 42 68 53 00'] },
    destination_toll_free: { recipients: ['+1 877 555 1234'] },
    destination_premium: { recipients: ['+1 900 555 1234'] },
    destination_short_code: { recipients: ['12345'] },
    no_recipient: { recipients: [] },
    too_many_recipients: { recipients: [CONTACT, '+14165551234'] },
    opted_out: { isOptedOut: () => true },
    empty_message: { body: '' },
    too_many_segments: { body: '{'.repeat(1000) },
    media_destination_not_us_ca: { recipients: ['+33 1 42 68 53 00'], media: MMS_PNG },
    media_too_many: { media: Array.from({ length: 11 }, () => MMS_PNG[0] as { contentType: string; size: number }) },
    media_too_large: { media: [{ contentType: 'image/png', size: 6 * MB }] },
    media_type_not_allowed: { media: [{ contentType: 'text/html', size: 10 }] },
    media_not_supported: { media: MMS_PNG, provider: { ...TWILIO_CAPS, mms: false } },
  };

  it.each(Object.entries(scenarios))('%s', (code, patch) => {
    const e = checkEligibility(input(patch));
    expect(e.allowed).toBe(false);
    expect(codes(e)).toContain(code);
    expect(reasonFor(e, code as RefusalCode).length).toBeGreaterThan(20);
  });
});

describe('eligibility (properties)', () => {
  it('is allowed exactly when there is no reason, and every reason is a full sentence', async () => {
    const arb = fc.record({
      smsEnabled: fc.boolean(),
      userOn: fc.option(fc.boolean(), { nil: null }),
      type: fc.constantFrom('local', 'toll-free', 'virtual'),
      status: fc.constantFrom('active', 'porting'),
      provisioned: fc.boolean(),
      recipients: fc.array(fc.constantFrom(CONTACT, '+14165551234', '+442079460958', '828282', 'AMAZON', '+18005551234', '(212) 555-0123', 'x', ''), { maxLength: 3 }),
      optedOut: fc.boolean(),
      body: fc.oneof(fc.string({ maxLength: 50 }), fc.constant('y'.repeat(1600))),
      media: fc.array(fc.record({ contentType: fc.constantFrom('image/png', 'text/html'), size: fc.integer({ min: 0, max: 3 * MB }) }), { maxLength: 12 }),
      mms: fc.boolean(),
    });
    fc.assert(
      fc.property(arb, (a) => {
        const e = checkEligibility(
          input({
            policy: policy({ smsEnabled: a.smsEnabled }),
            user: a.userOn === null ? null : user(a.userOn),
            sender: a.provisioned ? number({ e164: OUR, type: a.type as 'local', status: a.status as 'active' }) : null,
            recipients: a.recipients,
            isOptedOut: () => a.optedOut,
            body: a.body,
            media: a.media,
            provider: { ...TWILIO_CAPS, mms: a.mms },
          }),
        );
        if (e.allowed) {
          expect(e.to).toMatch(/^\+1\d{10}$/);
        } else {
          expect(e.refusals.length).toBeGreaterThan(0);
          for (const r of e.refusals) expect(r.reason).toMatch(/^[A-Z0-9("+].*\.$/s);
          expect(new Set(e.refusals.map((r) => `${r.code}|${r.reason}`)).size).toBe(e.refusals.length);
        }
      }),
      { numRuns: 500 },
    );
  });
});
