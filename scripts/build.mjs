// `npm run build`: compiles the bridge (src, adapters) to dist/ with tsc, copies every file
// the code reads at run time (anything that is not TypeScript or Markdown: *.lua, a public/ or
// static/ folder, ...) beside the compiled code, removes what no longer has a source, and
// stamps dist/; then bundles the console (console/, TypeScript + Preact) with esbuild into
// dist/console/ (src/admin/consoleBundle.ts, just compiled, does it: one bundling recipe for the
// build and for a bridge running from source). `--if-stale` (npm's prestart) does all that only when a source, an asset or the
// build configuration is newer than the stamp, so `npm start` on a current dist/ starts at once.
// Plain JavaScript on purpose: it runs before anything is compiled, and without tsx.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Folders compiled to dist/<folder> (tsconfig.build.json's `include`). */
export const SOURCE_DIRS = ['src', 'adapters'];
/** The console's browser sources, bundled (not compiled by tsc) into dist/console/. */
export const CONSOLE_DIR = 'console';
/** Files besides the sources whose change means a rebuild. */
const CONFIG_FILES = ['tsconfig.json', 'tsconfig.build.json', 'scripts/build.mjs'];
const STAMP = '.build-stamp';

const TS_SOURCE = /\.(c|m)?tsx?$/;
/** Kept out of dist/: documentation, not something the code reads. */
const NOT_AN_ASSET = /\.md$/i;

export function isAsset(file) {
  return !TS_SOURCE.test(file) && !NOT_AN_ASSET.test(file);
}

/** Every file and folder under dir, relative to it (folders too: a deleted file changes its folder's mtime). */
function walk(dir, rel = '') {
  const out = [];
  const here = path.join(dir, rel);
  if (!existsSync(here)) return out;
  for (const entry of readdirSync(here, { withFileTypes: true })) {
    const r = path.join(rel, entry.name);
    if (entry.isDirectory()) out.push({ rel: r, dir: true }, ...walk(dir, r));
    else if (entry.isFile()) out.push({ rel: r, dir: false });
  }
  return out;
}

/** Newest modification time (ms) among the sources, their folders and the build configuration. */
export function newestInput(root) {
  let newest = 0;
  const seen = (file) => {
    if (existsSync(file)) newest = Math.max(newest, statSync(file).mtimeMs);
  };
  for (const dir of [...SOURCE_DIRS, CONSOLE_DIR]) {
    seen(path.join(root, dir));
    for (const e of walk(path.join(root, dir))) seen(path.join(root, dir, e.rel));
  }
  for (const f of CONFIG_FILES) seen(path.join(root, f));
  return newest;
}

/**
 * Marks outDir as built from the sources as they were at `startedAt` (ms). The stamp carries the
 * time the build STARTED: a file saved while tsc ran is newer, so the next start builds again
 * instead of running code compiled from its older text.
 */
export function writeStamp(outDir, startedAt) {
  const stamp = path.join(outDir, STAMP);
  writeFileSync(stamp, `${new Date(startedAt).toISOString()}\n`);
  utimesSync(stamp, startedAt / 1000, startedAt / 1000);
}

/** Why dist/ must be built again, or null when it is current. */
export function staleReason(root, outDir = path.join(root, 'dist')) {
  const stamp = path.join(outDir, STAMP);
  if (!existsSync(stamp)) return `${path.relative(root, outDir) || outDir}/ has not been built`;
  return newestInput(root) > statSync(stamp).mtimeMs ? 'a source or the build configuration changed since the last build' : null;
}

/** Copies every asset of the source folders to the same place under outDir. */
export function copyAssets(root, outDir) {
  const copied = [];
  for (const dir of SOURCE_DIRS) {
    for (const e of walk(path.join(root, dir))) {
      if (e.dir || !isAsset(e.rel)) continue;
      const to = path.join(outDir, dir, e.rel);
      mkdirSync(path.dirname(to), { recursive: true });
      copyFileSync(path.join(root, dir, e.rel), to);
      copied.push(path.join(dir, e.rel));
    }
  }
  return copied;
}

/**
 * Removes from outDir/<source folder> what has no source any more (a deleted .ts leaves its .js
 * behind otherwise, and a later import could still find it), then empty folders.
 */
export function pruneOrphans(root, outDir) {
  const removed = [];
  for (const dir of SOURCE_DIRS) {
    const built = path.join(outDir, dir);
    const entries = walk(built);
    for (const e of entries) {
      if (e.dir) continue;
      const source = path.join(root, dir, e.rel);
      const compiledFrom = e.rel.replace(/\.js(\.map)?$/, '.ts');
      const keep = (compiledFrom !== e.rel && existsSync(path.join(root, dir, compiledFrom))) || (isAsset(e.rel) && existsSync(source));
      if (!keep) {
        rmSync(path.join(built, e.rel));
        removed.push(path.join(dir, e.rel));
      }
    }
    // Deepest first, so a folder emptied by removing its empty children goes too.
    for (const e of entries.filter((x) => x.dir).reverse()) {
      const full = path.join(built, e.rel);
      if (readdirSync(full).length === 0) rmdirSync(full);
    }
  }
  return removed;
}

function tscPath(root) {
  try {
    return createRequire(path.join(root, 'package.json')).resolve('typescript/bin/tsc');
  } catch {
    return null;
  }
}

/**
 * Writes outDir/console/{console.js,console.css} with the bundler the bridge itself uses
 * (outDir/src/admin/consoleBundle.js, compiled a moment ago), in a child process: it is an ES
 * module with an async API, and this build stays synchronous for its callers.
 */
export function bundleConsole(root, outDir) {
  if (!existsSync(path.join(root, CONSOLE_DIR))) return;
  const bundler = path.join(outDir, 'src/admin/consoleBundle.js');
  const script = `import(${JSON.stringify(pathToFileURL(bundler).href)}).then((m) => m.writeConsoleBundle(${JSON.stringify(outDir)}, ${JSON.stringify(root)}))`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`bundling the console failed (exit ${r.status ?? r.signal}); dist/ was not stamped`);
}

/** Compiles, copies assets, prunes, stamps. Throws with a one-line reason when it cannot. */
export function build(root, { outDir = path.join(root, 'dist'), log = () => undefined } = {}) {
  const startedAt = Date.now();
  const tsc = tscPath(root);
  if (!tsc) throw new Error('TypeScript is not installed (installed with --omit=dev?): run npm ci, then npm run build');
  const args = [tsc, '-p', path.join(root, 'tsconfig.build.json')];
  if (outDir !== path.join(root, 'dist')) args.push('--outDir', outDir, '--tsBuildInfoFile', path.join(outDir, '.tsbuildinfo'));
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`tsc failed (exit ${r.status ?? r.signal}); dist/ was not updated`);
  const copied = copyAssets(root, outDir);
  const removed = pruneOrphans(root, outDir);
  bundleConsole(root, outDir);
  writeStamp(outDir, startedAt);
  log(`built ${path.relative(root, outDir) || outDir}/ in ${((Date.now() - startedAt) / 1000).toFixed(1)} s (${copied.length} assets copied, ${removed.length} stale files removed)`);
}

function main() {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const log = (line) => console.error(`sms-bridge: ${line}`);
  try {
    if (process.argv.includes('--if-stale')) {
      const reason = staleReason(root);
      if (reason === null) return;
      log(`building dist/ first: ${reason}`);
    }
    build(root, { log });
  } catch (err) {
    log(`build failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
