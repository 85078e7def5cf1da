import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMediaUrlSigner, LEGACY_SECRET_FILE, loadMediaSecret, MEDIA_SECRET_SETTING } from '../../src/media/signedUrls.js';
import { createTempStore, type TempStore } from '../support/tempStore.js';

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
  let temp: TempStore | null = null;
  const dataDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'smsb-secret-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    await temp?.cleanup();
    temp = null;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('is generated once, kept in the store, and the same after a restart', async () => {
    temp = await createTempStore();
    const dir = dataDir();
    const first = await loadMediaSecret({ settings: temp.store.settings, dataDir: dir });
    expect(first.length).toBe(32);
    expect(existsSync(join(dir, LEGACY_SECRET_FILE))).toBe(false);
    const store = await temp.reopen();
    expect((await loadMediaSecret({ settings: store.settings, dataDir: dir })).equals(first)).toBe(true);
  });

  it('is the same for every instance on one database, even two starting at once with their own DATA_DIR', async () => {
    temp = await createTempStore();
    const other = await temp.openAnother();
    const [a, b] = await Promise.all([
      loadMediaSecret({ settings: temp.store.settings, dataDir: dataDir() }),
      loadMediaSecret({ settings: other.settings, dataDir: dataDir() }),
    ]);
    expect(a.equals(b)).toBe(true);
    const third = await loadMediaSecret({ settings: other.settings, dataDir: dataDir() });
    expect(third.equals(a)).toBe(true);
  });

  it('a key an older version kept in DATA_DIR is taken over, so links handed out before the upgrade keep working', async () => {
    temp = await createTempStore();
    const dir = dataDir();
    const legacy = Buffer.alloc(32, 7);
    writeFileSync(join(dir, LEGACY_SECRET_FILE), legacy.toString('base64'));
    expect((await loadMediaSecret({ settings: temp.store.settings, dataDir: dir })).equals(legacy)).toBe(true);
    // Another instance, without the file, signs with the adopted key.
    const other = await temp.openAnother();
    expect((await loadMediaSecret({ settings: other.settings, dataDir: dataDir() })).equals(legacy)).toBe(true);
  });

  it('a key file found after the store has a key does not split the instances: the stored key wins', async () => {
    temp = await createTempStore();
    const shared = await loadMediaSecret({ settings: temp.store.settings, dataDir: dataDir() });
    const dir = dataDir();
    writeFileSync(join(dir, LEGACY_SECRET_FILE), Buffer.alloc(32, 9).toString('base64'));
    expect((await loadMediaSecret({ settings: temp.store.settings, dataDir: dir })).equals(shared)).toBe(true);
  });

  it('an empty or damaged key file stops start-up instead of signing with a guessable key', async () => {
    temp = await createTempStore();
    for (const content of ['', '   \n', 'c2hvcnQ=', 'not base64 at all!']) {
      const dir = dataDir();
      writeFileSync(join(dir, LEGACY_SECRET_FILE), content);
      await expect(loadMediaSecret({ settings: temp.store.settings, dataDir: dir })).rejects.toMatchObject({
        code: 'config_invalid',
        message: expect.stringMatching(/does not hold a media signing key/),
      });
    }
    expect(await temp.store.settings.get(MEDIA_SECRET_SETTING)).toBeNull();
  });

  it('comes from configuration when one is given (nothing is generated or stored)', async () => {
    temp = await createTempStore();
    const secret = await loadMediaSecret({ settings: temp.store.settings, dataDir: dataDir(), configured: 'configured-secret' });
    expect(secret.toString()).toBe('configured-secret');
    expect(await temp.store.settings.get(MEDIA_SECRET_SETTING)).toBeNull();
  });
});
