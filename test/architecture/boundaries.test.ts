// The shape the architecture promises, checked on every run: the core knows nothing of SDKs,
// HTTP, queues or SQLite; an adapter talks to the core only through its public modules and never
// reaches into another adapter; so a new provider or platform is one new folder.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function sourceFiles(dir: string): string[] {
  const abs = join(root, dir);
  const out: string[] = [];
  for (const name of readdirSync(abs)) {
    const full = join(abs, name);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(relative(root, full)));
    else if (name.endsWith('.ts')) out.push(full);
  }
  return out;
}

/** Every module specifier a file imports or re-exports (static and dynamic). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = new Set<string>();
  for (const m of text.matchAll(/(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]/g)) specs.add(m[1]!);
  for (const m of text.matchAll(/import\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) specs.add(m[1]!);
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) specs.add(m[1]!);
  return [...specs];
}

/** Resolved repo-relative path of a relative import, or null for a package import. */
function target(file: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  return relative(root, resolve(dirname(file), spec));
}

const CORE_ALLOWED_PACKAGES = ['libphonenumber-js', 'node:crypto'];
const CORE_PUBLIC = /^src\/core\/[^/]+\.(js|ts)$/; // top-level core modules; subfolders are internal

describe('architecture boundaries', () => {
  it('the core imports no SDK, web framework, queue, database driver or I/O module', async () => {
    const offences: string[] = [];
    for (const file of sourceFiles('src/core')) {
      for (const spec of importsOf(file)) {
        const t = target(file, spec);
        if (t === null) {
          const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
          if (!CORE_ALLOWED_PACKAGES.includes(pkg)) offences.push(`${relative(root, file)} imports ${spec}`);
        } else if (!t.startsWith('src/core')) {
          offences.push(`${relative(root, file)} imports ${t}`);
        }
      }
    }
    expect(offences).toEqual([]);
  });

  it('adapters, the use cases and the queue use the core only through its public modules, never its internals', async () => {
    const offences: string[] = [];
    for (const file of [...sourceFiles('adapters'), ...sourceFiles('src/app'), ...sourceFiles('src/infra')]) {
      for (const spec of importsOf(file)) {
        const t = target(file, spec);
        if (t?.startsWith('src/core/') && !CORE_PUBLIC.test(t)) offences.push(`${relative(root, file)} imports ${t}`);
      }
    }
    expect(offences).toEqual([]);
  });

  it('an adapter never reaches into another adapter', async () => {
    const offences: string[] = [];
    const adapterOf = (p: string): string | null => {
      const m = /^adapters\/(sms|chat)\/([^/]+)\//.exec(p);
      return m ? `${m[1]}/${m[2]}` : null;
    };
    for (const file of sourceFiles('adapters')) {
      const own = adapterOf(relative(root, file));
      // Files directly under adapters/<kind>/ assemble that kind's adapters; they may list them.
      if (own === null) continue;
      for (const spec of importsOf(file)) {
        const t = target(file, spec);
        const other = t ? adapterOf(t) : null;
        // Code shared by every adapter of a kind lives in adapters/<kind>/shared.
        if (other && other !== own && !other.endsWith('/shared')) offences.push(`${relative(root, file)} imports ${t}`);
      }
    }
    expect(offences).toEqual([]);
  });

  it('the use cases and the queue never import an adapter (they reach providers and platforms through ports)', async () => {
    const offences: string[] = [];
    for (const file of [...sourceFiles('src/app'), ...sourceFiles('src/infra')]) {
      for (const spec of importsOf(file)) {
        const t = target(file, spec);
        if (t?.startsWith('adapters/')) offences.push(`${relative(root, file)} imports ${t}`);
      }
    }
    expect(offences).toEqual([]);
  });

  it('the store and the core never import an adapter, a use case or the queue', async () => {
    const offences: string[] = [];
    for (const file of [...sourceFiles('src/core'), ...sourceFiles('src/infra/store')]) {
      for (const spec of importsOf(file)) {
        const t = target(file, spec);
        if (t && (t.startsWith('adapters/') || t.startsWith('src/app/') || (t.startsWith('src/infra/') && !t.startsWith('src/infra/store/')))) offences.push(`${relative(root, file)} imports ${t}`);
      }
    }
    expect(offences).toEqual([]);
  });
});
