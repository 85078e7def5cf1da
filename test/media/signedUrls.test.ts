import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMediaUrlSigner, loadMediaSecret } from '../../src/media/signedUrls.js';

function parts(url: string): { id: string; exp: string; sig: string } {
  const u = new URL(url);
  return {
    id: decodeURIComponent(u.pathname.replace('/media/', '')),
    exp: u.searchParams.get('exp') ?? '',
    sig: u.searchParams.get('sig') ?? '',
  };
}

describe('signed media links', () => {
  let clock = 1_700_000_000_000;
  const signer = createMediaUrlSigner({
    secret: Buffer.from('k'.repeat(32)),
    publicUrl: 'https://bridge.example.com/',
    now: () => clock,
  });
  afterEach(() => {
    clock = 1_700_000_000_000;
  });

  it('are absolute URLs under PUBLIC_URL', () => {
    const url = signer.sign('m1', 60);
    expect(url.startsWith('https://bridge.example.com/media/m1?exp=')).toBe(true);
  });

  it('work for their lifetime', () => {
    const { id, exp, sig } = parts(signer.sign('m1', 60));
    clock += 59_000;
    expect(signer.verify(id, exp, sig)).toBe(true);
  });

  it('stop working when they expire', () => {
    const { id, exp, sig } = parts(signer.sign('m1', 60));
    clock += 60_000;
    expect(signer.verify(id, exp, sig)).toBe(false);
  });

  it('cannot be extended by editing the expiry', () => {
    const { id, exp, sig } = parts(signer.sign('m1', 60));
    expect(signer.verify(id, String(Number(exp) + 3600), sig)).toBe(false);
  });

  it('cannot be moved to another file', () => {
    const { exp, sig } = parts(signer.sign('m1', 60));
    expect(signer.verify('m2', exp, sig)).toBe(false);
  });

  it('are refused without a signature or expiry', () => {
    const { id, exp } = parts(signer.sign('m1', 60));
    expect(signer.verify(id, exp, undefined)).toBe(false);
    expect(signer.verify(id, undefined, 'x')).toBe(false);
    expect(signer.verify(id, 'soon', 'x')).toBe(false);
  });

  it('signed with another secret are refused', () => {
    const other = createMediaUrlSigner({ secret: Buffer.from('z'.repeat(32)), publicUrl: 'https://b', now: () => clock });
    const { id, exp, sig } = parts(other.sign('m1', 60));
    expect(signer.verify(id, exp, sig)).toBe(false);
  });
});

describe('media signing secret', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('is generated once and kept in DATA_DIR across restarts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'smsb-secret-'));
    dirs.push(dir);
    const first = loadMediaSecret(dir);
    const again = loadMediaSecret(dir);
    expect(first.length).toBe(32);
    expect(again.equals(first)).toBe(true);
  });

  it('an empty or damaged key file stops start-up instead of signing with a guessable key', () => {
    for (const content of ['', '   \n', 'c2hvcnQ=', 'not base64 at all!']) {
      const dir = mkdtempSync(join(tmpdir(), 'smsb-secret-'));
      dirs.push(dir);
      writeFileSync(join(dir, 'media-signing.key'), content);
      expect(() => loadMediaSecret(dir)).toThrow(/does not hold a media signing key/);
    }
  });

  it('comes from configuration when one is given', () => {
    const dir = mkdtempSync(join(tmpdir(), 'smsb-secret-'));
    dirs.push(dir);
    expect(loadMediaSecret(dir, 'configured-secret').toString()).toBe('configured-secret');
  });
});
