// Typed errors and refusals. Every refusal carries a stable code (for programs and tests) and
// a human-readable reason (for the person in the chat thread).

export type RefusalCode =
  // rule 7: turning SMS off
  | 'sms_disabled_company'
  | 'sms_disabled_user'
  // rule 1: sending numbers
  | 'sender_not_provisioned'
  | 'sender_toll_free'
  | 'sender_virtual'
  | 'sender_outside_us_ca'
  | 'sender_porting'
  | 'sender_provider_not_configured'
  // rule 2: destinations
  | 'destination_invalid'
  | 'destination_not_us_ca'
  | 'destination_toll_free'
  | 'destination_premium'
  | 'destination_short_code'
  // rule 3: one-to-one only
  | 'no_recipient'
  | 'too_many_recipients'
  // rule 12: opt-out
  | 'opted_out'
  // rule 4: length
  | 'empty_message'
  | 'too_many_segments'
  // rule 5: media
  | 'media_destination_not_us_ca'
  | 'media_too_many'
  | 'media_too_large'
  | 'media_type_not_allowed'
  | 'media_not_supported';

export interface Refusal {
  code: RefusalCode;
  reason: string;
}

export type ErrorCode =
  | 'invalid_input'
  | 'not_found'
  | 'conflict'
  | 'precondition_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'payload_too_large'
  | 'refused'
  | 'provider_error'
  | 'platform_error'
  | 'unavailable'
  | 'config_invalid';

/** Base class of every error the bridge raises on purpose. */
export class BridgeError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/** Bad input from a caller: a field-level problem is named in `field`. */
export class InvalidInputError extends BridgeError {
  readonly field: string | undefined;
  constructor(message: string, field?: string) {
    super('invalid_input', message, field ? { field } : undefined);
    this.field = field;
  }
}

export class NotFoundError extends BridgeError {
  constructor(message: string) {
    super('not_found', message);
  }
}

export class ConflictError extends BridgeError {
  constructor(message: string) {
    super('conflict', message);
  }
}

/**
 * A write named the version it was based on (If-Match) and the stored one has moved on since:
 * nothing was changed, so one admin's save never silently undoes another's.
 */
export class StaleVersionError extends BridgeError {
  constructor(message: string) {
    super('precondition_failed', message);
  }
}

/** The rules refused an outbound message; `refusals` holds every reason, not just the first. */
export class RefusedError extends BridgeError {
  readonly refusals: Refusal[];
  constructor(refusals: Refusal[]) {
    super('refused', refusals.map((r) => r.reason).join('; '), { refusals });
    this.refusals = refusals;
  }
}

/**
 * providerCode of a ProviderError whose request never reached the provider (the connection did
 * not open): nothing can have been sent, so sending again can never duplicate an SMS. Every SMS
 * adapter reports such failures with this code; the send worker relies on it.
 */
export const CONNECT_FAILED = 'connect_failed';

/**
 * providerCode of an answer that accepted the message but is unreadable (no message id): the SMS
 * may well be on its way, so it is never sent again blindly, and its outcome is unknown.
 */
export const ACCEPTED_WITHOUT_ID = 'accepted_without_id';

/** Socket error codes raised before a connection exists: the request cannot have left. */
export const CONNECT_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * A provider call failed. `retryable` says whether sending again may succeed;
 * `retryAfterMs` carries the provider's Retry-After when it gave one.
 */
export class ProviderError extends BridgeError {
  readonly provider: string;
  readonly providerCode: string | null;
  readonly retryable: boolean;
  readonly retryAfterMs: number | null;
  /** The provider says the recipient opted out (e.g. Twilio 21610). */
  readonly optedOut: boolean;
  readonly httpStatus: number | null;

  constructor(opts: {
    provider: string;
    message: string;
    providerCode?: string | null;
    retryable: boolean;
    retryAfterMs?: number | null;
    optedOut?: boolean;
    httpStatus?: number | null;
  }) {
    super('provider_error', opts.message, {
      provider: opts.provider,
      providerCode: opts.providerCode ?? null,
      httpStatus: opts.httpStatus ?? null,
    });
    this.provider = opts.provider;
    this.providerCode = opts.providerCode ?? null;
    this.retryable = opts.retryable;
    this.retryAfterMs = opts.retryAfterMs ?? null;
    this.optedOut = opts.optedOut ?? false;
    this.httpStatus = opts.httpStatus ?? null;
  }
}

/** A chat platform call failed; same retry semantics as ProviderError. */
export class PlatformError extends BridgeError {
  readonly platform: string;
  readonly retryable: boolean;
  readonly retryAfterMs: number | null;
  constructor(opts: {
    platform: string;
    message: string;
    retryable: boolean;
    retryAfterMs?: number | null;
    platformCode?: string | null;
  }) {
    super('platform_error', opts.message, {
      platform: opts.platform,
      platformCode: opts.platformCode ?? null,
    });
    this.platform = opts.platform;
    this.retryable = opts.retryable;
    this.retryAfterMs = opts.retryAfterMs ?? null;
  }
}

export class ConfigError extends BridgeError {
  constructor(message: string) {
    super('config_invalid', message);
  }
}
