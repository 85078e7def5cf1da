// Console sessions and sign-in codes in the store (migration 010), on SQLite and, with
// TEST_STORE=postgres, on PostgreSQL: secrets stored only as digests, idle and absolute expiry,
// codes valid once and for their lifetime only, shared by every store on the database.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/core/ports.js';
import { createTempStore, type TempStore } from '../support/tempStore.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** A clock the test moves by hand. */
function manualClock(start = '2026-01-01T00:00:00.000Z'): Clock & { advance(ms: number): void } {
  let t = Date.parse(start);
  return { now: () => new Date(t), advance: (ms) => void (t += ms) };
}

let temp: TempStore;
let clock: ReturnType<typeof manualClock>;
beforeEach(async () => {
  clock = manualClock();
  temp = await createTempStore({ clock });
});
afterEach(() => temp.cleanup());

const LIMITS = { idleMs: 12 * HOUR, maxMs: 7 * 24 * HOUR };
const USE = { idleMs: LIMITS.idleMs, touchAfterMs: MINUTE };

describe('console sessions', () => {
  it('stores a digest of the secret, never the secret, and finds the session by the secret', async () => {
    const s = await temp.store.consoleSessions.create({ secret: 'cookie-secret-value', name: 'Ana', ...LIMITS });
    expect(s).toMatchObject({ name: 'Ana', createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-01T12:00:00.000Z' });
    const rows = await temp.store.sql.all<Record<string, string>>('SELECT * FROM console_sessions');
    expect(JSON.stringify(rows)).not.toContain('cookie-secret-value');
    expect(await temp.store.consoleSessions.use('cookie-secret-value', USE)).toMatchObject({ id: s.id, name: 'Ana' });
    expect(await temp.store.consoleSessions.use('another-value', USE)).toBeNull();
  });

  it('ends after the idle limit without use, is extended by use, and ends at the absolute limit anyway', async () => {
    const { consoleSessions } = temp.store;
    await consoleSessions.create({ secret: 'idle', name: 'A', ...LIMITS });
    clock.advance(12 * HOUR);
    expect(await consoleSessions.use('idle', USE)).toBeNull();

    await consoleSessions.create({ secret: 'busy', name: 'B', ...LIMITS });
    // Used every 11 hours: alive for the whole week, then over whatever its idle limit says.
    for (let h = 11; h < 7 * 24; h += 11) {
      clock.advance(11 * HOUR);
      const s = await consoleSessions.use('busy', USE);
      expect(s, `after ${h} h`).not.toBeNull();
    }
    clock.advance(11 * HOUR);
    expect(await consoleSessions.use('busy', USE)).toBeNull();
  });

  it('is ended by sign-out, once', async () => {
    const { consoleSessions } = temp.store;
    await consoleSessions.create({ secret: 'bye', name: 'A', ...LIMITS });
    expect(await consoleSessions.end('bye')).toBe(true);
    expect(await consoleSessions.use('bye', USE)).toBeNull();
    expect(await consoleSessions.end('bye')).toBe(false);
  });

  it('is known to another store on the same database (another instance) and survives a reopen', async () => {
    const s = await temp.store.consoleSessions.create({ secret: 'shared', name: 'Bo', ...LIMITS });
    const other = await temp.openAnother();
    expect(await other.consoleSessions.use('shared', USE)).toMatchObject({ id: s.id, name: 'Bo' });
    const reopened = await temp.reopen();
    expect(await reopened.consoleSessions.use('shared', USE)).toMatchObject({ id: s.id });
  });
});

describe('sign-in codes', () => {
  it('is accepted once', async () => {
    const { consoleSessions } = temp.store;
    expect(await consoleSessions.addCode('code-1', 10 * MINUTE)).toBe('2026-01-01T00:10:00.000Z');
    expect(await consoleSessions.consumeCode('code-2')).toBe(false);
    expect(await consoleSessions.consumeCode('code-1')).toBe(true);
    expect(await consoleSessions.consumeCode('code-1')).toBe(false);
    const rows = await temp.store.sql.all('SELECT * FROM console_sign_in_codes');
    expect(JSON.stringify(rows)).not.toContain('code-1');
  });

  it('is refused once its lifetime is over', async () => {
    await temp.store.consoleSessions.addCode('late', 10 * MINUTE);
    clock.advance(10 * MINUTE);
    expect(await temp.store.consoleSessions.consumeCode('late')).toBe(false);
  });

  it('two stores presenting one code at once: exactly one gets in', async () => {
    await temp.store.consoleSessions.addCode('race', 10 * MINUTE);
    const other = await temp.openAnother();
    const results = await Promise.all([temp.store.consoleSessions.consumeCode('race'), other.consoleSessions.consumeCode('race')]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});
