// Who is signed in. A console session is a cookie the page cannot read (HttpOnly): the page only
// asks GET /admin/session whether it has one and which name it carries.
import { api } from './api';

export interface Session {
  name: string;
  expiresAt: string;
}

/** The session this browser holds, or null (not signed in, expired, signed out). */
export async function currentSession(): Promise<Session | null> {
  const r = await api<Session>('GET', '/admin/session', { quiet401: true });
  return r.ok && typeof r.data?.name === 'string' ? { name: r.data.name, expiresAt: r.data.expiresAt } : null;
}

export type SignInResult = { ok: true; session: Session } | { ok: false; message: string };

export async function signIn(credential: { token: string } | { code: string }, name: string): Promise<SignInResult> {
  const r = await api<{ name: string; expiresAt: string }>('POST', '/admin/session', { body: { ...credential, name }, quiet401: true });
  if (r.ok && typeof r.data?.name === 'string') return { ok: true, session: { name: r.data.name, expiresAt: r.data.expiresAt } };
  if (r.ok) return { ok: false, message: 'The bridge answered the sign-in without a session.' };
  if (r.status === 401) return { ok: false, message: 'code' in credential ? 'That sign-in code is wrong, used or expired.' : 'That token is not right.' };
  return { ok: false, message: r.error.message };
}

export async function signOut(): Promise<void> {
  await api('DELETE', '/admin/session', { quiet401: true });
}
