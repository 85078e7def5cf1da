// Phone numbers: parse any common format to E.164 and classify it (product rules 1 and 2).
//
// libphonenumber-js/max does the parsing and validity checks; on top of it we add the North
// American Numbering Plan checks the library does not make (N11 exchanges, fictional 555-01XX)
// and the sender kinds that are not phone numbers at all (short codes, alphanumeric sender ids).
//
// Decision on 555-01XX: NANPA reserves 555-0100..555-0199 for fiction, so no real handset has one.
// parsePhone still gives such a number its E.164 form and its kind (it *is* a well-formed NANP
// number, and toE164 accepts it: the admin API and test fixtures may store it), but sets
// `problem`, so eligibility refuses it as an SMS destination (destination_invalid). Tests that
// need a sendable destination must therefore use a non-fictional number such as +1 415 555 2671.
// The same applies to N11 exchanges (411, 911, ...: service codes, not subscriber lines).

import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

import { InvalidInputError } from './errors.js';

export type PhoneKind =
  | 'us-ca-geographic'
  | 'toll-free'
  | 'premium'
  | 'short-code'
  | 'international'
  | 'alphanumeric'
  | 'unparsable';

export interface PhoneInfo {
  input: string;
  kind: PhoneKind;
  e164: string | null;
  country: string | null;
  nationalFormat: string | null;
  internationalFormat: string | null;
  /** why it is not a usable number (fictional 555-01XX, N11 exchange, ...), else null */
  problem: string | null;
}

/** NANP toll-free area codes (the library's TOLL_FREE type covers these too; belt and braces). */
export const NANP_TOLL_FREE_AREA_CODES: readonly string[] = ['800', '833', '844', '855', '866', '877', '888'];
/** NANP premium-rate area code. */
export const NANP_PREMIUM_AREA_CODES: readonly string[] = ['900'];

const US_CA = new Set(['US', 'CA']);

/** 5 or 6 digits, written as digits only (spaces/dashes allowed): a carrier short code. */
const SHORT_CODE = /^\d{5,6}$/;
/**
 * Alphanumeric sender id: 1-11 characters (the GSM limit), at least one letter, letters, digits,
 * spaces and a little punctuation. "AMAZON", "MyBank", "Uber Eats".
 */
