// One guarded HTTP download: follows redirects by hand (each hop re-checked against the
// provider's hosts, credentials only to the provider's own auth hosts), refuses non-public
// addresses at connect time (no DNS-rebinding gap), reads the body into memory under a byte cap
// (an MMS file is a few MB at most; the caller keeps it in the store), and gives up at one
// deadline for the whole download (every hop, headers and body).
import http from 'node:http';
import https from 'node:https';
import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isNonPublicAddress } from './addresses.js';
import { matchingRule, type HostRule, type MediaSourcePolicy } from './hostRules.js';

export const OUTSIDE_PROVIDER = 'media link pointed outside the provider';

/**
 * How long one media download may take in all: connecting, redirects, headers and body. An MMS
 * file is at most a few MB, seconds on any working link; a host that trickles a byte a second
 * must not hold the conversation (its later messages wait behind this one) for long.
 */
export const MEDIA_DOWNLOAD_DEADLINE_MS = 30_000;

export type DownloadResult =
  | { ok: true; size: number; contentType: string; bytes: Buffer }
  | { ok: false; kind: 'refused' | 'failed'; transient: boolean; reason: string };

export interface DownloadOptions {
  url: string;
  source: MediaSourcePolicy;
  /** Declared by the provider in the webhook; null/empty/octet-stream means "not declared". */
  declaredType: string | null;
  /** The body is refused (not read further) once it passes this many bytes. */
  maxBytes: number;
  /** The whole download's deadline (MEDIA_DOWNLOAD_DEADLINE_MS unless a test wants it short). */
  timeoutMs?: number;
  maxRedirects: number;
}

class Refusal extends Error {}

function guardedLookup(rule: HostRule): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { all: true, family: options.family ?? 0 }, (err, addresses) => {
      if (err) return callback(err, '', 4);
      const list = addresses as dns.LookupAddress[];
      if (!rule.allowPrivate && list.some((a) => isNonPublicAddress(a.address))) {
        return callback(new Refusal(OUTSIDE_PROVIDER), '', 4);
      }
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      const first = list[0];
      if (!first) return callback(new Error(`no address for ${hostname}`), '', 4);
      callback(null, first.address, first.family);
    });
  };
}

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

function declared(t: string | null): string | null {
  const m = mediaType(t ?? '');
  return m === '' || m === 'application/octet-stream' ? null : m;
}

/** Checks one hop; returns the rule that allows it or throws a Refusal. */
function checkHop(url: URL, source: MediaSourcePolicy): HostRule {
  const rule = matchingRule(source.allowed, url);
  if (!rule) throw new Refusal(OUTSIDE_PROVIDER);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && isNonPublicAddress(host) && !rule.allowPrivate) throw new Refusal(OUTSIDE_PROVIDER);
  if (url.username || url.password) throw new Refusal(OUTSIDE_PROVIDER);
  return rule;
}

export async function download(opts: DownloadOptions): Promise<DownloadResult> {
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch {
    return { ok: false, kind: 'refused', transient: false, reason: 'media link is not a valid URL' };
  }
  const deadlineMs = opts.timeoutMs ?? MEDIA_DOWNLOAD_DEADLINE_MS;
  // One signal for every hop and the body: aborting it destroys whatever request or stream is open.
  const deadline = AbortSignal.timeout(deadlineMs);
  try {
    for (let hop = 0; hop <= opts.maxRedirects; hop++) {
      const rule = checkHop(url, opts.source);
      const headers: Record<string, string> = { accept: '*/*' };
      if (opts.source.authorization && opts.source.authHosts && matchingRule(opts.source.authHosts, url)) {
        headers.authorization = opts.source.authorization;
      }
      const res = await get(url, headers, rule, deadline);
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        url = new URL(res.headers.location, url);
        continue;
      }
      if (status < 200 || status >= 300) {
        res.resume();
        const transient = status >= 500 || status === 429 || status === 408;
        return { ok: false, kind: 'failed', transient, reason: `the provider answered HTTP ${status} for the media file` };
      }
      const actual = mediaType(res.headers['content-type']);
      const want = declared(opts.declaredType);
      if (want && actual !== want) {
        res.resume();
        return {
          ok: false,
          kind: 'refused',
          transient: false,
          reason: `media content type ${actual || 'missing'} differs from the declared ${want}`,
        };
      }
      const length = Number(res.headers['content-length'] ?? NaN);
      if (Number.isFinite(length) && length > opts.maxBytes) {
        res.destroy();
        return { ok: false, kind: 'refused', transient: false, reason: tooLarge(opts.maxBytes) };
      }
      let size = 0;
      const chunks: Buffer[] = [];
      const collect = new Writable({
        write(chunk: Buffer, _enc, cb) {
          size += chunk.length;
          if (size > opts.maxBytes) return cb(new Refusal(tooLarge(opts.maxBytes)));
          chunks.push(chunk);
          cb();
        },
      });
      await pipeline(res, collect, { signal: deadline });
      const bytes = Buffer.concat(chunks, size);
      return { ok: true, size, bytes, contentType: actual || want || 'application/octet-stream' };
    }
    return { ok: false, kind: 'refused', transient: false, reason: `media link redirected more than ${opts.maxRedirects} times` };
  } catch (err) {
    if (err instanceof Refusal) return { ok: false, kind: 'refused', transient: false, reason: err.message };
    if (deadline.aborted) {
      // Final, not transient: a host this slow would hold the conversation again on every retry.
      return { ok: false, kind: 'failed', transient: false, reason: `the file could not be fetched within ${duration(deadlineMs)}` };
    }
    const e = err as { code?: string; message?: string };
    return { ok: false, kind: 'failed', transient: true, reason: `media download failed: ${e.code ?? e.message ?? 'network error'}` };
  }
}

function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

function tooLarge(max: number): string {
  return `media file is larger than the ${Math.round((max / (1024 * 1024)) * 10) / 10} MB allowed`;
}

function get(url: URL, headers: Record<string, string>, rule: HostRule, signal: AbortSignal): Promise<http.IncomingMessage> {
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, { method: 'GET', headers, lookup: guardedLookup(rule), agent: false, signal }, (res) => {
      res.on('error', reject);
      resolve(res);
    });
    req.on('error', reject);
    req.end();
  });
}
