// Which provisioned numbers may carry SMS (product rule 1). Used by eligibility and by the
// admin API's `smsCapable` + reasons, so an admin sees every reason a number cannot send.

import type { Refusal } from './errors.js';
import { countryName, formatForDisplay, isUsCaCountry, parsePhone } from './phone.js';
import type { Policy, ProvisionedNumber } from './types.js';

/** Every reason a number cannot send SMS (all that apply, not just the first). */
export function smsCapability(
  n: ProvisionedNumber | null,
  policy: Policy,
): { capable: boolean; refusals: Refusal[] } {
  if (n === null) {
    return {
      capable: false,
      refusals: [
        {
          code: 'sender_not_provisioned',
          reason: 'The sending number is not provisioned on this bridge, so it cannot send SMS.',
        },
      ],
    };
  }
  const shown = formatForDisplay(n.e164);
  const refusals: Refusal[] = [];
  if (n.type === 'toll-free' && !policy.tollFreeSmsCapable) {
    refusals.push({
      code: 'sender_toll_free',
      reason: `${shown} is a toll-free number, and toll-free numbers are not enabled for SMS.`,
    });
  }
  if (n.type === 'virtual' && !policy.virtualSmsCapable) {
    refusals.push({
      code: 'sender_virtual',
      reason: `${shown} is a virtual number, and virtual numbers are not enabled for SMS.`,
    });
  }
  // The stored country is derived when the number is stored; derive it again if it is missing.
  const country = n.country ?? parsePhone(n.e164).country;
  if (!isUsCaCountry(country)) {
    const where = country ? `a number in ${countryName(country) ?? country}` : 'not a US or Canadian number';
    refusals.push({
      code: 'sender_outside_us_ca',
      reason: `${shown} is ${where}; only US and Canadian numbers can send SMS.`,
    });
  }
  if (n.status === 'porting') {
    refusals.push({
      code: 'sender_porting',
      reason: `${shown} is still being ported to us; it can send SMS once the port completes.`,
    });
  }
  return { capable: refusals.length === 0, refusals };
}

/**
 * The refusal for a number whose SMS provider the bridge has no credentials for: it could never
 * send, so messages from it are refused at once and the admin's number list says why.
 */
export function providerNotConfigured(e164: string, provider: string): Refusal {
  return {
    code: 'sender_provider_not_configured',
    reason: `${formatForDisplay(e164)} uses the SMS provider "${provider}", which is not set up on this bridge, so it cannot send SMS; an admin must configure that provider or move the number to one that is.`,
  };
}
