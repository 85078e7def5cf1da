import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { InvalidInputError } from '../../src/core/errors.js';
import { countryName, formatForDisplay, parsePhone, toE164 } from '../../src/core/phone.js';

describe('phone numbers: any common format parses to E.164', () => {
  it.each([
    ['(415) 555-2671', '+14155552671'],
    ['415.555.2671', '+14155552671'],
    ['+1 415 555 2671', '+14155552671'],
    ['1-415-555-2671', '+14155552671'],
    ['  4155552671  ', '+14155552671'],
    ['14155552671', '+14155552671'],
    ['+14155552671', '+14155552671'],
    ['tel:+1-415-555-2671', '+14155552671'],
    ['00 44 20 7946 0958', '+442079460958'],
    ['011 44 20 7946 0958', '+442079460958'],
    ['+442079460958', '+442079460958'],
  ])('reads %j as %s', (input, e164) => {
    expect(parsePhone(input).e164).toBe(e164);
    expect(toE164(input)).toBe(e164);
  });

  it('reads a Canadian number as Canada with the CA default too', async () => {
    expect(parsePhone('(416) 555-1234').country).toBe('CA');
    expect(parsePhone('416 555 1234', 'CA')).toMatchObject({ e164: '+14165551234', country: 'CA', kind: 'us-ca-geographic' });
  });
});

describe('phone numbers: classification (rule 2 destinations, rule 1 senders)', () => {
  it.each([
    ['+1 415 555 2671', 'us-ca-geographic', 'US'],
    ['+1 416 555 1234', 'us-ca-geographic', 'CA'],
    ['+1 800 555 1234', 'toll-free', 'US'],
    ['+1 833 222 3333', 'toll-free', 'US'],
    ['+1 844 555 1234', 'toll-free', 'US'],
    ['+1 855 555 1234', 'toll-free', 'US'],
    ['+1 866 555 1234', 'toll-free', 'US'],
    ['+1 877 555 1234', 'toll-free', 'US'],
    ['+1 888 555 1234', 'toll-free', 'US'],
    ['+1 900 555 1234', 'premium', 'US'],
    ['+44 800 123 4567', 'toll-free', 'GB'],
    ['+442079460958', 'international', 'GB'],
    ['+4930123456', 'international', 'DE'],
    ['+1 876 555 1234', 'international', 'JM'],
  ])('%s is %s in %s', (input, kind, country) => {
    expect(parsePhone(input)).toMatchObject({ kind, country, problem: null });
  });

  it.each(['12345', '828282', '12-345'])('%s is a short code with no E.164 form', (input) => {
    expect(parsePhone(input)).toMatchObject({ kind: 'short-code', e164: null });
  });

  it.each(['AMAZON', 'MyBank', 'Uber Eats', 'A'])('%s is an alphanumeric sender', (input) => {
    expect(parsePhone(input)).toMatchObject({ kind: 'alphanumeric', e164: null });
  });

  it.each(['', 'hello there friend', '1-800-FLOWERS', '+999 123', '+1 415 555 01', 'ABCDEFGHIJKL'])(
    '%j is unparsable with a problem',
    (input) => {
      const info = parsePhone(input);
      expect(info.kind).toBe('unparsable');
      expect(info.e164).toBeNull();
      expect(info.problem).toEqual(expect.any(String));
    },
  );

  it('keeps "ext" off the E.164 form', async () => {
    expect(parsePhone('415 555 2671 ext 5').e164).toBe('+14155552671');
  });
});

describe('phone numbers: NANP checks the library misses', () => {
  it('flags 555-0100..555-0199 as fictional but keeps the E.164 form', async () => {
    for (const line of ['0100', '0150', '0199']) {
      const info = parsePhone(`+1 415 555 ${line}`);
      expect(info.kind).toBe('us-ca-geographic');
      expect(info.e164).toBe(`+1415555${line}`);
      expect(info.problem).toMatch(/fictional/);
    }
    expect(toE164('(415) 555-0100')).toBe('+14155550100');
  });

  it('does not flag other 555 lines', async () => {
    expect(parsePhone('+1 415 555 0200').problem).toBeNull();
    expect(parsePhone('+1 415 555 0099').problem).toBeNull();
  });

  it('flags N11 exchanges (411, 911) as service codes', async () => {
    expect(parsePhone('+1 415 411 1234').problem).toMatch(/service code/);
    expect(parsePhone('+1 213 911 2345').problem).toMatch(/service code/);
  });

  it('refuses area codes and exchanges that start with 0 or 1', async () => {
    expect(parsePhone('+1 123 456 7890')).toMatchObject({ kind: 'unparsable', problem: expect.stringMatching(/area code/i) });
    expect(parsePhone('+1 212 011 2222')).toMatchObject({ kind: 'unparsable', problem: expect.stringMatching(/exchange/i) });
    expect(parsePhone('+1 911 222 3333').kind).toBe('unparsable');
  });
});

describe('toE164', () => {
  it('throws InvalidInputError naming the field for text that is not a number', async () => {
    expect(() => toE164('not a number', 'to')).toThrow(InvalidInputError);
    const err = catchError(() => toE164('AMAZON', 'to'));
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).field).toBe('to');
    expect(() => toE164('12345')).toThrow(/number/);
  });
});

describe('display helpers', () => {
  it('shows US/Canadian numbers in national format and others internationally', async () => {
    expect(formatForDisplay('+14155552671')).toBe('(415) 555-2671');
    expect(formatForDisplay('+442079460958')).toBe('+44 20 7946 0958');
    expect(formatForDisplay('AMAZON')).toBe('AMAZON');
  });

  it('names countries', async () => {
    expect(countryName('CA')).toBe('Canada');
    expect(countryName('GB')).toBe('United Kingdom');
    expect(countryName(null)).toBeNull();
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('phone numbers (properties)', () => {
  it('never throws, and any E.164 it gives parses back to itself', async () => {
    const phoneish = fc.stringMatching(/^[+0-9 ().A-Za-z-]{0,20}$/);
    fc.assert(
      fc.property(fc.oneof(fc.string(), phoneish), (s) => {
        const info = parsePhone(s);
        if (info.e164 !== null) {
          expect(info.e164).toMatch(/^\+[1-9]\d{6,14}$/);
          expect(parsePhone(info.e164).e164).toBe(info.e164);
          expect(toE164(info.e164)).toBe(info.e164);
        } else {
          expect(() => toE164(s)).toThrow(InvalidInputError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('reads every US number the same in national, dashed and E.164 form', async () => {
    const npa = fc.integer({ min: 200, max: 999 }).filter((n) => n % 100 !== 11);
    const nxx = fc.integer({ min: 200, max: 999 }).filter((n) => n % 100 !== 11);
    const line = fc.integer({ min: 0, max: 9999 });
    fc.assert(
      fc.property(npa, nxx, line, (a, b, c) => {
        const l = String(c).padStart(4, '0');
        const e164 = parsePhone(`+1${a}${b}${l}`).e164;
        expect(parsePhone(`(${a}) ${b}-${l}`).e164).toBe(e164);
        expect(parsePhone(`1-${a}-${b}-${l}`).e164).toBe(e164);
        expect(parsePhone(`${a}.${b}.${l}`).e164).toBe(e164);
      }),
      { numRuns: 300 },
    );
  });
});
