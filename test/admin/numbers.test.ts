import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { json, PROVIDERS_ON, startTestBridge } from '../http/helpers.js';
import type { TestBridge } from '../http/helpers.js';

interface NumberBody {
  number: string;
  e164: string;
  provider: string;
  type: string;
  status: string;
  country: string | null;
  smsCapable: boolean;
  reasons: { code: string; reason: string }[];
}

let bridge: TestBridge;
beforeEach(async () => {
  bridge = await startTestBridge(PROVIDERS_ON);
});
afterEach(async () => {
  await bridge.cleanup();
});

const post = (body: unknown) => json<NumberBody>(bridge.call('POST', '/admin/api/numbers', { body }));
const codes = (b: NumberBody) => b.reasons.map((r) => r.code);

describe('admin API: provisioned numbers', () => {
  it('a local US number typed in any format is stored in E.164 and is SMS-capable', async () => {
    const res = await post({ number: '(415) 555-2671', provider: 'twilio' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ number: '+14155552671', e164: '+14155552671', provider: 'twilio', type: 'local', status: 'active', country: 'US', smsCapable: true, reasons: [] });
    const list = await json<NumberBody[]>(bridge.call('GET', '/admin/api/numbers'));
    expect(list.body.map((n) => n.number)).toEqual(['+14155552671']);
  });

  it('a number whose SMS provider is not set up on this bridge is listed as not SMS-capable, with the reason', async () => {
    const bare = await startTestBridge(); // no Twilio or 8x8 credentials
    try {
      const res = await json<NumberBody>(bare.call('POST', '/admin/api/numbers', { body: { number: '+1 415 555 2671', provider: 'twilio' } }));
      expect(res.status).toBe(201); // kept: the admin may be setting the provider up next
      expect(res.body).toMatchObject({ smsCapable: false, reasons: [{ code: 'sender_provider_not_configured' }] });
      expect(res.body.reasons[0]?.reason).toMatch(/"twilio", which is not set up on this bridge/);
      const local = await json<NumberBody>(bare.call('POST', '/admin/api/numbers', { body: { number: '+1 415 555 2672', provider: 'local' } }));
      expect(local.body).toMatchObject({ smsCapable: true, reasons: [] });
    } finally {
      await bare.cleanup();
    }
  });

  it('a Canadian local number is SMS-capable', async () => {
    const res = await post({ number: '604-555-2671', provider: '8x8' });
    expect(res.body).toMatchObject({ number: '+16045552671', country: 'CA', smsCapable: true });
  });

  it('a toll-free number is recognised as toll-free and is not SMS-capable by default, with the reason', async () => {
    const res = await post({ number: '1-888-555-2671', provider: 'twilio' });
    expect(res.status).toBe(201);
    expect(res.body.type).toBe('toll-free');
    expect(res.body.smsCapable).toBe(false);
    expect(codes(res.body)).toEqual(['sender_toll_free']);
    expect(res.body.reasons[0]?.reason).toMatch(/toll-free/);
  });

  it('a virtual number is not SMS-capable, with the reason', async () => {
    const res = await post({ number: '+1 646 555 3890', provider: 'local', type: 'virtual' });
    expect(res.body).toMatchObject({ type: 'virtual', smsCapable: false });
    expect(codes(res.body)).toEqual(['sender_virtual']);
  });

  it('a number still porting is not SMS-capable until the port completes (PATCH status active)', async () => {
    const res = await post({ number: '+1 646 555 3890', provider: 'twilio', status: 'porting' });
    expect(res.body.smsCapable).toBe(false);
    expect(codes(res.body)).toEqual(['sender_porting']);
    const patched = await json<NumberBody>(bridge.call('PATCH', `/admin/api/numbers/${encodeURIComponent('+16465553890')}`, { body: { status: 'active' } }));
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ status: 'active', smsCapable: true, reasons: [] });
  });

  it('a number outside the US and Canada is not SMS-capable', async () => {
    const res = await post({ number: '+44 20 7946 0958', provider: 'twilio' });
    expect(res.body).toMatchObject({ number: '+442079460958', country: 'GB', smsCapable: false });
    expect(codes(res.body)).toEqual(['sender_outside_us_ca']);
  });

  it('every reason is given when several apply', async () => {
    const res = await post({ number: '+44 20 7946 0958', provider: 'twilio', type: 'virtual', status: 'porting' });
    expect(codes(res.body).sort()).toEqual(['sender_outside_us_ca', 'sender_porting', 'sender_virtual']);
  });

  it('a toll-free number becomes SMS-capable when the policy allows toll-free SMS', async () => {
    await post({ number: '+1 888 555 2671', provider: 'twilio' });
    await bridge.call('PUT', '/admin/api/policy', { body: { tollFreeSmsCapable: true } });
    const res = await json<NumberBody>(bridge.call('GET', '/admin/api/numbers/%2B18885552671'));
    expect(res.body).toMatchObject({ smsCapable: true, reasons: [] });
  });

  it('a number that does not parse is a 400 naming the field', async () => {
    const res = await json(bridge.call('POST', '/admin/api/numbers', { body: { number: 'not a number!', provider: 'twilio' } }));
    expect(res).toMatchObject({ status: 400, body: { error: { code: 'invalid_input', field: 'number' } } });
    expect((await json(bridge.call('POST', '/admin/api/numbers', { body: { number: '12', provider: 'twilio' } }))).status).toBe(400);
  });

  it('a second POST of the same number (in another format) is a 409', async () => {
    expect((await post({ number: '+14155552671', provider: 'twilio' })).status).toBe(201);
    const dup = await json(bridge.call('POST', '/admin/api/numbers', { body: { number: '415.555.2671', provider: '8x8' } }));
    expect(dup).toMatchObject({ status: 409, body: { error: { code: 'conflict' } } });
  });

  it.each([
    [{ provider: 'twilio' }, 'number'],
    [{ number: 4155552671, provider: 'twilio' }, 'number'],
    [{ number: '+14155552671' }, 'provider'],
    [{ number: '+14155552671', provider: 'vonage' }, 'provider'],
    [{ number: '+14155552671', provider: 'twilio', type: 'mobile' }, 'type'],
    [{ number: '+14155552671', provider: 'twilio', status: 'gone' }, 'status'],
    [{ number: '+14155552671', provider: 'twilio', segmentsPerSecond: 0 }, 'segmentsPerSecond'],
    [{ number: '+14155552671', provider: 'twilio', type: 'toll-free' }, 'type'],
    [{ number: '+18885552671', provider: 'twilio', type: 'local' }, 'type'],
  ])('an invalid field is a 422 naming it: %j', async (body, field) => {
    const res = await json<{ error: { code: string; field: string; message: string } }>(bridge.call('POST', '/admin/api/numbers', { body }));
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'invalid_input', field });
    expect(res.body.error.message.startsWith(`${field}:`)).toBe(true);
  });

  it('an unknown field is a 422 (typos never pass silently)', async () => {
    const res = await json(bridge.call('POST', '/admin/api/numbers', { body: { number: '+14155552671', provider: 'twilio', staus: 'porting' } }));
    expect(res).toMatchObject({ status: 422, body: { error: { message: 'unknown field(s) staus', field: 'staus' } } });
  });

  it('malformed JSON is a 400, a non-object body a 422, a non-JSON body a 400', async () => {
    expect(await json(bridge.call('POST', '/admin/api/numbers', { raw: '{"number": ' }))).toMatchObject({ status: 400, body: { error: { code: 'invalid_input' } } });
    expect((await json(bridge.call('POST', '/admin/api/numbers', { body: ['+14155552671'] }))).status).toBe(422);
    const form = await json(bridge.call('POST', '/admin/api/numbers', { raw: 'number=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }));
    expect(form.status).toBe(400);
    expect((await json(bridge.call('GET', '/admin/api/numbers'))).body).toEqual([]);
  });

  it('PATCH changes only the given fields; path numbers are accepted URL-encoded or in any format', async () => {
    await post({ number: '+14155552671', provider: 'twilio' });
    const res = await json<NumberBody & { segmentsPerSecond: number | null }>(bridge.call('PATCH', '/admin/api/numbers/%2B14155552671', { body: { provider: '8x8', segmentsPerSecond: 2 } }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ number: '+14155552671', provider: '8x8', type: 'local', status: 'active', segmentsPerSecond: 2 });
    const byNational = await json<NumberBody>(bridge.call('GET', `/admin/api/numbers/${encodeURIComponent('(415) 555-2671')}`));
    expect(byNational.body.provider).toBe('8x8');
  });

  it('PATCH validates: unknown number 404, empty patch 422, bad value 422', async () => {
    expect((await json(bridge.call('PATCH', '/admin/api/numbers/%2B14155552671', { body: { status: 'active' } }))).status).toBe(404);
    await post({ number: '+14155552671', provider: 'twilio' });
    expect((await json(bridge.call('PATCH', '/admin/api/numbers/%2B14155552671', { body: {} }))).status).toBe(422);
    expect(await json(bridge.call('PATCH', '/admin/api/numbers/%2B14155552671', { body: { status: 'on' } }))).toMatchObject({ status: 422, body: { error: { field: 'status' } } });
    expect(await json(bridge.call('PATCH', '/admin/api/numbers/%2B14155552671', { body: { type: 'toll-free' } }))).toMatchObject({ status: 422, body: { error: { field: 'type' } } });
    expect(await json(bridge.call('PATCH', '/admin/api/numbers/garbage', { body: { status: 'active' } }))).toMatchObject({ status: 400, body: { error: { field: 'number' } } });
  });

  it('DELETE removes the number and its mappings; a second DELETE is a 404', async () => {
    await post({ number: '+14155552671', provider: 'twilio' });
    await bridge.call('POST', '/admin/api/mappings', { body: { number: '+14155552671', platform: 'slack', channel: 'C012345', allowOff: true } });
    const del = await bridge.call('DELETE', '/admin/api/numbers/%2B14155552671');
    expect(del.status).toBe(204);
    expect((await json(bridge.call('GET', '/admin/api/numbers'))).body).toEqual([]);
    expect((await json(bridge.call('GET', '/admin/api/mappings'))).body).toEqual([]);
    expect((await json(bridge.call('DELETE', '/admin/api/numbers/%2B14155552671'))).status).toBe(404);
  });

  it('every change is in the audit log with before and after', async () => {
    await post({ number: '+14155552671', provider: 'twilio' });
    await bridge.call('PATCH', '/admin/api/numbers/%2B14155552671', { body: { status: 'porting' } });
    await bridge.call('DELETE', '/admin/api/numbers/%2B14155552671');
    // A refused change writes nothing.
    await bridge.call('POST', '/admin/api/numbers', { body: { number: 'nope', provider: 'twilio' } });
    const audit = await json<{ actor: string; action: string; target: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null }[]>(
      bridge.call('GET', '/admin/api/audit'),
    );
    const entries = [...audit.body].sort((a, b) => a.action.localeCompare(b.action));
    expect(entries.map((e) => [e.actor, e.action, e.target])).toEqual([
      ['admin', 'number.create', '+14155552671'],
      ['admin', 'number.delete', '+14155552671'],
      ['admin', 'number.update', '+14155552671'],
    ]);
    expect(entries[0]).toMatchObject({ before: null, after: { e164: '+14155552671', status: 'active' } });
    expect(entries[1]).toMatchObject({ before: { e164: '+14155552671', status: 'porting' }, after: null });
    expect(entries[2]).toMatchObject({ before: { status: 'active' }, after: { status: 'porting' } });
  });
});
