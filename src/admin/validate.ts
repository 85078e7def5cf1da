// Request validation for the admin API: zod schemas, with the first problem reported as one
// field-level 422 `{error: {code: 'invalid_input', message, field}}`. Phone numbers are parsed
// with the core (any common format in, E.164 out; 400 when they do not parse).

import { z } from 'zod';
import { toE164 } from '../core/phone.js';
import { UnprocessableError } from '../http/errors.js';

export function parseWith<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  // An unknown field has an empty path (it is the object's problem): name the first such key.
  const path = issue?.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] as string] : (issue?.path ?? []);
  const field = path.length > 0 ? path.join('.') : undefined;
  const message = issue ? describe(issue) : 'invalid input';
  // "unknown field(s) a, b" names the fields itself; other problems are prefixed with theirs.
  const named = field && issue?.code !== 'unrecognized_keys' ? `${field}: ${message}` : message;
  throw new UnprocessableError(named, field);
}

function describe(issue: z.ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_type' && issue.received === 'undefined') return 'is required';
  return issue.message;
}

/** The body must be a JSON object, not an array or a bare value. */
export function objectBody(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new UnprocessableError('The body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

/** E.164 from any common format; InvalidInputError (400) naming the field when it does not parse. */
export function phoneField(value: string, field: string): string {
  return toE164(value, field);
}

/** `?limit=` as a bounded integer. */
export function limitParam(raw: unknown, fallback = 100, max = 1000): number {
  if (raw === undefined) return fallback;
  const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new UnprocessableError(`limit: expected an integer 1-${max}`, 'limit');
  }
  return n;
}

export const nonEmpty = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `at most ${max} characters`);
