// Bad input is the caller's problem, never a 5xx: random JSON bodies and paths against every
// admin route that takes input.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBridge } from '../http/helpers.js';
import type { TestBridge } from '../http/helpers.js';

let bridge: TestBridge;
beforeAll(async () => {
  bridge = await startTestBridge();
  await bridge.call('POST', '/admin/api/numbers', { body: { number: '+14155552671', provider: 'twilio' } });
});
afterAll(async () => {
  await bridge.cleanup();
});

const routes: [string, string][] = [
  ['POST', '/admin/api/numbers'],
  ['PATCH', '/admin/api/numbers/%2B14155552671'],
  ['POST', '/admin/api/mappings'],
  ['PUT', '/admin/api/policy'],
  ['PUT', '/admin/api/users/slack/U1'],
];

// Objects shaped like the real bodies, with wrong types and values mixed in.
const fieldValue = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }));
const keys = fc.constantFrom('number', 'provider', 'type', 'status', 'segmentsPerSecond', 'platform', 'channel', 'smsEnabled', 'admin', 'maxSegments', 'mms', 'throughput', 'fallback', 'internalNotePrefix', '__proto__', 'constructor');
const body = fc.oneof(fc.dictionary(keys, fieldValue, { maxKeys: 6 }), fc.jsonValue());

describe('admin API input robustness', () => {
  it('random JSON bodies never cause a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), body, async ([method, path], b) => {
        const res = await bridge.call(method, path, { raw: JSON.stringify(b) });
        await res.arrayBuffer();
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
  });

  it('random path segments never cause a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('numbers', 'mappings', 'conversations', 'users/slack'), fc.string({ maxLength: 20 }), async (base, seg) => {
        const res = await bridge.call('GET', `/admin/api/${base}/${seg.replace(/[/?#]/g, '')}`);
        await res.arrayBuffer();
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 100 },
    );
  });

  it('a path that does not URL-decode is a 400', async () => {
    const res = await bridge.call('GET', '/admin/api/numbers/%E0%A4%A');
    expect(res.status).toBe(400);
  });
});
