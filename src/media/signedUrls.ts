// Signed, expiring links to stored media. Providers (Twilio MediaUrl, 8x8 mediaUrls) and Teams
// (image attachments) fetch our files without credentials of ours, so each link carries its own
// proof: HMAC-SHA256 over "<mediaId>.<expiry>" with a secret only this bridge knows. A link works
// for its lifetime and never otherwise. Every instance on one database signs with the same
// secret (see loadMediaSecret), so a link one makes is served by any other.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.js';

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

/** Where the generated key is kept for every instance (settings table). */
export const MEDIA_SECRET_SETTING = 'media_signing_key';
/** The file older versions kept the generated key in, under DATA_DIR. */
export const LEGACY_SECRET_FILE = 'media-signing.key';

/** The settings the key is shared through (the store's settings repo). */
export interface SharedSettings {
  putIfAbsent(key: string, value: string): Promise<string>;
}

/**
 * The signing secret: MEDIA_SIGNING_SECRET when configured. Otherwise one key for every instance
 * on the database, kept in the store's settings: the first instance to start makes it (two
 * starting at once agree, the first insert wins). A key an older version kept in
 * DATA_DIR/media-signing.key is taken over when the store has none yet, so links handed out
 * before the upgrade keep working after it.
 */
export async function loadMediaSecret(deps: { settings: SharedSettings; dataDir: string; configured?: string | null }): Promise<Buffer> {
  if (deps.configured) return Buffer.from(deps.configured, 'utf8');
  const legacy = readLegacyKey(join(deps.dataDir, LEGACY_SECRET_FILE));
  const offered = legacy ?? randomBytes(32).toString('base64');
  const stored = await deps.settings.putIfAbsent(MEDIA_SECRET_SETTING, offered);
  return parseKey(stored, `the stored setting ${MEDIA_SECRET_SETTING}`);
}

function readLegacyKey(file: string): string | null {
  if (!existsSync(file)) return null;
  const text = readFileSync(file, 'utf8').trim();
  parseKey(text, file);
  return text;
}

function parseKey(text: string, where: string): Buffer {
  const secret = Buffer.from(text, 'base64');
  // An empty or cut key would let anyone sign links (an HMAC with a 0-byte key is public).
  if (secret.length < MIN_SECRET_BYTES || secret.toString('base64') !== text) {
    throw new ConfigError(
      `${where} does not hold a media signing key (${MIN_SECRET_BYTES}+ bytes, base64). Remove it to have a new one made (media links handed out before stop working), or set MEDIA_SIGNING_SECRET.`,
    );
  }
  return secret;
}

/** Shortest generated key accepted (a generated one has 32 bytes). */
const MIN_SECRET_BYTES = 32;
