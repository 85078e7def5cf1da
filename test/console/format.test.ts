// How the console writes numbers and times for a person (console/format.ts, run here in Node).
import { describe, expect, it } from 'vitest';
import { duration, phone, relative } from '../../console/format.js';

describe('console formatting', () => {
  it('writes North American numbers as (415) 555-2671 and others in international form', () => {
    expect(phone('+14155552671')).toBe('(415) 555-2671');
    expect(phone('+18005550199')).toBe('(800) 555-0199');
    expect(phone('+442071838750')).toBe('+44 20 7183 8750');
    // A sender id that is not a number stays as received.
    expect(phone('ACME')).toBe('ACME');
    expect(phone(null)).toBe('');
  });

  it('says times relative to now, rounding to the unit a person would use', () => {
    const now = Date.parse('2026-12-06T12:00:00Z');
    const ago = (s: number) => new Date(now - s * 1000).toISOString();
    expect(relative(ago(10), now)).toBe('just now');
    expect(relative(ago(120), now)).toMatch(/^2 min\.? ago$/);
    expect(relative(ago(3 * 3600), now)).toMatch(/^3 hr\.? ago$/);
    expect(relative(ago(86_400), now)).toBe('yesterday');
    expect(relative(ago(30 * 86_400), now)).toMatch(/2026/);
  });

  it('writes queue ages in the largest sensible unit', () => {
    expect(duration(null)).toBe('—');
    expect(duration(42)).toBe('42 s');
    expect(duration(600)).toBe('10 min');
    expect(duration(5400)).toBe('1.5 h');
  });
});
