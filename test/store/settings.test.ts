// Opt-outs, company policy, user policy and the audit log.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, type Policy } from '../../src/core/types.js';
import { createTempStore, type TempStore } from '../support/tempStore.js';
import { steppingClock } from './clock.js';

let temp: TempStore;
beforeEach(async () => {
  temp = await createTempStore({ clock: steppingClock() });
});
afterEach(() => temp.cleanup());

describe('opt-outs', () => {
  it('a contact who texted STOP is opted out of that number only, until START', async () => {
    const { optOuts } = temp.store;
    expect(await optOuts.isOptedOut('+12025550100', '+14155550123')).toBe(false);
    await optOuts.set('+12025550100', '+14155550123', true, 'STOP');
    expect(await optOuts.isOptedOut('+12025550100', '+14155550123')).toBe(true);
    expect(await optOuts.isOptedOut('+16135550100', '+14155550123')).toBe(false);
    await optOuts.set('+12025550100', '+14155550123', false, 'START');
    expect(await optOuts.isOptedOut('+12025550100', '+14155550123')).toBe(false);
    const row = (await temp.store.sql.get<{ keyword: string }>('SELECT keyword FROM opt_outs'))!;
    expect(row.keyword).toBe('START');
  });
});

describe('opt-out listing', () => {
  const A = '+12025550100';
  const B = '+16135550100';

  it('lists the contacts opted out now, per number, ordered by contact, with the keyword and since when; START takes one off the list', async () => {
    const { optOuts } = temp.store;
    await optOuts.set(A, '+14155550123', true, 'STOP');
    await optOuts.set(A, '+14155550101', true, 'UNSUBSCRIBE');
    await optOuts.set(B, '+14155550123', true, 'STOP');
    await optOuts.set(A, '+14155550199', true, 'STOP');
    await optOuts.set(A, '+14155550199', false, 'START');
    const forA = await optOuts.listOptedOut({ number: A, limit: 10 });
    expect(forA.map((o) => [o.contact, o.keyword])).toEqual([
      ['+14155550101', 'UNSUBSCRIBE'],
      ['+14155550123', 'STOP'],
    ]);
    expect(forA.every((o) => o.number === A && !Number.isNaN(Date.parse(o.since)))).toBe(true);
    expect((await optOuts.listOptedOut({ limit: 10 })).map((o) => [o.number, o.contact])).toEqual([
      [A, '+14155550101'],
      [A, '+14155550123'],
      [B, '+14155550123'],
    ]);
  });

  it('pages after the last one of the previous page, across numbers, without repeats or gaps', async () => {
    const { optOuts } = temp.store;
    for (const n of [A, B]) for (let i = 0; i < 3; i++) await optOuts.set(n, `+1415555010${i}`, true, 'STOP');
    const seen: string[] = [];
    let after: { number: string; contact: string } | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await optOuts.listOptedOut({ limit: 4, after });
      seen.push(...page.map((o) => `${o.number}/${o.contact}`));
      if (page.length < 4) break;
      const last = page[page.length - 1]!;
      after = { number: last.number, contact: last.contact };
    }
    expect(seen).toEqual([A, B].flatMap((n) => [0, 1, 2].map((i) => `${n}/+1415555010${i}`)));
  });
});

