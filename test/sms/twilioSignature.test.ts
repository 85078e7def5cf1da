import { describe, expect, it } from 'vitest';
import { computeTwilioSignature, urlVariants, verifyTwilioSignature } from '../../adapters/sms/twilio/verify.js';

const TOKEN = '12345';
const URL_ = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const PARAMS: Array<[string, string]> = [
  ['CallSid', 'CA1234567890ABCDE'],
  ['Caller', '+12349013030'],
  ['Digits', '1234'],
  ['From', '+12349013030'],
  ['To', '+18005551212'],
];
const EXPECTED = '0/KCTR6DLpKmkAf8muzZqo1nDgQ=';

describe('Twilio webhook signature', () => {
  it("matches Twilio's published test vector", () => {
    expect(computeTwilioSignature(TOKEN, URL_, PARAMS)).toBe(EXPECTED);
  });

  it('sorts parameters by name whatever order they arrived in', () => {
    expect(computeTwilioSignature(TOKEN, URL_, [...PARAMS].reverse())).toBe(EXPECTED);
    expect(verifyTwilioSignature(TOKEN, URL_, [...PARAMS].reverse(), EXPECTED)).toBe(true);
  });

  it('accepts the URL Twilio signed with an explicit default port', () => {
    const withPort = computeTwilioSignature(TOKEN, 'https://mycompany.com:443/myapp.php?foo=1&bar=2', PARAMS);
    expect(verifyTwilioSignature(TOKEN, URL_, PARAMS, withPort)).toBe(true);
    // and the other way round: our PUBLIC_URL carries :443, Twilio signed without it
    expect(verifyTwilioSignature(TOKEN, 'https://mycompany.com:443/myapp.php?foo=1&bar=2', PARAMS, EXPECTED)).toBe(true);
  });

  it('knows :80 is the default port of http and :443 of https only', () => {
    expect(urlVariants('http://a.example/x')).toEqual(['http://a.example/x', 'http://a.example:80/x']);
    expect(urlVariants('http://a.example:80/x')).toEqual(['http://a.example:80/x', 'http://a.example/x']);
    expect(urlVariants('https://a.example:8443/x')).toEqual(['https://a.example:8443/x']);
  });

  it('refuses a changed parameter, a changed URL, the wrong token and a missing header', () => {
    const tampered = PARAMS.map(([k, v]): [string, string] => (k === 'Digits' ? [k, '9999'] : [k, v]));
    expect(verifyTwilioSignature(TOKEN, URL_, tampered, EXPECTED)).toBe(false);
    expect(verifyTwilioSignature(TOKEN, 'https://mycompany.com/myapp.php?foo=1&bar=3', PARAMS, EXPECTED)).toBe(false);
    expect(verifyTwilioSignature('54321', URL_, PARAMS, EXPECTED)).toBe(false);
    expect(verifyTwilioSignature(TOKEN, URL_, PARAMS, undefined)).toBe(false);
    expect(verifyTwilioSignature(TOKEN, URL_, PARAMS, '')).toBe(false);
    expect(verifyTwilioSignature(TOKEN, 'https://mycompany.com:8443/myapp.php?foo=1&bar=2', PARAMS, EXPECTED)).toBe(false);
  });
});
