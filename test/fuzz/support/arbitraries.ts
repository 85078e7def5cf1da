// Generators shared by the fuzz properties: values of the wrong type for any field, mutations of
// a valid payload (fields dropped, retyped, wrapped, added), JSON text with duplicate keys or cut
// short, bodies in other encodings and charsets, and header lists with headers missing,
// repeated or emptied. Route families build their own requests from these.

import { gzipSync } from 'node:zlib';
import fc from 'fast-check';

/** Strings that have broken parsers somewhere: NUL, lone surrogates, bidi overrides, injections. */
export const nastyString: fc.Arbitrary<string> = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\uD800',
  '\uDFFF\uD800',
  '\u202Eevil',
  '🙂🙂🙂',
  '%00',
  '%E0%A4%A',
  '../../../etc/passwd',
  '<script>alert(1)</script>',
  "'; DROP TABLE messages; --",
  'null',
  'undefined',
  '__proto__',
  'constructor',
  '1e400',
  'NaN',
  '-0',
  '+14155552671',
  '+1 (415) 555-2671',
  'true',
  '{}',
  '[]',
  'http://169.254.169.254/latest/meta-data/',
  'file:///etc/passwd',
);

/** A string far longer than any field holds (up to past the 64 KB webhook caps). */
export const hugeString: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 1_000, max: 80_000 }), fc.constantFrom('x', 'é', '🙂', '\u0000', '%'))
  .map(([n, c]) => c.repeat(Math.ceil(n / c.length)));

export const anyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 3, arbitrary: nastyString },
  { weight: 1, arbitrary: hugeString },
);

const scalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.constantFrom(0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -0),
  anyString,
);

/** Field names, with the ones that hurt objects used as maps. */
export const fieldName: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'length', ''),
);

/** What a field should never hold: every JSON type, nested containers, huge and hostile strings. */
export const junk: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(fieldName, scalar, { maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

type Json = unknown;
type Path = (string | number)[];

function isContainer(v: unknown): v is Record<string, unknown> | unknown[] {
  return typeof v === 'object' && v !== null;
}

/** Every path into `v` (objects and arrays), the root excluded, at most `depth` deep. */
export function pathsOf(v: Json, depth = 5, prefix: Path = []): Path[] {
  if (!isContainer(v) || depth === 0) return [];
  const out: Path[] = [];
  const keys: (string | number)[] = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
  for (const k of keys) {
    const p = [...prefix, k];
    out.push(p, ...pathsOf((v as Record<string | number, unknown>)[k], depth - 1, p));
  }
  return out;
}

type Mutation =
  | { kind: 'drop' }
  | { kind: 'set'; value: unknown }
  | { kind: 'wrap' }
  | { kind: 'stringify' }
  | { kind: 'add'; key: string; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<Mutation>({ kind: 'drop' }) },
  { weight: 5, arbitrary: junk.map((value): Mutation => ({ kind: 'set', value })) },
  { weight: 1, arbitrary: fc.constant<Mutation>({ kind: 'wrap' }) },
  { weight: 1, arbitrary: fc.constant<Mutation>({ kind: 'stringify' }) },
  { weight: 1, arbitrary: fc.tuple(fieldName, junk).map(([key, value]): Mutation => ({ kind: 'add', key, value })) },
);

/** Sets an own property, even one named __proto__ (a plain assignment would change the prototype). */
function setOwn(target: Record<string | number, unknown>, key: string | number, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function applyMutation(root: Json, path: Path, m: Mutation): Json {
  if (path.length === 0) return root;
  const parent = path.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], root) as Record<string | number, unknown>;
  const key = path[path.length - 1]!;
  switch (m.kind) {
    case 'drop':
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
      break;
    case 'set':
      setOwn(parent, key, m.value);
      break;
    case 'wrap':
      setOwn(parent, key, [parent[key]]);
      break;
    case 'stringify':
      setOwn(parent, key, JSON.stringify(parent[key]) ?? 'undefined');
      break;
    case 'add': {
      const target = parent[key];
      const inner: Record<string, unknown> = isContainer(target) && !Array.isArray(target) ? target : {};
      setOwn(inner, m.key, m.value);
      setOwn(parent, key, inner);
      break;
    }
  }
  return root;
}

/** `valid` with one to four of its fields (at any depth) dropped, retyped, wrapped or added to. */
export function mutated(valid: Json): fc.Arbitrary<Json> {
  // Mostly one change, so the rest of the payload stays valid and the change reaches its reader.
  const changes = fc.oneof({ weight: 3, arbitrary: fc.tuple(fc.nat(), mutation).map((m) => [m]) }, { weight: 1, arbitrary: fc.array(fc.tuple(fc.nat(), mutation), { minLength: 2, maxLength: 4 }) });
  return changes.map((ms) => {
    let v = structuredClone(valid);
    for (const [pick, m] of ms) {
      const paths = pathsOf(v);
      if (paths.length === 0) break;
      v = applyMutation(v, paths[pick % paths.length]!, m);
    }
    return v;
  });
}

/** Mutated copies of the valid payloads mostly, and now and then anything at all. */
export function payloads(valid: Json[]): fc.Arbitrary<Json> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...valid) },
    { weight: 8, arbitrary: fc.constantFrom(...valid).chain(mutated) },
    { weight: 1, arbitrary: junk },
  );
}

