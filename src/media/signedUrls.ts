// Signed, expiring links to stored media. Providers (Twilio MediaUrl, 8x8 mediaUrls) and Teams
// (image attachments) fetch our files without credentials of ours, so each link carries its own
// proof: HMAC-SHA256 over "<mediaId>.<expiry>" with a secret only this bridge knows. A link works
// for its lifetime and never otherwise; the secret never leaves the process.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MediaUrlSigner {
  /** Absolute URL under PUBLIC_URL that works for `ttlSeconds`. */
  sign(mediaId: string, ttlSeconds: number): string;
  /** True when `sig` is ours for (mediaId, exp) and exp has not passed. */
  verify(mediaId: string, exp: string | undefined, sig: string | undefined): boolean;
}

export function createMediaUrlSigner(opts: {
  secret: Buffer;
  publicUrl: string;
  now?: () => number;
}): MediaUrlSigner {
  const now = opts.now ?? Date.now;
  const base = opts.publicUrl.replace(/\/+$/, '');
  const mac = (mediaId: string, exp: number): string =>
    createHmac('sha256', opts.secret).update(`${mediaId}.${exp}`).digest('base64url');

  return {
    sign(mediaId, ttlSeconds) {
      const exp = Math.floor(now() / 1000) + Math.max(1, Math.floor(ttlSeconds));
      return `${base}/media/${encodeURIComponent(mediaId)}?exp=${exp}&sig=${mac(mediaId, exp)}`;
    },
    verify(mediaId, exp, sig) {
      if (!exp || !sig || !/^\d{1,12}$/.test(exp)) return false;
      const expiry = Number(exp);
      if (expiry * 1000 <= now()) return false;
      const expected = Buffer.from(mac(mediaId, expiry));
      const given = Buffer.from(sig);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

/**
 * The signing secret: MEDIA_SIGNING_SECRET when configured, else one generated on first start
 * and kept in DATA_DIR so links handed out before a restart keep working after it.
 */
export function loadMediaSecret(dataDir: string, configured?: string | null): Buffer {
  if (configured) return Buffer.from(configured, 'utf8');
  const file = join(dataDir, 'media-signing.key');
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8').trim();
    const secret = Buffer.from(text, 'base64');
    // An empty or cut key would let anyone sign links (an HMAC with a 0-byte key is public).
    if (secret.length < MIN_SECRET_BYTES || secret.toString('base64') !== text) {
      throw new Error(
        `${file} does not hold a media signing key (${MIN_SECRET_BYTES}+ bytes, base64). Delete it to have a new one made (media links handed out before stop working), or set MEDIA_SIGNING_SECRET.`,
      );
    }
    return secret;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32);
  // Written aside and renamed: a crash or a full disk never leaves a half-written key behind.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, secret.toString('base64'), { mode: 0o600 });
  renameSync(tmp, file);
  return secret;
}

/** Shortest generated key accepted from DATA_DIR (a generated one has 32 bytes). */
const MIN_SECRET_BYTES = 32;
