import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { json, PROVIDERS_ON, startTestBridge, tempDataDir } from '../http/helpers.js';

let dataDir: string | null = null;
afterEach(() => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = null;
});

describe('admin changes survive a restart', () => {
  it('numbers, mappings, policy and the audit log are still there after stop and start on the same DATA_DIR', async () => {
    dataDir = tempDataDir();
    const first = await startTestBridge(PROVIDERS_ON, { dataDir, keepDataDir: true });
    await first.call('POST', '/admin/api/numbers', { body: { number: '+14155552671', provider: 'twilio' } });
    await first.call('POST', '/admin/api/numbers', { body: { number: '+18885552671', provider: '8x8' } });
    const m = await json<{ id: string }>(first.call('POST', '/admin/api/mappings', { body: { number: '+14155552671', platform: 'slack', channel: 'C0123ABC', allowOff: true } }));
    await first.call('PUT', '/admin/api/policy', { body: { maxSegments: 4 } });
    await first.cleanup();

    const second = await startTestBridge(PROVIDERS_ON, { dataDir, keepDataDir: true });
    try {
      const numbers = await json<{ number: string; smsCapable: boolean }[]>(second.call('GET', '/admin/api/numbers'));
      expect(numbers.body.map((n) => [n.number, n.smsCapable])).toEqual([
        ['+14155552671', true],
        ['+18885552671', false],
      ]);
      const mappings = await json<{ id: string; channel: string }[]>(second.call('GET', '/admin/api/mappings'));
      expect(mappings.body).toEqual([expect.objectContaining({ id: m.body.id, number: '+14155552671', platform: 'slack', channel: 'C0123ABC' })]);
      expect((await json<{ maxSegments: number }>(second.call('GET', '/admin/api/policy'))).body.maxSegments).toBe(4);
      expect((await json<unknown[]>(second.call('GET', '/admin/api/audit'))).body).toHaveLength(4);
      expect((await second.call('DELETE', `/admin/api/mappings/${m.body.id}`)).status).toBe(204);
    } finally {
      await second.cleanup();
    }
  });
});
