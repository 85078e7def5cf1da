// The SMS provider webhooks under fuzz: Twilio's form posts (inbound and status callbacks) and
// 8x8's JSON, with fields dropped, repeated, retyped or hostile, in other encodings and content
// types, signed right (so they reach the parsers) or wrong. Never a 5xx, the bridge keeps
// answering, and a request without valid credentials stores nothing.

import fc from 'fast-check';
import { describe } from 'vitest';
import { eightByEightInbound, eightByEightStatus } from '../fakes/eightbyeightFake.js';
import { twilioInboundParams } from '../fakes/twilioFake.js';
import { anyString, contentType, encodeBody, encoding, fieldName, jsonText, mutatedHeaders, payloads, withContentType } from './support/arbitraries.js';
import { EIGHTX8_AUTH, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, type FuzzBridge, useFuzzBridge } from './support/fuzzBridge.js';
import { fuzzIt, Tally } from './support/fuzzRun.js';
import type { RawRequest } from './support/rawRequest.js';
import { expectHandled, expectRefused } from './support/verdict.js';

const OUR = '+14155550100';
const CONTACT = '+12125553456';
const MEDIA = 'http://127.0.0.1:9/media/1';

// --- Twilio ----------------------------------------------------------------------------------
const TWILIO_FORMS: [string, [string, string][]][] = [
  ['/webhooks/twilio/sms', Object.entries(twilioInboundParams({ sid: 'SM00000000000000000000000000000001', from: CONTACT, to: OUR, body: 'hello', accountSid: TWILIO_ACCOUNT_SID }))],
  [
    '/webhooks/twilio/sms',
    Object.entries(
      twilioInboundParams({
        sid: 'MM00000000000000000000000000000002',
        from: CONTACT,
        to: OUR,
        body: 'a picture',
        media: [{ url: MEDIA, contentType: 'image/jpeg' }, { url: `${MEDIA}?2`, contentType: 'image/png' }],
        accountSid: TWILIO_ACCOUNT_SID,
      }),
    ),
  ],
  ['/webhooks/twilio/status', [['MessageSid', 'SM00000000000000000000000000000003'], ['MessageStatus', 'delivered'], ['AccountSid', TWILIO_ACCOUNT_SID], ['From', OUR], ['To', CONTACT]]],
  [
    '/webhooks/twilio/status?send=0b7e4c5e-8a9f-4d7e-9c11-2f6b8f3a1d20-r1',
    [['MessageSid', 'SM00000000000000000000000000000004'], ['MessageStatus', 'undelivered'], ['ErrorCode', '30007'], ['ErrorMessage', 'filtered'], ['AccountSid', TWILIO_ACCOUNT_SID]],
  ],
  ['/webhooks/twilio/status', [['MessageSid', 'SM00000000000000000000000000000005'], ['MessageStatus', 'failed'], ['ErrorCode', '21610']]],
];

type FormChange = { kind: 'drop'; at: number } | { kind: 'set'; at: number; value: string } | { kind: 'repeat'; at: number; value: string | null } | { kind: 'add'; name: string; value: string };

const formChange: fc.Arbitrary<FormChange> = fc.oneof(
  fc.nat().map((at): FormChange => ({ kind: 'drop', at })),
  { weight: 3, arbitrary: fc.tuple(fc.nat(), anyString).map(([at, value]): FormChange => ({ kind: 'set', at, value })) },
  fc.tuple(fc.nat(), fc.option(anyString)).map(([at, value]): FormChange => ({ kind: 'repeat', at, value })),
  fc.tuple(fc.oneof(fieldName, fc.constantFrom('NumMedia', 'MediaUrl0', 'MediaUrl9', 'MediaContentType0', 'Body', 'From', 'To', 'MessageSid')), anyString).map(
    ([name, value]): FormChange => ({ kind: 'add', name, value }),
  ),
);

function changeForm(pairs: [string, string][], changes: FormChange[]): [string, string][] {
  let out = pairs.map((p) => [...p] as [string, string]);
  for (const c of changes) {
    if (c.kind === 'add') {
      out.push([c.name, c.value]);
      continue;
    }
    if (out.length === 0) continue;
    const i = c.at % out.length;
    if (c.kind === 'drop') out = out.filter((_, j) => j !== i);
    else if (c.kind === 'set') out[i] = [out[i]![0], c.value];
    else out.push([out[i]![0], c.value ?? out[i]![1]]);
  }
  return out;
}

/** A Twilio form body: a real one with a few changes, or any text at all. */
const twilioBody: fc.Arbitrary<{ path: string; text: string }> = fc.oneof(
  { weight: 9, arbitrary: fc.tuple(fc.constantFrom(...TWILIO_FORMS), fc.array(formChange, { maxLength: 3 })).map(([[path, pairs], changes]) => ({ path, text: new URLSearchParams(changeForm(pairs, changes)).toString() })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...TWILIO_FORMS.map(([p]) => p)), fc.oneof(anyString, fc.string({ unit: 'binary' }))).map(([path, text]) => ({ path, text })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('/webhooks/twilio/status?send=', '/webhooks/twilio/status?send=x&send=y', '/webhooks/twilio/sms?x=%ZZ', '/webhooks/twilio/status?send[a]=1'), fc.constantFrom(...TWILIO_FORMS)).map(([path, [, pairs]]) => ({ path, text: new URLSearchParams(pairs).toString() })) },
);

type TwilioSigning = 'good' | 'wrong-token' | 'none' | 'malformed' | 'other-url';

