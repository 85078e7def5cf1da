import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { countSegments, gsm7Cost, isGsm7, nonGsm7Characters, splitSegments } from '../../src/core/segments.js';

const digits = (n: number) => '7'.repeat(n);
const EMOJI = '\u{1F600}'; // 😀, a surrogate pair

describe('rule 4: length (segment fixtures)', () => {
  it.each([
    ['160 digits', digits(160), 'GSM-7', 160, 1],
    ['161 digits', digits(161), 'GSM-7', 161, 2],
    ['307 digits', digits(307), 'GSM-7', 307, 3],
    ['306 digits', digits(306), 'GSM-7', 306, 2],
    ['one € + 158 digits', '€' + digits(158), 'GSM-7', 160, 1],
    ['one € + 159 digits', '€' + digits(159), 'GSM-7', 161, 2],
    ['one emoji + 68 digits', EMOJI + digits(68), 'UCS-2', 70, 1],
    ['one emoji + 69 digits', EMOJI + digits(69), 'UCS-2', 71, 2],
    ['70 x Á', 'Á'.repeat(70), 'UCS-2', 70, 1],
    ['71 x Á', 'Á'.repeat(71), 'UCS-2', 71, 2],
    ['134 x Á', 'Á'.repeat(134), 'UCS-2', 134, 2],
    ['135 x Á', 'Á'.repeat(135), 'UCS-2', 135, 3],
  ] as const)('%s -> %s, %i units, %i segment(s)', (_name, text, encoding, units, segments) => {
    expect(countSegments(text)).toMatchObject({ encoding, units, segments });
  });

  it('uses 160/70 per segment for a single SMS and 153/67 once concatenated', async () => {
    expect(countSegments(digits(10)).perSegment).toBe(160);
    expect(countSegments(digits(200)).perSegment).toBe(153);
    expect(countSegments('Á').perSegment).toBe(70);
    expect(countSegments('Á'.repeat(100)).perSegment).toBe(67);
  });

  it('counts every GSM-7 extension character (^ { } \\ [ ~ ] | € form feed) as two', async () => {
    for (const ch of ['^', '{', '}', '\\', '[', '~', ']', '|', '€', '\f']) {
      expect(gsm7Cost(ch)).toBe(2);
      expect(countSegments(ch + digits(10))).toMatchObject({ encoding: 'GSM-7', units: 12 });
    }
  });

  it('keeps the GSM-7 basic set (accents like é, Ñ, Greek capitals) at one unit each', async () => {
    expect(countSegments('@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà')).toMatchObject({ encoding: 'GSM-7', units: 42, segments: 1 });
  });

  it('makes the whole message UCS-2 when one character is outside GSM-7', async () => {
    const text = digits(100) + EMOJI;
    expect(countSegments(text)).toMatchObject({ encoding: 'UCS-2', units: 102, segments: 2 });
    expect(isGsm7(text)).toBe(false);
    expect(nonGsm7Characters('café 😀 ç')).toEqual([EMOJI, 'ç']);
  });

  it('moves an escape pair that would be split to the next segment (152 digits + € + 152 digits -> 3, not 2)', async () => {
    const text = digits(152) + '€' + digits(152);
    expect(countSegments(text)).toMatchObject({ encoding: 'GSM-7', units: 306, segments: 3 });
    const { parts } = splitSegments(text);
    expect(parts[0]).toBe(digits(152));
    expect(parts[1]?.startsWith('€')).toBe(true);
  });

  it('keeps an escape pair that fits exactly at the end of a segment (151 digits + € + 153 digits -> 2)', async () => {
    expect(countSegments(digits(151) + '€' + digits(153))).toMatchObject({ units: 306, segments: 2 });
  });

  it('moves a surrogate pair that would be split to the next segment (66 Á + emoji + 66 Á -> 3, not 2)', async () => {
    const text = 'Á'.repeat(66) + EMOJI + 'Á'.repeat(66);
    expect(countSegments(text)).toMatchObject({ encoding: 'UCS-2', units: 134, segments: 3 });
    expect(splitSegments(text).parts[1]?.startsWith(EMOJI)).toBe(true);
  });

  it('counts empty text as 0 units and 0 segments (a picture-only MMS has no text part)', async () => {
    expect(countSegments('')).toEqual({ encoding: 'GSM-7', units: 0, segments: 0, perSegment: 160 });
  });
});

describe('rule 4: length (properties)', () => {
  // Mix of plain, extension, accented, non-GSM BMP and astral characters, plus lone surrogates.
  const char = fc.constantFrom('a', '7', ' ', '€', '{', '^', 'é', 'Á', 'ç', 'ж', EMOJI, '\u{1F468}\u200D\u{1F469}', '\uD800', '\n');
  const text = fc.array(char, { maxLength: 400 }).map((cs) => cs.join(''));

  it('never splits a surrogate pair or an escape pair, and every part fits its segment', async () => {
    fc.assert(
      fc.property(text, (t) => {
        const { info, parts } = splitSegments(t);
        expect(parts.join('')).toBe(t);
        expect(parts.length).toBe(info.segments);
        const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
        const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;
        for (let i = 0; i + 1 < parts.length; i++) {
          const left = parts[i] as string;
          const right = parts[i + 1] as string;
          // No part ends with the first half of a pair whose second half opens the next part.
          expect(isHigh(left.charCodeAt(left.length - 1)) && isLow(right.charCodeAt(0))).toBe(false);
        }
        for (const part of parts) {
          // Each part's cost fits the per-segment size: escape pairs whole, surrogates whole.
          const cost = Array.from(part).reduce((n, c) => n + (info.encoding === 'GSM-7' ? (gsm7Cost(c) ?? 99) : c.length), 0);
          expect(cost).toBeLessThanOrEqual(info.perSegment);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never counts fewer units or segments after appending characters', async () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        const before = countSegments(a);
        const after = countSegments(a + b);
        if (before.encoding === after.encoding) {
          expect(after.units).toBeGreaterThanOrEqual(before.units);
        } else {
          // GSM-7 -> UCS-2 can only add cost: every GSM-7 character is at least one UTF-16 unit
          // but extension chars are one unit in UCS-2, so compare character counts instead.
          expect(after.encoding).toBe('UCS-2');
          expect(after.units).toBeGreaterThanOrEqual(a.length);
        }
        expect(after.segments).toBeGreaterThanOrEqual(before.segments);
      }),
      { numRuns: 500 },
    );
  });
});
