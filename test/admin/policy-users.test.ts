import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../src/core/types.js';
import type { Policy } from '../../src/core/types.js';
import { json, startTestBridge } from '../http/helpers.js';
import type { TestBridge } from '../http/helpers.js';

let bridge: TestBridge;
beforeEach(async () => {
  bridge = await startTestBridge();
});
afterEach(async () => {
  await bridge.cleanup();
});

const put = (body: unknown) => json<Policy>(bridge.call('PUT', '/admin/api/policy', { body }));

describe('admin API: company policy', () => {
  it('starts at the documented defaults', async () => {
    expect(await json(bridge.call('GET', '/admin/api/policy'))).toEqual({ status: 200, body: DEFAULT_POLICY });
  });

  it('turns SMS off company-wide with a partial update, leaving the rest alone', async () => {
    const res = await put({ smsEnabled: false });
    expect(res).toEqual({ status: 200, body: { ...DEFAULT_POLICY, smsEnabled: false } });
    expect((await json(bridge.call('GET', '/admin/api/policy'))).body).toEqual({ ...DEFAULT_POLICY, smsEnabled: false });
  });

  it('merges nested mms and throughput settings field by field', async () => {
    const res = await put({ mms: { maxFiles: 3 }, throughput: { tollFree: 5 } });
    expect(res.body.mms).toEqual({ ...DEFAULT_POLICY.mms, maxFiles: 3 });
    expect(res.body.throughput).toEqual({ local: 1, tollFree: 5 });
    // Stored: the fields given, nothing else (the rest keeps following the defaults).
    const stored = bridge.ctx.store.db.prepare('SELECT document FROM policy WHERE id = 1').get() as { document: string };
    expect(JSON.parse(stored.document)).toEqual({ mms: { maxFiles: 3 }, throughput: { tollFree: 5 } });
  });

  it('sets and clears the fallback channel for unrouted messages', async () => {
    expect((await put({ fallback: { platform: 'slack', channel: 'C999' } })).body.fallback).toEqual({ platform: 'slack', channel: 'C999' });
    expect((await put({ fallback: null })).body.fallback).toBeNull();
  });

  it.each([
    [{ smsEnabled: 'no' }, 'smsEnabled'],
    [{ maxSegments: 0 }, 'maxSegments'],
    [{ maxSegments: 2.5 }, 'maxSegments'],
    [{ internalNotePrefix: '' }, 'internalNotePrefix'],
    [{ mms: { maxFiles: -1 } }, 'mms.maxFiles'],
    [{ mms: { allowedTypes: ['jpeg'] } }, 'mms.allowedTypes.0'],
    [{ throughput: { local: 0 } }, 'throughput.local'],
    [{ fallback: { platform: 'irc', channel: '#x' } }, 'fallback.platform'],
    [{ fallback: { platform: 'slack', channel: '#support' } }, 'fallback.channel'],
  ])('refuses an invalid value with a 422 naming the field: %j', async (body, field) => {
    expect(await json(bridge.call('PUT', '/admin/api/policy', { body }))).toMatchObject({ status: 422, body: { error: { code: 'invalid_input', field } } });
    expect((await json(bridge.call('GET', '/admin/api/policy'))).body).toEqual(DEFAULT_POLICY);
  });

  it('refuses an empty or unknown update with a 422', async () => {
    expect((await json(bridge.call('PUT', '/admin/api/policy', { body: {} }))).status).toBe(422);
    expect((await json(bridge.call('PUT', '/admin/api/policy', { body: { smsEnable: false } }))).status).toBe(422);
  });

  describe('two admins editing at once (ETag / If-Match)', () => {
    const read = async () => {
      const res = await bridge.call('GET', '/admin/api/policy');
      return { tag: res.headers.get('etag') as string, policy: (await res.json()) as Policy };
    };
    const putIfMatch = (tag: string, body: unknown) => json<Policy>(bridge.call('PUT', '/admin/api/policy', { body, headers: { 'if-match': tag } }));

    it('the policy comes with a strong ETag that changes when the policy does, and a save answers the new one', async () => {
      const first = await read();
      expect(first.tag).toMatch(/^"[A-Za-z0-9_-]+"$/);
      expect((await read()).tag).toBe(first.tag);
      const saved = await bridge.call('PUT', '/admin/api/policy', { body: { maxSegments: 3 }, headers: { 'if-match': first.tag } });
      expect(saved.status).toBe(200);
      const after = await read();
      expect(after.tag).not.toBe(first.tag);
      expect(saved.headers.get('etag')).toBe(after.tag);
    });

    it("a save based on a version another admin has since changed is refused with 412 and changes nothing", async () => {
      const mine = await read();
      const theirs = await read();
      expect((await putIfMatch(theirs.tag, { smsEnabled: false })).status).toBe(200);
      const stale = await putIfMatch(mine.tag, { ...mine.policy, maxSegments: 4 });
      expect(stale).toMatchObject({ status: 412, body: { error: { code: 'precondition_failed' } } });
      expect((stale.body as unknown as { error: { message: string } }).error.message).toMatch(/changed since you read it.*nothing was saved/);
      expect((await read()).policy).toEqual({ ...DEFAULT_POLICY, smsEnabled: false });
      const audit = await json<unknown[]>(bridge.call('GET', '/admin/api/audit'));
      expect(audit.body).toHaveLength(1);
    });

    it('a weak or unknown tag never matches; "*" and no If-Match at all are not checked', async () => {
      const { tag } = await read();
      expect((await putIfMatch(`W/${tag}`, { maxSegments: 5 })).status).toBe(412);
      expect((await putIfMatch('"nope"', { maxSegments: 5 })).status).toBe(412);
      expect((await putIfMatch(`"nope", ${tag}`, { maxSegments: 5 })).status).toBe(200);
      expect((await putIfMatch('*', { maxSegments: 6 })).status).toBe(200);
      expect((await put({ maxSegments: 7 })).status).toBe(200);
      expect((await read()).policy.maxSegments).toBe(7);
    });
  });

  it('policy changes are audited with before and after', async () => {
    await put({ smsEnabled: false });
    const audit = await json<{ action: string; before: Policy; after: Policy }[]>(bridge.call('GET', '/admin/api/audit'));
    expect(audit.body).toHaveLength(1);
    expect(audit.body[0]).toMatchObject({ action: 'policy.update', before: { smsEnabled: true }, after: { smsEnabled: false } });
  });
});