function twilioRequest(fz: FuzzBridge, signing: fc.Arbitrary<TwilioSigning>): fc.Arbitrary<{ req: RawRequest; signing: TwilioSigning }> {
  return fc.tuple(twilioBody, encoding, signing, contentType('application/x-www-form-urlencoded'), fc.string({ unit: 'grapheme-ascii', maxLength: 40 })).chain(([b, enc, signing, type, junkSig]) => {
    const { body, headers } = encodeBody(b.text, enc);
    const sig: [string, string][] =
      signing === 'good'
        ? [['X-Twilio-Signature', fz.twilioSignature(b.path, body)]]
        : signing === 'wrong-token'
          ? [['X-Twilio-Signature', fz.twilioSignature(b.path, body, `${TWILIO_AUTH_TOKEN}x`)]]
          : signing === 'other-url'
            ? [['X-Twilio-Signature', fz.twilioSignature('/webhooks/twilio/other', body)]]
            : signing === 'malformed'
              ? [['X-Twilio-Signature', junkSig]]
              : [];
    const sigHeaders = signing === 'good' ? fc.constant(sig) : mutatedHeaders(sig);
    return sigHeaders.map((s) => ({ req: { method: 'POST', path: b.path, headers: withContentType([...headers, ...s], type), body }, signing }));
  });
}

// --- 8x8 -------------------------------------------------------------------------------------
const EIGHTX8: unknown[] = [
  eightByEightInbound({ umid: 'u-1', from: CONTACT.slice(1), to: OUR.slice(1), body: 'hello' }),
  eightByEightInbound({ umid: 'u-2', from: CONTACT, to: OUR, body: 'pics', mediaUrls: [MEDIA, `${MEDIA}?2`] }),
  eightByEightStatus({ umid: 'u-3', state: 'delivered', clientMessageId: '0b7e4c5e-8a9f-4d7e-9c11-2f6b8f3a1d20' }),
  eightByEightStatus({ umid: 'u-4', state: 'undelivered', clientMessageId: '0b7e4c5e-8a9f-4d7e-9c11-2f6b8f3a1d20-r2', errorCode: '5', errorMessage: 'no route' }),
  { namespace: 'SMS', eventType: 'outbound_message_status_changed', payload: { umid: 'u-5', status: { state: 'weird' } } },
  { namespace: 'VOICE', eventType: 'call_status', payload: {} },
];

type Auth8x8 = 'good' | 'wrong' | 'none' | 'repeated';

function eightx8Request(auth: fc.Arbitrary<Auth8x8>): fc.Arbitrary<{ req: RawRequest; auth: Auth8x8 }> {
  return fc.tuple(jsonText(payloads(EIGHTX8)), encoding, auth, contentType('application/json'), fc.string({ unit: 'grapheme-ascii', maxLength: 40 })).chain(([text, enc, auth, type, junkAuth]) => {
    const { body, headers } = encodeBody(text, enc);
    const a: [string, string][] =
      auth === 'good' ? [['Authorization', EIGHTX8_AUTH]] : auth === 'wrong' ? [['Authorization', junkAuth]] : auth === 'repeated' ? [['Authorization', EIGHTX8_AUTH], ['Authorization', EIGHTX8_AUTH]] : [];
    const authHeaders = auth === 'good' ? fc.constant(a) : mutatedHeaders(a);
    return authHeaders.map((h) => ({ req: { method: 'POST', path: '/webhooks/8x8', headers: withContentType([...headers, ...h], type), body }, auth }));
  });
}

// ---------------------------------------------------------------------------------------------
const bridge = useFuzzBridge({ teams: 'anonymous' });

describe('SMS provider webhooks under fuzz', () => {
  // First, on a bridge nothing valid has reached yet: not one row may appear.
  fuzzIt(bridge, 'Twilio and 8x8 requests without valid credentials are refused (4xx) and store nothing', { runs: 300, budgetMs: 8_000 }, ({ fz, baseline }) =>
    fc.asyncProperty(
      fc.oneof(
        twilioRequest(fz, fc.constantFrom<TwilioSigning>('wrong-token', 'none', 'malformed', 'other-url')).map((r) => r.req),
        eightx8Request(fc.constantFrom<Auth8x8>('wrong', 'none')).map((r) => r.req),
      ),
      async (req) => {
        await expectRefused(fz, req, await fz.send(req), baseline);
      },
    ),
  );

  const twilio = new Tally();
  fuzzIt(
    bridge,
    'signed Twilio webhooks with mutated forms never get a 5xx',
    { runs: 500, budgetMs: 10_000 },
    ({ fz }) =>
      fc.asyncProperty(twilioRequest(fz, fc.constant<TwilioSigning>('good')), async ({ req }) => {
        const answer = await fz.send(req);
        twilio.add(`${req.path.split('?')[0]} ${answer.status}`);
        await expectHandled(fz, req, answer);
      }),
    () => twilio.print('signed Twilio'),
  );

  const eightx8 = new Tally();
  fuzzIt(
    bridge,
    'authorized 8x8 webhooks with mutated JSON never get a 5xx',
    { runs: 500, budgetMs: 10_000 },
    ({ fz }) =>
      fc.asyncProperty(eightx8Request(fc.oneof({ weight: 9, arbitrary: fc.constant<Auth8x8>('good') }, { weight: 1, arbitrary: fc.constant<Auth8x8>('repeated') })), async ({ req, auth }) => {
        const answer = await fz.send(req);
        eightx8.add(`${auth} ${answer.status}`);
        await expectHandled(fz, req, answer, { refusedOnHeaders: auth !== 'good' });
      }),
    () => eightx8.print('authorized 8x8'),
  );
});
