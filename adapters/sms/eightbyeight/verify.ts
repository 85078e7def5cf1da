// 8x8 webhooks carry no signature: the subaccount is configured to send a fixed Authorization
// header, and we compare it (constant-time) with EIGHTX8_WEBHOOK_AUTH.
import { safeEqual } from '../shared/safeEqual.js';

export function verifyEightByEightAuth(expected: string, presented: string | undefined): boolean {
  if (!expected) return false;
  return safeEqual(expected, presented ?? '');
}
