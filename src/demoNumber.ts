// The demo number of a bridge with nothing real configured (no SMS provider account, no Slack,
// no Teams): one local-provider number, provisioned at the first such start, so the dev phone
// can text it and the web inbox shows the conversation at once. A setting records that it was
// made, so an admin who deletes it has deleted it for good.
//
// +1 415 555 2671: a US geographic number libphonenumber accepts as valid and which is outside
// the 555-0100..0199 range the bridge flags as fictional, so it is SMS-capable with no reasons.

import { randomUUID } from 'node:crypto';
import type { Config } from './config.js';
import type { ProvisionedNumber } from './core/types.js';
import type { BridgeStore } from './infra/store/index.js';

export const DEMO_NUMBER = '+14155552671';
/** Set when the demo number was provisioned (by whichever instance did it first). */
export const DEMO_NUMBER_SETTING = 'demo_number_provisioned';

/** True when nothing real is configured: no Twilio, no 8x8, no Slack, no Teams. */
export function nothingConfigured(config: Pick<Config, 'twilio' | 'eightx8' | 'slack' | 'teams'>): boolean {
  return !config.twilio.enabled && !config.eightx8.enabled && !config.slack.enabled && !config.teams.enabled;
}

/**
 * Provisions the demo number unless it was provisioned before (even if deleted since); returns it
 * while it is provisioned, null otherwise (and always null when something real is configured).
 */
export async function provisionDemoNumber(
  config: Pick<Config, 'twilio' | 'eightx8' | 'slack' | 'teams'>,
  store: Pick<BridgeStore, 'settings' | 'numbers' | 'transaction'>,
): Promise<ProvisionedNumber | null> {
  if (!nothingConfigured(config)) return null;
  await store.transaction(async () => {
    // The setting and the number in one transaction: a crash between them leaves neither. Of two
    // instances doing this at once, only the one whose value the setting holds makes the number.
    // The write comes first (no read before it), so SQLite takes its write lock at once instead of
    // two readers deadlocking on the upgrade.
    const mine = `${DEMO_NUMBER} ${randomUUID()}`;
    if ((await store.settings.putIfAbsent(DEMO_NUMBER_SETTING, mine)) !== mine) return;
    if (!(await store.numbers.get(DEMO_NUMBER))) {
      await store.numbers.create({ e164: DEMO_NUMBER, provider: 'local', type: 'local', status: 'active', country: 'US' });
    }
  });
  const n = await store.numbers.get(DEMO_NUMBER);
  return n && n.provider === 'local' ? n : null;
}
