// Shared test fixtures for the core. Destinations are real-looking, non-fictional numbers:
// 555-01XX numbers are fictional and refused as destinations (see src/core/phone.ts).

import type { SmsProviderCapabilities } from '../../src/core/ports.js';
import type { ProvisionedNumber } from '../../src/core/types.js';

/** Our provisioned local number (fictional is fine for a sender). */
export const OUR = '+14155550100';
/** A second provisioned number, for co-worker tests. */
export const COWORKER = '+14165550111';
/** A contact that can receive SMS. */
export const CONTACT = '+14155552671';

export const TWILIO_CAPS: SmsProviderCapabilities = {
  mms: true,
  maxMediaFiles: 10,
  maxMediaBytes: 5 * 1024 * 1024,
  idempotentSend: false,
};

export function number(patch: Partial<ProvisionedNumber> = {}): ProvisionedNumber {
  return {
    e164: OUR,
    provider: 'twilio',
    type: 'local',
    status: 'active',
    country: 'US',
    segmentsPerSecond: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...patch,
  };
}
