// The idempotency key a provider gets for one send of a message (OutboundSms.messageId, 8x8's
// clientMessageId). It is our message id, and after the N-th admin resend `<id>-rN`: a provider
// that deduplicates by this key would otherwise drop a resend of a message it accepted before (one
// the carrier then reported undelivered) and nothing would go out. Retries and crash re-runs
// WITHIN one resend keep the same key, so they are still deduplicated.
//
// Whatever a provider echoes back (a delivery receipt's clientMessageId) is turned back into our
// plain message id with messageIdFromSendKey, so receipts of a resend find their message.

const RESEND_SUFFIX = /-r([1-9]\d*)$/;

/** `messageId` for the first send (resend 0), `<messageId>-r<resend>` after the resend-th resend. */
export function sendKey(messageId: string, resend: number): string {
  if (!Number.isSafeInteger(resend) || resend < 0) throw new RangeError(`resend must be a whole number >= 0, got ${resend}`);
  return resend > 0 ? `${messageId}-r${resend}` : messageId;
}

/**
 * Our message id from a send key (the inverse of sendKey). A key without a resend suffix is the
 * message id itself. Our ids are UUIDs (hex and dashes), so a `-r<digits>` tail is never part of one.
 */
export function messageIdFromSendKey(key: string): string {
  return key.replace(RESEND_SUFFIX, '');
}

/** The resend generation a send key names (0 for the first send). */
export function resendFromSendKey(key: string): number {
  const m = RESEND_SUFFIX.exec(key);
  return m ? Number(m[1]) : 0;
}
