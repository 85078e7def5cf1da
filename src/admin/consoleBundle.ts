// The console's browser bundle (console/, TypeScript + Preact) as JS and CSS. `npm run build`
// writes it to dist/console/ (scripts/build.mjs calls writeConsoleBundle once tsc has compiled
// this file); a bridge running from dist/ serves those files. Running from source (tsx, the
// tests, in-process apps) there is no such build step, so the bundle is built here in memory the
// first time it is asked for: esbuild takes well under a second and the sources are right here.
// Compiled code never bundles from source when a prebuilt bundle exists, so what `npm start`
// serves is exactly what the build produced.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ConsoleBundle {
  js: string;
  css: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));
/** True when this module runs compiled (dist/src/admin/*.js), not from source via tsx. */
const compiled = import.meta.url.endsWith('.js');
/** The checkout's root: src/admin -> ../.. from source, dist/src/admin -> ../../.. compiled. */
const root = path.resolve(here, compiled ? '../../..' : '../..');
/** Where `npm run build` puts the bundle (dist/console), seen from compiled code. */
const prebuiltDir = path.resolve(here, '../../console');

/** Bundles console/main.tsx (and the CSS it imports) with esbuild, in memory. */
export async function bundleConsole(sourceRoot: string = root): Promise<ConsoleBundle> {
  // Imported here, not at the top: a bridge serving a prebuilt bundle never loads esbuild.
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    absWorkingDir: sourceRoot,
    entryPoints: { console: path.join(sourceRoot, 'console/main.tsx') },
    bundle: true,
    write: false,
    outdir: 'out',
    format: 'esm',
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const pick = (ext: string) => result.outputFiles.find((f) => f.path.endsWith(ext))?.text ?? '';
  return { js: pick('.js'), css: pick('.css') };
}

/** Writes the bundle to outDir/console/{console.js,console.css} (the build step). */
export async function writeConsoleBundle(outDir: string, sourceRoot: string = root): Promise<void> {
  const bundle = await bundleConsole(sourceRoot);
  const dir = path.join(outDir, 'console');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'console.js'), bundle.js);
  writeFileSync(path.join(dir, 'console.css'), bundle.css);
}

let cached: Promise<ConsoleBundle> | null = null;

/** The bundle to serve: the prebuilt one when running compiled and it exists, else built once in memory. */
export function consoleBundle(): Promise<ConsoleBundle> {
  if (!cached) {
    const js = path.join(prebuiltDir, 'console.js');
    if (compiled && existsSync(js)) {
      cached = Promise.resolve({ js: readFileSync(js, 'utf8'), css: readFileSync(path.join(prebuiltDir, 'console.css'), 'utf8') });
    } else {
      cached = bundleConsole();
      // A failed build is not cached: the next request tries again (after the source is fixed).
      cached.catch(() => {
        cached = null;
      });
    }
  }
  return cached;
}
