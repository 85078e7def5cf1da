// Keyset paging for admin lists: `?limit=&cursor=`; when more exist, `Link: <...>; rel="next"`
// names the next page (as GET /admin/api/conversations does). The cursor is opaque to callers:
// base64url of the last item's key, checked on the way back in (a bad one is a 422 naming it).

import type { Request, Response } from 'express';
import { z } from 'zod';
import { UnprocessableError } from '../http/errors.js';

export const cursorParam = z.string().trim().min(1, 'must not be empty').max(500, 'at most 500 characters');

export function encodeKey(key: string[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** The key a cursor holds (`size` strings), or a 422 on `cursor`. */
export function decodeKey(cursor: string, size: number): string[] {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key.length === size && key.every((k) => typeof k === 'string')) return key as string[];
  } catch {
    // fall through
  }
  throw new UnprocessableError('cursor: not a cursor this list handed out (take it from the Link header)', 'cursor');
}

/** Sets `Link: rel="next"` with the same query and the next cursor. */
export function linkNext(req: Request, res: Response, query: Record<string, string | undefined>, cursor: string): void {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, v);
  params.set('cursor', cursor);
  res.set('Link', `<${req.baseUrl}?${params.toString()}>; rel="next"`);
}
