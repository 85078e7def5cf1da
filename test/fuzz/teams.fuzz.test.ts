// POST /api/messages under fuzz, Teams in anonymous mode (no token needed, so every mutated
// activity reaches the shape check, the trust rules and the handlers): every kind of activity
// with fields dropped, retyped, wrapped or added at any depth, in other encodings and content
// types. Never a 5xx, and the bridge keeps answering. (Token checks: teamsJwt.fuzz.test.ts.)

import fc from 'fast-check';
import { describe } from 'vitest';
import { contentType, encodeBody, encoding, jsonText, mutatedHeaders, payloads, withContentType } from './support/arbitraries.js';
import { useFuzzBridge } from './support/fuzzBridge.js';
import { fuzzIt, Tally } from './support/fuzzRun.js';
import type { RawRequest } from './support/rawRequest.js';
import { teamsActivities } from './support/teamsActivities.js';
import { expectHandled } from './support/verdict.js';

const bridge = useFuzzBridge({ teams: 'anonymous' }, async (fz) => {
  fz.connector.setTeamChannels('19:team-general@thread.tacv2', [{ id: '19:team-general@thread.tacv2' }, { id: '19:sales-channel@thread.tacv2', name: 'Sales' }]);
});

function teamsRequest(activities: unknown[]): fc.Arbitrary<{ req: RawRequest; kind: string }> {
  return fc
    .tuple(jsonText(payloads(activities)), encoding, contentType('application/json'), mutatedHeaders([['Accept', 'application/json']]))
    .map(([text, enc, type, headers]) => {
      const { body, headers: encHeaders } = encodeBody(text, enc);
      let kind = 'other';
      try {
        const v = JSON.parse(text) as { type?: unknown };
        kind = typeof v?.type === 'string' ? v.type.slice(0, 20) : 'no-type';
      } catch {
        kind = 'not-json';
      }
      return { req: { method: 'POST', path: '/api/messages', headers: withContentType([...encHeaders, ...headers], type), body }, kind };
    });
}

describe('POST /api/messages (anonymous Teams) under fuzz', () => {
  const tally = new Tally();
  fuzzIt(
    bridge,
    'mutated activities of every kind never get a 5xx',
    { runs: 1_000, budgetMs: 12_000 },
    ({ fz }) =>
      fc.asyncProperty(teamsRequest(teamsActivities(fz.connector.serviceUrl)), async ({ req, kind }) => {
        const answer = await fz.send(req);
        tally.add(`${kind} ${answer.status}`);
        await expectHandled(fz, req, answer);
      }),
    () => tally.print('anonymous Teams'),
  );
});
