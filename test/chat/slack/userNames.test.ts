import { describe, expect, it } from 'vitest';
import type { SlackApi } from '../../../adapters/chat/slack/api.js';
import { UserNames } from '../../../adapters/chat/slack/context.js';
import { silentLogger } from '../../../src/delivery/logger.js';

/** users.info answering "<id>-name" for anyone, counting calls. */
function fakeApi() {
  const calls: string[] = [];
  const api = {
    userInfo: (id: string) => {
      calls.push(id);
      return Promise.resolve({ name: `${id}-name` });
    },
  } as unknown as SlackApi;
  return { api, calls };
}

describe('Slack display names cache', () => {
  it('keeps at most `max` names, dropping the oldest lookup, so it does not grow with every user who ever replied', async () => {
    const { api, calls } = fakeApi();
    const names = new UserNames(api, silentLogger, 100);
    for (let i = 0; i < 1000; i++) await names.get(`U${i}`);
    expect(names.size).toBe(100);
    // The latest ones are still cached (no second users.info); the first one is asked again.
    expect(await names.get('U999')).toBe('U999-name');
    expect(calls.filter((c) => c === 'U999')).toHaveLength(1);
    await names.get('U0');
    expect(calls.filter((c) => c === 'U0')).toHaveLength(2);
    expect(names.size).toBe(100);
  });
});
