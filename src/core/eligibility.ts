// Whether an outbound message may go (product rules 1-5, 7, 12): one pure function that returns
// allowed, or EVERY reason it is refused, so the person in the chat thread can fix all of them at
// once instead of discovering them one retry at a time. Reasons are whole sentences a support
// agent can read out; codes are for programs and tests.

import { providerNotConfigured, smsCapability } from './capability.js';
import type { Refusal } from './errors.js';
import { countryName, formatForDisplay, parsePhone, type PhoneInfo } from './phone.js';
import type { SmsProviderCapabilities } from './ports.js';
import { countSegments, nonGsm7Characters, type SegmentInfo } from './segments.js';
import type { Policy, ProvisionedNumber, UserPolicy } from './types.js';

export interface EligibilityInput {
  policy: Policy;
  user: UserPolicy | null;
  sender: ProvisionedNumber | null;
  /** The sending number as the request named it (for the reason when it is not provisioned). */
  senderInput: string;
  recipients: string[];
  isOptedOut: (senderE164: string, contact: string) => boolean;
  body: string;
  media: { contentType: string; size: number }[];
  /**
   * What the sender's SMS provider can do. Null: the bridge has no such provider configured (no
   * credentials), so nothing can be sent from this number. Absent: not known (no provider limits).
   */
  provider?: SmsProviderCapabilities | null;
  /**
   * Co-worker message (rule 6): the destination is another number on this bridge, so nothing goes
   * through the carrier and carrier rules (sender capability, destination kind, opt-out, segment
   * limit, provider MMS limits) do not apply. SMS-off, one recipient, empty and policy media
   * limits still do. Additive to the published signature; defaults to false.
   */
  internal?: boolean;
}

export type Eligibility =
  | { allowed: true; to: string /* E.164 */; segments: SegmentInfo }
  | { allowed: false; refusals: Refusal[]; segments: SegmentInfo };

/** "5.0 MB", "820 KB": sizes as people read them. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

/** "image/PNG; name=x" -> "image/png". */
export function normaliseContentType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

/** Recipients as typed, blanks dropped, the same number written two ways counted once. */
function distinctRecipients(recipients: string[]): string[] {
  const seen = new Map<string, string>();
  for (const r of recipients) {
    const t = r.trim();
    if (t === '') continue;
    const key = parsePhone(t).e164 ?? t.toUpperCase();
    if (!seen.has(key)) seen.set(key, t);
  }
  return [...seen.values()];
}

/** Rule 2: only valid US/Canadian numbers (not toll-free, premium or short codes) receive SMS. */
function destinationRefusals(info: PhoneInfo, shown: string): Refusal[] {
  const where = info.country ? (countryName(info.country) ?? info.country) : null;
  switch (info.kind) {
    case 'unparsable':
      return [{ code: 'destination_invalid', reason: `"${shown}" is not a valid phone number. ${info.problem ?? ''}`.trim() }];
    case 'alphanumeric':
      return [{ code: 'destination_invalid', reason: `"${shown}" is a sender name, not a phone number; it cannot receive SMS.` }];
    case 'short-code':
      return [{ code: 'destination_short_code', reason: `${shown} is a short code; SMS can only be sent to regular US and Canadian phone numbers.` }];
    case 'premium':
      return [{ code: 'destination_premium', reason: `${shown} is a premium-rate number; SMS is never sent to premium-rate numbers.` }];
    case 'toll-free': {
      const out: Refusal[] = [
        { code: 'destination_toll_free', reason: `${shown} is a toll-free number; SMS can only be sent to regular US and Canadian phone numbers.` },
      ];
      if (info.country !== 'US' && info.country !== 'CA') {
        out.push({ code: 'destination_not_us_ca', reason: `${shown} is a number in ${where ?? 'another country'}; SMS can only be sent to US and Canadian numbers.` });
      }
      return out;
    }
    case 'international':
      return [{ code: 'destination_not_us_ca', reason: `${shown} is a number in ${where ?? 'another country'}; SMS can only be sent to US and Canadian numbers.` }];
    case 'us-ca-geographic':
      return info.problem ? [{ code: 'destination_invalid', reason: `${shown} cannot receive SMS: ${info.problem}` }] : [];
  }
}

