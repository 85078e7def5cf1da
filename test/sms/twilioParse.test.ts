import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/errors.js';
import { formParams, mapTwilioStatus, parseTwilioInbound, parseTwilioStatus } from '../../adapters/sms/twilio/parse.js';
import { twilioInboundParams } from '../fakes/twilioFake.js';

const params = (p: Record<string, string>) => Object.entries(p);

describe('Twilio webhook parsing', () => {
  it('reads an MMS with media numbered from 0, and the segment count', () => {
    const sms = parseTwilioInbound(
      params(
        twilioInboundParams({
          sid: 'MM1',
          from: '+14158675309',
          to: '+14156901234',
          body: 'pics',
          media: [
            { url: 'https://api.twilio.com/a', contentType: 'image/jpeg' },
            { url: 'https://api.twilio.com/b', contentType: 'image/gif' },
          ],
        }),
      ),
    );
    expect(sms).toMatchObject({
      provider: 'twilio',
      providerMessageId: 'MM1',
      from: '+14158675309',
      to: '+14156901234',
      body: 'pics',
      numSegments: 1,
      media: [
        { url: 'https://api.twilio.com/a', contentType: 'image/jpeg' },
        { url: 'https://api.twilio.com/b', contentType: 'image/gif' },
      ],
    });
  });

  it('keeps form-encoded text exactly (plus signs, emoji, newlines)', () => {
    const raw = new URLSearchParams({ MessageSid: 'SM1', From: '+1 415', To: '+14156901234', Body: 'a+b = c\n🎉' }).toString();
    expect(parseTwilioInbound(formParams(raw)).body).toBe('a+b = c\n🎉');
  });

  it.each(['MessageSid', 'From', 'To'])('names the missing field %s', (field) => {
    const p = params(twilioInboundParams({ sid: 'SM1', from: '+14158675309', to: '+14156901234', body: 'x' })).filter(([k]) => k !== field);
    const err = (() => {
      try {
        parseTwilioInbound(p);
        return null;
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).field).toBe(field);
  });

  it('refuses a NumMedia that is not a count, or media links that are missing', () => {
    const base = params(twilioInboundParams({ sid: 'SM1', from: '+14158675309', to: '+14156901234', body: 'x' }));
    const withNum = (n: string) => base.map(([k, v]): [string, string] => (k === 'NumMedia' ? [k, n] : [k, v]));
    expect(() => parseTwilioInbound(withNum('-1'))).toThrow(InvalidInputError);
    expect(() => parseTwilioInbound(withNum('11'))).toThrow(InvalidInputError);
    expect(() => parseTwilioInbound(withNum('2'))).toThrow(/MediaUrl0/);
  });

  it.each(['From', 'To', 'Body', 'MessageSid', 'NumMedia', 'MediaUrl0', 'MediaContentType0', 'NumSegments'])(
    'refuses an inbound webhook that repeats %s, a field it reads, naming it',
    (field) => {
      const base = params(twilioInboundParams({ sid: 'SM1', from: '+14158675309', to: '+14156901234', body: 'x', media: [{ url: 'https://api.twilio.com/m/ME1', contentType: 'image/png' }] }));
      const original = base.find(([k]) => k === field);
      expect(original).toBeDefined(); // every field checked here is one Twilio sends
      const twice: Array<[string, string]> = [...base, [field, field === 'NumMedia' ? '0' : 'other']];
      expect(() => parseTwilioInbound(twice)).toThrow(new RegExp(`${field} more than once`));
      expect(() => parseTwilioInbound(base)).not.toThrow();
    },
  );

  it('refuses a status callback that repeats MessageStatus or ErrorCode, and ignores repeats of fields it does not read', () => {
    const base: Array<[string, string]> = [['MessageSid', 'SM1'], ['MessageStatus', 'failed'], ['ErrorCode', '30003']];
    expect(() => parseTwilioStatus([...base, ['MessageStatus', 'delivered']])).toThrow(InvalidInputError);
    expect(() => parseTwilioStatus([...base, ['ErrorCode', '21610']])).toThrow(/ErrorCode more than once/);
    expect(parseTwilioStatus([...base, ['ApiVersion', '2010-04-01'], ['ApiVersion', '2010-04-01']])).toMatchObject({ status: 'failed', errorCode: '30003' });
  });

  it('maps every Twilio MessageStatus onto ours, ignoring inbound-side statuses', () => {
    expect(['accepted', 'scheduled', 'queued', 'sending', 'sent', 'delivered', 'read', 'undelivered', 'failed', 'canceled', 'received'].map(mapTwilioStatus)).toEqual([
      'queued', 'queued', 'queued', 'sending', 'sent', 'delivered', 'delivered', 'undelivered', 'failed', 'failed', null,
    ]);
  });

  it('reads a failed status callback with its error code and a human reason', () => {
    const u = parseTwilioStatus(params({ MessageSid: 'SM9', MessageStatus: 'undelivered', ErrorCode: '30007' }));
    expect(u).toEqual({ provider: 'twilio', providerMessageId: 'SM9', status: 'undelivered', errorCode: '30007', reason: 'the carrier filtered the message as spam' });
  });
});