/** JSON text of `value`, sometimes with a repeated top-level key, cut short or not JSON at all. */
export function jsonText(value: fc.Arbitrary<Json>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 8, arbitrary: value.map((v) => JSON.stringify(v) ?? 'undefined') },
    {
      weight: 1,
      // {"k": junk, ...rest} or {...rest, "k": junk}: parsers disagree on which copy wins.
      arbitrary: fc.tuple(value, fieldName, junk, fc.boolean()).map(([v, k, j, first]) => {
        const text = JSON.stringify(v) ?? 'null';
        if (!text.startsWith('{') || text === '{}') return text;
        const extra = `${JSON.stringify(k)}:${JSON.stringify(j)}`;
        return first ? `{${extra},${text.slice(1)}` : `${text.slice(0, -1)},${extra}}`;
      }),
    },
    { weight: 1, arbitrary: fc.tuple(value, fc.nat()).map(([v, n]) => { const t = JSON.stringify(v) ?? ''; return t.slice(0, n % (t.length + 1)); }) },
    { weight: 1, arbitrary: fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), nastyString) },
  );
}

export type Encoding = 'utf8' | 'utf16le-bom' | 'latin1' | 'gzip' | 'gzip-header-only' | 'deflate-header-only' | 'br-header-only' | 'unknown-encoding' | 'bom-utf8';

export const encoding: fc.Arbitrary<Encoding> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<Encoding>('utf8') },
  {
    weight: 2,
    arbitrary: fc.constantFrom<Encoding>('utf16le-bom', 'latin1', 'gzip', 'gzip-header-only', 'deflate-header-only', 'br-header-only', 'unknown-encoding', 'bom-utf8'),
  },
);

/** The body bytes of `text` in `enc`, with the Content-Encoding header it needs (if any). */
export function encodeBody(text: string, enc: Encoding): { body: Buffer; headers: [string, string][] } {
  switch (enc) {
    case 'utf8':
      return { body: Buffer.from(text, 'utf8'), headers: [] };
    case 'bom-utf8':
      return { body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]), headers: [] };
    case 'utf16le-bom':
      return { body: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]), headers: [] };
    case 'latin1':
      return { body: Buffer.from(text, 'latin1'), headers: [] };
    case 'gzip':
      return { body: gzipSync(Buffer.from(text, 'utf8')), headers: [['Content-Encoding', 'gzip']] };
    case 'gzip-header-only':
      return { body: Buffer.from(text, 'utf8'), headers: [['Content-Encoding', 'gzip']] };
    case 'deflate-header-only':
      return { body: Buffer.from(text, 'utf8'), headers: [['Content-Encoding', 'deflate']] };
    case 'br-header-only':
      return { body: Buffer.from(text, 'utf8'), headers: [['Content-Encoding', 'br']] };
    case 'unknown-encoding':
      return { body: Buffer.from(text, 'utf8'), headers: [['Content-Encoding', 'x-snappy, identity']] };
  }
}

/** A content type: mostly `preferred`, sometimes another type, charset or spelling. */
export function contentType(preferred: string): fc.Arbitrary<string | null> {
  return fc.oneof(
    { weight: 10, arbitrary: fc.constant(preferred) },
    {
      weight: 3,
      arbitrary: fc.constantFrom<string | null>(
        null,
        '',
        'application/json',
        'application/json; charset=utf-8',
        'application/json; charset=utf-16',
        'application/json; charset=latin1',
        'application/json; charset="bogus"',
        'APPLICATION/JSON',
        'application/vnd.api+json',
        'application/x-www-form-urlencoded',
        'application/x-www-form-urlencoded; charset=utf-8',
        'application/x-www-form-urlencoded; charset=iso-8859-1',
        'multipart/form-data; boundary=xyz',
        'text/plain',
        'text/xml',
        'application/octet-stream',
        '*/*',
        ';;;',
        'application/json, text/plain',
      ),
    },
  );
}

type HeaderOp = { kind: 'drop'; at: number } | { kind: 'duplicate'; at: number; value: string | null } | { kind: 'empty'; at: number } | { kind: 'case'; at: number };

const headerValue: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
  fc.constantFrom('', 'Bearer', 'Bearer a.b.c', 'v0=', 'Basic Og==', '0', '-1', '99999999999999'),
);

/**
 * `headers`, and sometimes one of them dropped, repeated (same or another value), emptied or
 * spelled in another case. Values stay printable ASCII: Node's own parser refuses the rest.
 */
export function mutatedHeaders(headers: [string, string][]): fc.Arbitrary<[string, string][]> {
  const op: fc.Arbitrary<HeaderOp> = fc.oneof(
    fc.nat().map((at): HeaderOp => ({ kind: 'drop', at })),
    fc.tuple(fc.nat(), fc.option(headerValue)).map(([at, value]): HeaderOp => ({ kind: 'duplicate', at, value })),
    fc.nat().map((at): HeaderOp => ({ kind: 'empty', at })),
    fc.nat().map((at): HeaderOp => ({ kind: 'case', at })),
  );
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(headers) },
    {
      weight: 1,
      arbitrary: fc.array(op, { minLength: 1, maxLength: 2 }).map((ops) => {
        let hs = headers.map((h) => [...h] as [string, string]);
        for (const o of ops) {
          if (hs.length === 0) break;
          const i = o.at % hs.length;
          const [name, value] = hs[i]!;
          if (o.kind === 'drop') hs = hs.filter((_, j) => j !== i);
          else if (o.kind === 'duplicate') hs.push([name, o.value ?? value]);
          else if (o.kind === 'empty') hs[i] = [name, ''];
          else hs[i] = [name.toUpperCase(), value];
        }
        return hs;
      }),
    },
  );
}

/** Adds the content type (when not null) to a header list. */
export function withContentType(headers: [string, string][], type: string | null): [string, string][] {
  return type === null ? headers : [['Content-Type', type], ...headers];
}

/** Percent-encodes any string byte by byte (encodeURIComponent throws on lone surrogates). */
export function percentEncode(s: string): string {
  return [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}
