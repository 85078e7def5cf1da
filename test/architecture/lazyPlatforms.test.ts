// A chat platform's SDK is loaded only when that platform is configured: Bolt and Teams AI /
// botbuilder were most of an idle bridge's memory (issue 13) with neither in use. So outside the
// platform's own folder, the bridge reaches a chat adapter (and an SDK) only through a dynamic
// import() at the composition root; static imports of them are for types only.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const rel = join(dir, name);
    if (statSync(join(root, rel)).isDirectory()) out.push(...sourceFiles(rel));
    else if (name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

/** Specifiers of the static imports and re-exports that load code (not `import type`/`export type`). */
function valueImports(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(?!type\s)[^'";]*?from\s*['"]([^'"]+)['"]/gm)) specs.push(m[1]!);
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) specs.push(m[1]!);
  return specs;
}

const CHAT_SDK = /^(@slack\/|@microsoft\/teams-ai|botbuilder|botframework-)/;

describe('chat platforms load lazily', () => {
  it('nothing outside adapters/chat statically imports a chat adapter or a chat SDK', () => {
    const offences: string[] = [];
    for (const file of [...sourceFiles('src'), ...sourceFiles('adapters/sms')]) {
      for (const spec of valueImports(file)) {
        const target = spec.startsWith('.') ? relative(root, resolve(dirname(join(root, file)), spec)) : null;
        if (target?.startsWith('adapters/chat/') || (target === null && CHAT_SDK.test(spec))) offences.push(`${file} imports ${spec}`);
      }
    }
    expect(offences).toEqual([]);
  });
});
