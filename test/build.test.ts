// `npm run build` / npm's prestart (scripts/build.mjs) on a small source tree of its own: every
// file the code reads at run time lands beside the compiled code, whatever its name; what lost
// its source leaves dist/; and `npm start` rebuilds exactly when something changed.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { copyAssets, isAsset, pruneOrphans, staleReason, writeStamp } from '../scripts/build.mjs';

let roots: string[] = [];
afterEach(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
  roots = [];
});

/** A checkout in miniature: files relative to its root, each with some content. */
function tree(files: string[]): string {
  const root = mkdtempSync(path.join(tmpdir(), 'smsb-build-'));
  roots.push(root);
  for (const f of files) {
    mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    writeFileSync(path.join(root, f), `// ${f}\n`);
  }
  return root;
}

/** Sets a file's (or folder's) modification time, seconds ago. */
function age(file: string, secondsAgo: number): void {
  const t = Date.now() / 1000 - secondsAgo;
  utimesSync(file, t, t);
}

describe('the build copies run-time assets generically', () => {
  it('copies every non-TypeScript file of src and adapters (Lua scripts, a static folder) to the same place under dist, and no docs or sources', () => {
    const root = tree([
      'src/main.ts',
      'adapters/lanes.ts',
      'adapters/scripts/claim.lua',
      'src/infra/queue/enqueue.lua',
      'src/admin/public/index.html',
      'src/admin/public/assets/app.css',
      'adapters/sms/README.md',
      'adapters/sms/types.d.ts',
      'test/x.lua',
    ]);
    const out = path.join(root, 'dist');
    const copied = copyAssets(root, out);
    expect(copied.sort()).toEqual(
      ['adapters/scripts/claim.lua', 'src/admin/public/assets/app.css', 'src/admin/public/index.html', 'src/infra/queue/enqueue.lua'].map((p) => path.normalize(p)),
    );
    expect(readFileSync(path.join(out, 'adapters/scripts/claim.lua'), 'utf8')).toBe('// adapters/scripts/claim.lua\n');
    expect(existsSync(path.join(out, 'adapters/sms/README.md'))).toBe(false);
    expect(existsSync(path.join(out, 'test'))).toBe(false);
  });

  it('treats TypeScript and Markdown as not assets, anything else as one', () => {
    for (const f of ['a.ts', 'a.mts', 'a.cts', 'a.tsx', 'b.d.ts', 'README.md']) expect(isAsset(f), f).toBe(false);
    for (const f of ['a.lua', 'index.html', 'a.json', 'a.sql', 'logo.svg']) expect(isAsset(f), f).toBe(true);
  });
});

describe('the build removes what lost its source', () => {
  it('deletes compiled files and assets whose source is gone, and the folders left empty; keeps the rest', () => {
    const root = tree(['src/kept.ts', 'src/queue/kept.lua']);
    const out = path.join(root, 'dist');
    for (const f of ['src/kept.js', 'src/kept.js.map', 'src/gone.js', 'src/gone.js.map', 'src/queue/kept.lua', 'src/queue/gone.lua', 'adapters/old/x.js']) {
      mkdirSync(path.dirname(path.join(out, f)), { recursive: true });
      writeFileSync(path.join(out, f), '');
    }
    const removed = pruneOrphans(root, out);
    expect(removed.sort()).toEqual(['adapters/old/x.js', 'src/gone.js', 'src/gone.js.map', 'src/queue/gone.lua'].map((p) => path.normalize(p)));
    for (const f of ['src/kept.js', 'src/kept.js.map', 'src/queue/kept.lua']) expect(existsSync(path.join(out, f)), f).toBe(true);
    expect(existsSync(path.join(out, 'adapters/old'))).toBe(false);
  });
});

describe('npm start builds only when dist/ is not current', () => {
  /** A tree whose every file and folder is an hour old, built 10 minutes ago. */
  function built(): { root: string; out: string } {
    const root = tree(['src/main.ts', 'src/store/db.ts', 'adapters/claim.lua', 'console/main.tsx', 'tsconfig.build.json']);
    for (const f of ['src/main.ts', 'src/store/db.ts', 'src/store', 'src', 'adapters/claim.lua', 'adapters', 'console/main.tsx', 'console', 'tsconfig.build.json']) age(path.join(root, f), 3600);
    const out = path.join(root, 'dist');
    mkdirSync(out);
    writeStamp(out, Date.now() - 600_000);
    return { root, out };
  }

  it('builds when dist/ was never built', () => {
    const root = tree(['src/main.ts']);
    expect(staleReason(root)).toBe('dist/ has not been built');
  });

  it('starts at once when nothing changed since the build', () => {
    const { root } = built();
    expect(staleReason(root)).toBeNull();
  });

  it.each([
    ['a source is edited', (root: string) => writeFileSync(path.join(root, 'src/store/db.ts'), '// changed\n')],
    ['an asset is edited', (root: string) => writeFileSync(path.join(root, 'adapters/claim.lua'), '-- changed\n')],
    ['a source is deleted', (root: string) => rmSync(path.join(root, 'src/store/db.ts'))],
    ['a source is added', (root: string) => writeFileSync(path.join(root, 'src/new.ts'), '')],
    ['a console source is edited (its bundle is in dist/console)', (root: string) => writeFileSync(path.join(root, 'console/main.tsx'), '// changed\n')],
    ['the build configuration changes', (root: string) => writeFileSync(path.join(root, 'tsconfig.build.json'), '{}')],
  ])('builds again when %s', (_what, change) => {
    const { root } = built();
    change(root);
    expect(staleReason(root)).toBe('a source or the build configuration changed since the last build');
  });

  it('builds again when a source was saved while the last build ran (the stamp is the build start)', () => {
    const { root, out } = built();
    const buildStart = Date.now() - 5_000;
    age(path.join(root, 'src/main.ts'), 2); // saved 3 s into the build
    writeStamp(out, buildStart);
    expect(staleReason(root)).not.toBeNull();
  });
});