const ALPHANUMERIC = /^(?=.*[A-Za-z])[A-Za-z0-9 .&'_-]{1,11}$/;

function unparsable(input: string, problem: string): PhoneInfo {
  return {
    input,
    kind: 'unparsable',
    e164: null,
    country: null,
    nationalFormat: null,
    internationalFormat: null,
    problem,
  };
}

/**
 * NANP rules on the 10-digit national number NPA-NXX-XXXX that the library does not enforce.
 * Returns the problem, or null when the number is usable. `invalid` problems make the number
 * unparsable; the others keep the number (it exists as a string) but flag it.
 */
function nanpProblem(national: string): { problem: string; invalid: boolean } | null {
  if (!/^\d{10}$/.test(national)) return { problem: 'A North American number has 10 digits.', invalid: true };
  const npa = national.slice(0, 3);
  const nxx = national.slice(3, 6);
  const line = national.slice(6);
  if (npa[0] === '0' || npa[0] === '1') {
    return { problem: `Area code ${npa} does not exist: area codes never start with 0 or 1.`, invalid: true };
  }
  if (nxx[0] === '0' || nxx[0] === '1') {
    return { problem: `Exchange ${nxx} does not exist: exchanges never start with 0 or 1.`, invalid: true };
  }
  if (npa[1] === '1' && npa[2] === '1') {
    return { problem: `Area code ${npa} is a service code, not an area code.`, invalid: true };
  }
  if (nxx[1] === '1' && nxx[2] === '1') {
    return {
      problem: `Exchange ${nxx} is a service code (like 411 or 911), not a subscriber number.`,
      invalid: false,
    };
  }
  if (nxx === '555' && line >= '0100' && line <= '0199') {
    return {
      problem: `555-${line} is a fictional number (555-0100 to 555-0199 are reserved for fiction) and reaches no one.`,
      invalid: false,
    };
  }
  return null;
}

/**
 * parsePhone is pure and costs 18-45 us (libphonenumber's metadata matching), and the send path asks
 * about the same few numbers over and over (eligibility at request and again at send time, display
 * formatting, capability). A bounded LRU of results keyed by (default country, exact input) makes a
 * repeat a Map lookup. Entries are frozen and every caller gets its own copy, so no caller can
 * change what another one reads. Bounded, so webhook-supplied junk cannot grow memory.
 */
const PARSE_CACHE_MAX = 4096;
const parseCache = new Map<string, Readonly<PhoneInfo>>();

/**
 * Parse a phone number (or sender id) typed in any common format. Never throws: anything that is
 * not a number comes back as kind 'unparsable' with a problem.
 */
export function parsePhone(input: string, defaultCountry: 'US' | 'CA' = 'US'): PhoneInfo {
  const key = `${defaultCountry}|${input}`;
  const hit = parseCache.get(key);
  if (hit !== undefined) {
    // Refresh recency: Map iteration order is insertion order, the oldest entry comes first.
    parseCache.delete(key);
    parseCache.set(key, hit);
    return { ...hit };
  }
  const info = Object.freeze(parsePhoneUncached(input, defaultCountry));
  if (parseCache.size >= PARSE_CACHE_MAX) {
    const oldest = parseCache.keys().next();
    if (!oldest.done) parseCache.delete(oldest.value);
  }
  parseCache.set(key, info);
  return { ...info };
}

/** Test hook: how many parse results are cached (bounded by PARSE_CACHE_MAX). */
export function parsePhoneCacheSize(): number {
  return parseCache.size;
}

function parsePhoneUncached(input: string, defaultCountry: 'US' | 'CA'): PhoneInfo {
  // "tel:" URIs (RFC 3966) come from links and some provider payloads.
  const trimmed = input.trim().replace(/^tel:/i, '');
  if (trimmed === '') return unparsable(input, 'No number was given.');

  const compact = trimmed.replace(/[\s().-]/g, '');

  // Short codes are written as bare digits; "+12345" is not a short code but a (bad) number.
  if (SHORT_CODE.test(compact)) {
    return {
      input,
      kind: 'short-code',
      e164: null,
      country: null,
      nationalFormat: compact,
      internationalFormat: null,
      problem: null,
    };
  }

  if (/[A-Za-z]/.test(trimmed)) {
    // Letters: an alphanumeric sender id, or not a number at all. Vanity numbers (1-800-FLOWERS)
    // are refused rather than guessed: typing the digits is unambiguous.
    if (ALPHANUMERIC.test(trimmed) && !/^\+?[\d\s().-]+(ext\.?|x)\s*\d+$/i.test(trimmed)) {
      return {
        input,
        kind: 'alphanumeric',
        e164: null,
        country: null,
        nationalFormat: null,
        internationalFormat: null,
        problem: null,
      };
    }
    if (!/^\+?[\d\s().-]+(ext\.?|x)\s*\d+$/i.test(trimmed)) {
      return unparsable(input, 'Letters are not read as digits; type the number, e.g. +14155552671.');
    }
  }

  // "00" is the international prefix almost everywhere but in North America (which uses 011,
  // understood by the library); treat "00 44 ..." as "+44 ...".
  const normalised = /^00[1-9]/.test(compact) ? `+${compact.slice(2)}` : trimmed;

  const parsed = parsePhoneNumberFromString(normalised, defaultCountry as CountryCode);
  if (!parsed) return unparsable(input, 'It does not look like a phone number; type it with its country code, e.g. +14155552671.');

  const e164 = parsed.number as string;
  const isNanp = parsed.countryCallingCode === '1';

  if (isNanp) {
    const nanp = nanpProblem(parsed.nationalNumber as string);
    if (nanp?.invalid) return unparsable(input, nanp.problem);
    if (!parsed.isValid()) return unparsable(input, `${e164} is not a valid North American number.`);
    const npa = (parsed.nationalNumber as string).slice(0, 3);
    const type = parsed.getType();
    const country = parsed.country ?? null;
    let kind: PhoneKind;
    if (type === 'TOLL_FREE' || NANP_TOLL_FREE_AREA_CODES.includes(npa)) kind = 'toll-free';
    else if (type === 'PREMIUM_RATE' || NANP_PREMIUM_AREA_CODES.includes(npa)) kind = 'premium';
    else if (country !== null && US_CA.has(country)) kind = 'us-ca-geographic';
    // Other NANP countries (Jamaica, the Bahamas, Puerto Rico, ...) are outside US/Canada for
    // rule 2, whatever their country calling code.
    else kind = 'international';
    return {
      input,
      kind,
      e164,
      country,
      nationalFormat: parsed.formatNational(),
      internationalFormat: parsed.formatInternational(),
      problem: nanp?.problem ?? null,
    };
  }

  if (!parsed.isValid()) return unparsable(input, `${parsed.formatInternational()} is not a valid phone number.`);
  const type = parsed.getType();
  const kind: PhoneKind =
    type === 'TOLL_FREE' ? 'toll-free' : type === 'PREMIUM_RATE' ? 'premium' : 'international';
  return {
    input,
    kind,
    e164,
    country: parsed.country ?? null,
    nationalFormat: parsed.formatNational(),
    internationalFormat: parsed.formatInternational(),
    problem: null,
  };
}

/**
 * E.164 of a typed number, or InvalidInputError(field) when it is not a phone number (short codes
 * and sender ids have no E.164 form). Fictional and N11 numbers are accepted: see the top.
 */
export function toE164(input: string, field = 'number'): string {
  const info = parsePhone(input);
  if (info.e164 === null) {
    const problem = info.problem ?? 'Short codes and sender names have no phone number form (expected e.g. +14155552671).';
    throw new InvalidInputError(`${field}: "${input.trim()}" is not a usable phone number. ${problem}`, field);
  }
  return info.e164;
}

/**
 * How a number is shown to people: national format for US/Canada ("(415) 555-2671"),
 * international otherwise ("+44 20 7946 0958"). Short codes and sender ids come back as given.
 */
export function formatForDisplay(numberOrSender: string): string {
  const info = parsePhone(numberOrSender);
  if (info.e164 === null) return numberOrSender.trim();
  if (info.country !== null && US_CA.has(info.country) && info.nationalFormat) return info.nationalFormat;
  return info.internationalFormat ?? info.e164;
}

let regionNames: Intl.DisplayNames | null | undefined;
/** Intl.DisplayNames#of is slow, and eligibility asks for the same few countries on every check. */
const countryNames = new Map<string, string | null>();
const COUNTRY_NAMES_MAX = 512;

/** English country name for an ISO 3166 alpha-2 code ("CA" -> "Canada"); null when unknown. */
export function countryName(code: string | null): string | null {
  if (!code) return null;
  const cached = countryNames.get(code);
  if (cached !== undefined) return cached;
  const name = countryNameUncached(code);
  if (countryNames.size >= COUNTRY_NAMES_MAX) countryNames.clear();
  countryNames.set(code, name);
  return name;
}

function countryNameUncached(code: string): string | null {
  if (regionNames === undefined) {
    try {
      regionNames = new Intl.DisplayNames(['en'], { type: 'region' });
    } catch {
      regionNames = null; // a Node built without ICU data: fall back to the code
    }
  }
  try {
    const name = regionNames?.of(code.toUpperCase());
    return name && name !== code.toUpperCase() ? name : code.toUpperCase();
  } catch {
    return null;
  }
}

/** True for a usable US/Canadian number (the only SMS destinations, rule 2). */
export function isUsCaNumber(info: PhoneInfo): boolean {
  return info.kind === 'us-ca-geographic' && info.problem === null;
}

/** Whether a country code is the US or Canada. */
export function isUsCaCountry(country: string | null): boolean {
  return country !== null && US_CA.has(country.toUpperCase());
}
