import { describe, expect, it } from 'vitest';

import { canAdvance, isFinalStatus } from '../../src/core/status.js';
import type { MessageStatus } from '../../src/core/types.js';

const ALL: MessageStatus[] = ['received', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'refused'];

describe('message status moves forward only', () => {
  it('moves along queued -> sending -> sent -> delivered', async () => {
    expect(canAdvance('queued', 'sending')).toBe(true);
    expect(canAdvance('sending', 'sent')).toBe(true);
    expect(canAdvance('sent', 'delivered')).toBe(true);
    expect(canAdvance('queued', 'delivered')).toBe(true);
    expect(canAdvance('sent', 'undelivered')).toBe(true);
    expect(canAdvance('sending', 'failed')).toBe(true);
    expect(canAdvance('queued', 'refused')).toBe(true);
  });

  it('never lets a late sent overwrite delivered', async () => {
    expect(canAdvance('delivered', 'sent')).toBe(false);
    expect(canAdvance('sent', 'sending')).toBe(false);
    expect(canAdvance('sending', 'queued')).toBe(false);
  });

  it('keeps the first final status (a late delivered after undelivered is a contradiction)', async () => {
    const finals: MessageStatus[] = ['delivered', 'undelivered', 'failed', 'refused'];
    for (const from of finals) {
      expect(isFinalStatus(from)).toBe(true);
      for (const to of ALL) expect(canAdvance(from, to)).toBe(false);
    }
  });

  it('treats the same status as no move', async () => {
    for (const s of ALL) expect(canAdvance(s, s)).toBe(false);
  });
});
