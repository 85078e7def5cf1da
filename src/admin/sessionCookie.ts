// The console's session cookie: its name and attributes, how long a session lasts, and reading
// it back from the Cookie header (express parses no cookies itself; one name is all we need).
//
// Lifetime: a session ends after 12 hours without a request (a browser left open overnight must
// sign in again the next day) and 7 days after sign-in whatever happens (a stolen cookie is not
// good forever). Use pushes the idle limit forward at most once a minute (one write, not one per
// request).

import type { CookieOptions } from 'express';

export const SESSION_COOKIE = 'smsb_session';
export const SESSION_IDLE_MS = 12 * 3600_000;
export const SESSION_MAX_MS = 7 * 24 * 3600_000;
export const SESSION_TOUCH_AFTER_MS = 60_000;

/** HttpOnly (no page script reads it), SameSite=Strict, only sent to /admin; Secure behind https. */
export function sessionCookieOptions(publicUrl: string): CookieOptions {
  return { httpOnly: true, sameSite: 'strict', path: '/admin', secure: publicUrl.startsWith('https:') };
}

/** The session cookie's value in a Cookie header, or null. */
export function readSessionCookie(header: string | undefined): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    // Our values are base64url; anything else is not one of ours.
    return /^[A-Za-z0-9_-]{1,200}$/.test(value) ? value : null;
  }
  return null;
}