describe('admin API: per-user policy', () => {
  it('turns SMS off for one Slack user and marks another Teams user admin', async () => {
    const off = await json(bridge.call('PUT', '/admin/api/users/slack/U123', { body: { smsEnabled: false } }));
    expect(off).toMatchObject({ status: 200, body: { platform: 'slack', userId: 'U123', smsEnabled: false, admin: false } });
    const admin = await json(bridge.call('PUT', `/admin/api/users/teams/${encodeURIComponent('29:1abc/def')}`, { body: { admin: true } }));
    expect(admin).toMatchObject({ status: 200, body: { platform: 'teams', userId: '29:1abc/def', smsEnabled: true, admin: true } });
    // partial: admin stays as it was
    const back = await json(bridge.call('PUT', '/admin/api/users/slack/U123', { body: { smsEnabled: true } }));
    expect(back.body).toMatchObject({ smsEnabled: true, admin: false });
    expect((await json<unknown[]>(bridge.call('GET', '/admin/api/users'))).body).toHaveLength(2);
    expect((await json(bridge.call('GET', '/admin/api/users/slack/U123'))).body).toMatchObject({ smsEnabled: true });
    expect((await json(bridge.call('GET', '/admin/api/users/slack/U999'))).status).toBe(404);
  });

  it('validates platform and fields', async () => {
    expect(await json(bridge.call('PUT', '/admin/api/users/irc/U1', { body: { admin: true } }))).toMatchObject({ status: 422, body: { error: { field: 'platform' } } });
    expect(await json(bridge.call('PUT', '/admin/api/users/slack/U1', { body: { admin: 'yes' } }))).toMatchObject({ status: 422, body: { error: { field: 'admin' } } });
    expect((await json(bridge.call('PUT', '/admin/api/users/slack/U1', { body: {} }))).status).toBe(422);
    expect((await json(bridge.call('PUT', '/admin/api/users/slack/U1', { raw: 'nope' }))).status).toBe(400);
  });

  it('user changes are audited', async () => {
    await bridge.call('PUT', '/admin/api/users/slack/U123', { body: { smsEnabled: false } });
    const audit = await json<{ action: string; target: string; before: unknown; after: unknown }[]>(bridge.call('GET', '/admin/api/audit'));
    expect(audit.body[0]).toMatchObject({ action: 'user.update', target: 'slack:U123', before: null, after: { smsEnabled: false } });
  });
});
