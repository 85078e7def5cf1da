// The demo number of a bridge with nothing real configured, on either engine: made once, by one
// of several instances starting together, and never again once an admin deleted it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { DEMO_NUMBER, provisionDemoNumber } from '../../src/demoNumber.js';
import { createTempStore, type TempStore } from '../support/tempStore.js';
import { TEST_ENGINE } from '../support/testDatabase.js';

let temp: TempStore;
beforeEach(async () => {
  temp = await createTempStore();
});
afterEach(() => temp.cleanup());

const NOTHING = loadConfig({});

describe('the demo number', () => {
  it('is provisioned on the local provider once, and stays deleted after an admin deletes it', async () => {
    expect(await provisionDemoNumber(NOTHING, temp.store)).toMatchObject({ e164: DEMO_NUMBER, provider: 'local', type: 'local', status: 'active' });
    expect(await provisionDemoNumber(NOTHING, temp.store)).toMatchObject({ e164: DEMO_NUMBER });
    expect(await temp.store.numbers.list()).toHaveLength(1);
    await temp.store.numbers.remove(DEMO_NUMBER);
    expect(await provisionDemoNumber(NOTHING, temp.store)).toBeNull();
    expect(await temp.store.numbers.list()).toEqual([]);
  });

  it('is not made when an SMS provider or a chat platform is configured', async () => {
    const twilio = loadConfig({ TWILIO_ACCOUNT_SID: 'AC0', TWILIO_AUTH_TOKEN: 'not-used', PUBLIC_URL: 'https://sms.example.com' });
    const slack = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-not-used', SLACK_SIGNING_SECRET: 'not-used' });
    expect(await provisionDemoNumber(twilio, temp.store)).toBeNull();
    expect(await provisionDemoNumber(slack, temp.store)).toBeNull();
    expect(await temp.store.numbers.list()).toEqual([]);
  });

  // Several instances share a store on Postgres; two SQLite connections in one process would
  // block each other's event loop (better-sqlite3 waits synchronously), which no deployment does.
  it.runIf(TEST_ENGINE === 'postgres')('is made once when two instances start at the same time', async () => {
    const other = await temp.openAnother();
    const [a, b] = await Promise.all([provisionDemoNumber(NOTHING, temp.store), provisionDemoNumber(NOTHING, other)]);
    expect(a?.e164).toBe(DEMO_NUMBER);
    expect(b?.e164).toBe(DEMO_NUMBER);
    expect(await temp.store.numbers.list()).toHaveLength(1);
  });
});
