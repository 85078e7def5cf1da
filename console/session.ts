// Who is signed in. A console session is a cookie the page cannot read (HttpOnly): the page only
// asks GET /admin/session whether it has one and which name it carries.
import { api, useBearer, usingBearer } from './api';

export interface Session {
  name: string;
  expiresAt: string | null;
  /** True when the bridge has no session route and the token is held in this tab's memory. */
  memoryOnly: boolean;
}

export type SessionCheck = { session: Session } | { session: null; sessionsAvailable: boolean };

export async function currentSession(): Promise<SessionCheck> {
  const r = await api<{ name: string; expiresAt: string }>('GET', '/admin/session', { quiet401: true });
  if (r.ok && typeof r.data?.name === 'string') return { session: { name: r.data.name, expiresAt: r.data.expiresAt, memoryOnly: false } };
  return { session: null, sessionsAvailable: !r.ok ? !r.unavailable : false };
}

export type SignInResult = { ok: true; session: Session } | { ok: false; message: string };

export async function signIn(credential: { token: string } | { code: string }, name: string): Promise<SignInResult> {
  const r = await api<{ name: string; expiresAt: string }>('POST', '/admin/session', { body: { ...credential, name }, quiet401: true });
  if (r.ok && typeof r.data?.name === 'string') return { ok: true, session: { name: r.data.name, expiresAt: r.data.expiresAt, memoryOnly: false } };
  if (!r.ok && !r.unavailable) {
    return { ok: false, message: r.status === 401 ? (('code' in credential) ? 'That sign-in code is wrong, used or expired.' : 'That token is not right.') : r.error.message };
  }
  // An older bridge: no sessions. A token still works, held in memory for this tab only.
  if (!('token' in credential)) return { ok: false, message: 'This bridge does not accept sign-in codes; use the admin token.' };
  useBearer(credential.token, name);
  const check = await api('GET', '/admin/api/policy', { quiet401: true });
  if (check.ok) return { ok: true, session: { name, expiresAt: null, memoryOnly: true } };
  useBearer(null, null);
  return { ok: false, message: check.status === 401 ? 'That token is not right.' : check.error.message };
}

export async function signOut(): Promise<void> {
  if (usingBearer()) useBearer(null, null);
  else await api('DELETE', '/admin/session', { quiet401: true });
}