export function checkEligibility(input: EligibilityInput): Eligibility {
  const { policy, user, sender, body, media } = input;
  const internal = input.internal === true;
  const segments = countSegments(body);
  const refusals: Refusal[] = [];

  // Rule 7: turning SMS off.
  if (!policy.smsEnabled) {
    refusals.push({ code: 'sms_disabled_company', reason: 'SMS is turned off for the whole company by an administrator.' });
  }
  if (user && !user.smsEnabled) {
    refusals.push({ code: 'sms_disabled_user', reason: 'SMS is turned off for your account by an administrator.' });
  }

  // Rule 1: the sending number.
  if (sender === null) {
    const shown = input.senderInput.trim() === '' ? 'The sending number' : formatForDisplay(input.senderInput);
    refusals.push({ code: 'sender_not_provisioned', reason: `${shown} is not provisioned on this bridge, so it cannot send SMS.` });
  } else if (!internal) {
    refusals.push(...smsCapability(sender, policy).refusals);
    if (input.provider === null) refusals.push(providerNotConfigured(sender.e164, sender.provider));
  }

  // Rule 3: exactly one recipient. With several, no destination is judged: the request as a whole
  // is refused and judging one of them would suggest it was about to be sent.
  const recipients = distinctRecipients(input.recipients);
  let to: PhoneInfo | null = null;
  if (recipients.length === 0) {
    refusals.push({ code: 'no_recipient', reason: 'The message has no recipient; name one phone number to send to.' });
  } else if (recipients.length > 1) {
    refusals.push({
      code: 'too_many_recipients',
      reason: `The message names ${recipients.length} recipients; SMS goes to one number at a time (no group texts).`,
    });
  } else {
    to = parsePhone(recipients[0] as string);
  }

  // Rule 2: the destination.
  const senderE164 = sender?.e164 ?? parsePhone(input.senderInput).e164;
  if (to !== null) {
    const shown = to.e164 ? formatForDisplay(to.e164) : to.input.trim();
    if (to.e164 === null) {
      refusals.push(...destinationRefusals(to, shown));
    } else if (senderE164 !== null && to.e164 === senderE164) {
      refusals.push({ code: 'destination_invalid', reason: `${shown} is the sending number itself; a number cannot text itself.` });
    } else if (!internal) {
      refusals.push(...destinationRefusals(to, shown));
      // Rule 12: the contact opted out of this number.
      if (senderE164 !== null && input.isOptedOut(senderE164, to.e164)) {
        refusals.push({
          code: 'opted_out',
          reason: `${shown} has opted out of messages from ${formatForDisplay(senderE164)} (they texted STOP); they must text START to receive messages again.`,
        });
      }
    }
  }

  // Rule 4: length.
  if (body.trim() === '' && media.length === 0) {
    refusals.push({ code: 'empty_message', reason: 'The message is empty: there is no text and no attachment to send.' });
  }
  if (!internal && segments.segments > policy.maxSegments) {
    const why =
      segments.encoding === 'UCS-2'
        ? ` It is sent as Unicode because of ${nonGsm7Characters(body).slice(0, 3).map((c) => `"${c}"`).join(', ')}, so each segment holds only 67 characters.`
        : '';
    refusals.push({
      code: 'too_many_segments',
      reason: `Message is ${segments.segments} segments; the limit is ${policy.maxSegments}. Shorten it or split it into several messages.${why}`,
    });
  }

  // Rule 5: pictures and files.
  if (media.length > 0) {
    const provider = internal ? undefined : input.provider;
    if (provider && !provider.mms) {
      refusals.push({ code: 'media_not_supported', reason: 'This number\'s SMS provider cannot send pictures or files (no MMS); send the text alone.' });
    }
    if (!internal && to !== null && to.e164 !== null && (to.kind === 'international' || (to.country !== null && to.country !== 'US' && to.country !== 'CA'))) {
      refusals.push({
        code: 'media_destination_not_us_ca',
        reason: `Pictures and files can only be sent to US and Canadian numbers, and ${formatForDisplay(to.e164)} is not one.`,
      });
    }
    const maxFiles = Math.min(policy.mms.maxFiles, provider?.maxMediaFiles ?? Infinity);
    if (media.length > maxFiles) {
      refusals.push({ code: 'media_too_many', reason: `The message has ${media.length} files; at most ${maxFiles} can be sent in one message.` });
    }
    const maxBytes = Math.min(policy.mms.maxTotalBytes, provider?.maxMediaBytes ?? Infinity);
    const total = media.reduce((sum, m) => sum + m.size, 0);
    if (total > maxBytes) {
      refusals.push({
        code: 'media_too_large',
        reason: `The files add up to ${formatBytes(total)}; at most ${formatBytes(maxBytes)} in all can be sent in one message.`,
      });
    }
    const allowed = new Set(policy.mms.allowedTypes.map(normaliseContentType));
    const refusedTypes = [...new Set(media.map((m) => normaliseContentType(m.contentType)))].filter((t) => !allowed.has(t));
    for (const type of refusedTypes) {
      refusals.push({
        code: 'media_type_not_allowed',
        reason: `Files of type ${type || '(unknown)'} cannot be sent by MMS; the allowed types are ${[...allowed].join(', ') || 'none'}.`,
      });
    }
  }

  if (refusals.length > 0 || to === null || to.e164 === null) {
    return { allowed: false, refusals, segments };
  }
  return { allowed: true, to: to.e164, segments };
}

/**
 * checkEligibility with an opt-out lookup that answers asynchronously (the store): the rules ask
 * at most about the (sender, destination) pairs they reach, which do not depend on the answer, so
 * a first pass learns which pairs, they are looked up, and a second pass decides with the answers.
 */
export async function checkEligibilityAsync(
  input: Omit<EligibilityInput, 'isOptedOut'>,
  isOptedOut: (senderE164: string, contact: string) => Promise<boolean>,
): Promise<Eligibility> {
  const asked: Array<[string, string]> = [];
  const first = checkEligibility({ ...input, isOptedOut: (n, c) => (asked.push([n, c]), false) });
  if (asked.length === 0) return first;
  const answers = new Map<string, boolean>();
  for (const [n, c] of asked) answers.set(`${n}|${c}`, await isOptedOut(n, c));
  return checkEligibility({ ...input, isOptedOut: (n, c) => answers.get(`${n}|${c}`) ?? false });
}
