// A local trial (no ADMIN_TOKEN, PUBLIC_URL on loopback): the bridge makes its own admin token,
// keeps it in DATA_DIR/admin-token (mode 0600, reused by the next start, never printed or
// logged), and prints a one-time sign-in code with the console URL instead, as Jupyter does.
// Anywhere else, no ADMIN_TOKEN still means a closed admin API.

import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isLoopbackUrl, type Config } from '../config.js';
import type { ConsoleSessionRepo } from '../core/ports.js';

export const TRIAL_TOKEN_FILE = 'admin-token';
/** How long a printed sign-in code may be used (once). */
export const SIGN_IN_CODE_TTL_MS = 10 * 60_000;

/** True when this start is a local trial: no ADMIN_TOKEN and a loopback PUBLIC_URL. */
export function isTrial(config: Pick<Config, 'adminToken' | 'publicUrl'>): boolean {
  return !config.adminToken && isLoopbackUrl(config.publicUrl);
}

/** The trial's admin token: the one in DATA_DIR/admin-token, or a new one written there. */
export async function trialAdminToken(dataDir: string): Promise<string> {
  const file = path.join(dataDir, TRIAL_TOKEN_FILE);
  try {
    const kept = (await readFile(file, 'utf8')).trim();
    if (kept.length >= 32) {
      await chmod(file, 0o600); // in case someone loosened it
      return kept;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = randomBytes(32).toString('base64url');
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  await chmod(file, 0o600); // writeFile's mode applies to a new file only
  return token;
}

/** A one-time sign-in code, valid for SIGN_IN_CODE_TTL_MS; only its digest is stored. */
export async function issueSignInCode(sessions: Pick<ConsoleSessionRepo, 'addCode'>): Promise<{ code: string; expiresAt: string }> {
  const code = randomBytes(16).toString('base64url');
  return { code, expiresAt: await sessions.addCode(code, SIGN_IN_CODE_TTL_MS) };
}

/** Where the printed code signs in: the console with the code in its query. */
export function signInUrl(publicUrl: string, code: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/admin/?code=${encodeURIComponent(code)}`;
}