describe('policy', () => {
  it('is the default policy until an admin changes it', async () => {
    expect(await temp.store.policy.get()).toEqual(DEFAULT_POLICY);
  });

  it('an update changes only the given fields and merges mms and throughput one level deep', async () => {
    const updated = await temp.store.policy.update({
      smsEnabled: false,
      mms: { maxFiles: 3 } as Policy['mms'],
      throughput: { tollFree: 10 } as Policy['throughput'],
    });
    expect(updated).toEqual({
      ...DEFAULT_POLICY,
      smsEnabled: false,
      mms: { ...DEFAULT_POLICY.mms, maxFiles: 3 },
      throughput: { local: 1, tollFree: 10 },
    });
    const later = await temp.store.policy.update({ maxSegments: 5, mms: { maxTotalBytes: 1000 } as Policy['mms'] });
    expect(later.mms).toEqual({ ...DEFAULT_POLICY.mms, maxFiles: 3, maxTotalBytes: 1000 });
    expect(later.smsEnabled).toBe(false);
    expect(await temp.store.policy.get()).toEqual(later);
  });

  it('sets and clears the fallback channel; undefined fields in a patch change nothing', async () => {
    await temp.store.policy.update({ fallback: { platform: 'slack', channel: 'CFALL' } });
    expect((await temp.store.policy.get()).fallback).toEqual({ platform: 'slack', channel: 'CFALL' });
    await temp.store.policy.update({ smsEnabled: undefined, fallback: null });
    expect(await temp.store.policy.get()).toEqual(DEFAULT_POLICY);
  });

  it('a reader cannot change the policy it was handed, nor the code defaults (it is frozen)', async () => {
    const p = await temp.store.policy.get();
    expect(() => p.mms.allowedTypes.push('x/evil')).toThrow(TypeError);
    expect(() => Object.assign(p, { smsEnabled: false })).toThrow(TypeError);
    expect((await temp.store.policy.get()).mms.allowedTypes).not.toContain('x/evil');
    expect((await temp.store.policy.get()).smsEnabled).toBe(true);
    expect(DEFAULT_POLICY.mms.allowedTypes).not.toContain('x/evil');
  });

  it('a policy change made by another connection shows at the next read', async () => {
    expect((await temp.store.policy.get()).maxSegments).toBe(DEFAULT_POLICY.maxSegments);
    const other = await temp.openAnother();
    await other.sql.run("INSERT INTO policy (id, document, updated_at) VALUES (1, '{\"maxSegments\":3}', 'now')");
    expect((await temp.store.policy.get()).maxSegments).toBe(3);
  });
});

describe('users', () => {
  it('a user without a row has no policy; upsert starts from may-send, not admin', async () => {
    expect(await temp.store.users.get('slack', 'U1')).toBeNull();
    expect(await temp.store.users.upsert('slack', 'U1', {})).toMatchObject({ smsEnabled: true, admin: false });
  });

  it('upsert changes only the given fields', async () => {
    const { users } = temp.store;
    await users.upsert('slack', 'U1', { admin: true });
    const off = await users.upsert('slack', 'U1', { smsEnabled: false });
    expect(off).toMatchObject({ platform: 'slack', userId: 'U1', smsEnabled: false, admin: true });
    expect(await users.get('slack', 'U1')).toEqual(off);
    expect(await users.get('teams', 'U1')).toBeNull();
  });

  it('lists every user with a policy', async () => {
    await temp.store.users.upsert('teams', 'aad-1', { smsEnabled: false });
    await temp.store.users.upsert('slack', 'U1', { admin: true });
    expect((await temp.store.users.list()).map((u) => `${u.platform}/${u.userId}`)).toEqual(['slack/U1', 'teams/aad-1']);
  });
});

describe('users paging', () => {
  it('pages users ordered by platform then user id, after the last one seen', async () => {
    const { users } = temp.store;
    for (const [p, u] of [['teams', 'a'], ['slack', 'U2'], ['slack', 'U1'], ['teams', 'b'], ['slack', 'U3']] as const) await users.upsert(p, u, { smsEnabled: false });
    const first = await users.page({ limit: 2 });
    expect(first.map((u) => `${u.platform}/${u.userId}`)).toEqual(['slack/U1', 'slack/U2']);
    const second = await users.page({ limit: 2, after: { platform: 'slack', userId: 'U2' } });
    expect(second.map((u) => `${u.platform}/${u.userId}`)).toEqual(['slack/U3', 'teams/a']);
    const third = await users.page({ limit: 2, after: { platform: 'teams', userId: 'a' } });
    expect(third).toEqual([expect.objectContaining({ platform: 'teams', userId: 'b', smsEnabled: false, admin: false })]);
  });
});

describe('audit log', () => {
  it('records admin changes with before and after, newest first', async () => {
    const { audit } = temp.store;
    const first = await audit.record({ actor: 'admin-api', action: 'number.create', target: '+12025550100', before: null, after: { type: 'local' } });
    const second = await audit.record({ actor: 'slack:U1', action: 'mapping.remove', target: 'm1', before: { channel: 'C1' }, after: null });
    expect(first.id).toBeLessThan(second.id);
    expect(first.at < second.at).toBe(true);
    expect(await audit.list()).toEqual([second, first]);
    expect(await audit.list({ limit: 1 })).toEqual([second]);
    expect(first).toMatchObject({ actor: 'admin-api', before: null, after: { type: 'local' } });
  });
});
