// Who is making an admin request. The admin guard (auth.ts) sets it once a request is let in:
// a signed-in console session carries the name the admin gave at sign-in and its session id; a
// script using the bearer token is "admin" (or the name in X-Admin-Name) with no session.
// Replies written in the web inbox and audit entries are attributed to this name.

import type { Response } from 'express';

export interface AdminIdentity {
  /** The person's name as given at sign-in; "admin" for a bearer token without X-Admin-Name. */
  name: string;
  /** The console session (unread counts are per session); null for bearer-token requests. */
  sessionId: string | null;
}

const KEY = 'adminIdentity';

export function setAdminIdentity(res: Response, identity: AdminIdentity): void {
  res.locals[KEY] = identity;
}

/** The identity the guard recorded; "admin" without a session when none was (tests mounting routers bare). */
export function adminIdentity(res: Response): AdminIdentity {
  const found = res.locals[KEY] as AdminIdentity | undefined;
  return found ?? { name: 'admin', sessionId: null };
}
