// What every fuzzed request must show: an answer below 500, a bridge that still answers /healthz
// afterwards, and (for requests without valid credentials) not one row more or less anywhere.

import { gunzipSync } from 'node:zlib';
import type { FuzzBridge } from './fuzzBridge.js';
import type { RawAnswer, RawRequest } from './rawRequest.js';

/** " (claims: {...})" for a bearer JWT, so a failing token can be read. */
function jwtClaims(value: string): string {
  const m = /^Bearer\s+[\w-]+\.([\w-]+)\.[\w-]*$/.exec(value);
  if (!m) return '';
  try {
    return ` (claims: ${Buffer.from(m[1]!, 'base64url').toString('utf8').slice(0, 600)})`;
  } catch {
    return '';
  }
}

/** The request in a few lines, for a failure message (long bodies cut). */
export function describeRequest(req: RawRequest): string {
  let body = req.body ?? Buffer.alloc(0);
  if (req.headers.some(([k, v]) => k.toLowerCase() === 'content-encoding' && v === 'gzip')) {
    try {
      body = Buffer.concat([Buffer.from('(gunzipped) '), gunzipSync(body)]);
    } catch {
      // not gzip after all: shown as sent
    }
  }
  const shown = body.length > 600 ? `${body.subarray(0, 600).toString('utf8')}... (${body.length} bytes)` : body.toString('utf8');
  return `${req.method} ${req.path}\n${req.headers.map(([k, v]) => `${k}: ${v.length > 120 ? `${v.slice(0, 120)}...` : v}${jwtClaims(v)}`).join('\n')}\n\n${shown}`;
}

/**
 * Throws unless the answer is a real HTTP answer below 500 and /healthz still answers.
 * `refusedOnHeaders`: the route may answer and drop the connection before reading the body (no
 * credentials), so a connection reset after (or instead of) the answer is expected.
 */
export async function expectHandled(fz: FuzzBridge, req: RawRequest, answer: RawAnswer, opts: { refusedOnHeaders?: boolean } = {}): Promise<void> {
  if (answer.status >= 500) {
    throw new Error(`answered ${answer.status} to:\n${describeRequest(req)}\n\nanswer:\n${answer.text.slice(0, 1500)}`);
  }
  if (answer.status === 0 && !(opts.refusedOnHeaders && answer.broken)) {
    throw new Error(`no HTTP answer (connection ${answer.broken ? 'reset' : 'closed'}) to:\n${describeRequest(req)}`);
  }
  await fz.assertAlive();
}

/** Throws when any table's row count differs from `before`. */
export function expectNothingStored(fz: FuzzBridge, before: Record<string, number>, req: RawRequest): void {
  const after = fz.rowCounts();
  const changed = Object.keys({ ...before, ...after }).filter((t) => before[t] !== after[t]);
  if (changed.length > 0) {
    throw new Error(
      `a request without valid credentials changed ${changed.map((t) => `${t} (${before[t]} -> ${after[t]})`).join(', ')}:\n${describeRequest(req)}`,
    );
  }
}

/**
 * For a request without valid credentials: a refusal (4xx, or a connection dropped by a route
 * that refuses on the headers), a bridge still alive, and every table as it was in `baseline`.
 * `alsoFine` names other answers that change nothing (OPTIONS, which express answers itself).
 */
export async function expectRefused(
  fz: FuzzBridge,
  req: RawRequest,
  answer: RawAnswer,
  baseline: Record<string, number>,
  alsoFine: (answer: RawAnswer) => boolean = () => false,
): Promise<void> {
  await expectHandled(fz, req, answer, { refusedOnHeaders: true });
  const refused = answer.status === 0 || (answer.status >= 400 && answer.status < 500);
  if (!refused && !alsoFine(answer)) throw new Error(`answered ${answer.status} to a request without valid credentials:\n${describeRequest(req)}`);
  expectNothingStored(fz, baseline, req);
}
