// parsePhone keeps a bounded cache of its results (it is hot on the send path). A cached answer
// must be indistinguishable from a fresh one, and no caller may change what the next one reads.
import { describe, expect, it } from 'vitest';
import { parsePhone, parsePhoneCacheSize } from '../../src/core/phone.js';

describe('parsePhone cache', () => {
  it('answers a repeated number exactly as the first time, each caller with its own copy', async () => {
    const first = parsePhone('(415) 555-2671');
    const again = parsePhone('(415) 555-2671');
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
    expect(again.e164).toBe('+14155552671');
    expect(Object.isFrozen(again)).toBe(false);
  });

  it("a caller changing its result does not change anyone else's", async () => {
    const mine = parsePhone('+1 212 555 3456');
    mine.kind = 'premium';
    mine.e164 = '+19005550000';
    const theirs = parsePhone('+1 212 555 3456');
    expect(theirs.kind).toBe('us-ca-geographic');
    expect(theirs.e164).toBe('+12125553456');
  });

  it('keeps the exact input and the default country apart', async () => {
    expect(parsePhone(' 4155552671 ').input).toBe(' 4155552671 ');
    expect(parsePhone('4155552671').input).toBe('4155552671');
    // 604 is a Canadian area code: the default country does not change the answer here, but the
    // key does include it, so a US and a CA parse are each computed once.
    expect(parsePhone('6045550123', 'CA')).toEqual(parsePhone('6045550123', 'US'));
  });

  it('stays bounded whatever numbers it is fed', async () => {
    for (let i = 0; i < 6000; i++) parsePhone(`+1415${String(2000000 + i)}`);
    expect(parsePhoneCacheSize()).toBeLessThanOrEqual(4096);
    // The most recent ones are still answered correctly after eviction of the oldest.
    expect(parsePhone('+14152000000').e164).toBe('+14152000000');
  });
});
