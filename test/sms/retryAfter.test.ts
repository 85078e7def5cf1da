import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../adapters/sms/shared/retryAfter.js';
import { safeEqual } from '../../adapters/sms/shared/safeEqual.js';

describe('Retry-After', () => {
  const now = new Date('2026-11-26T18:00:00Z');
  it('reads seconds and HTTP dates, and nothing else', () => {
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Thu, 26 Nov 2026 18:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Thu, 26 Nov 2026 17:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter('', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});

describe('constant-time comparison', () => {
  it('is true only for identical strings, whatever their lengths', () => {
    expect(safeEqual('Bearer abc', 'Bearer abc')).toBe(true);
    expect(safeEqual('Bearer abc', 'Bearer abd')).toBe(false);
    expect(safeEqual('Bearer abc', 'Bearer abc ')).toBe(false);
    expect(safeEqual('', 'x')).toBe(false);
  });
});
