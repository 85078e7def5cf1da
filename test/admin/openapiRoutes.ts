// Finds every route the source registers under /admin/api (and /admin/session), by reading it (no import, so a route
// that only exists when a platform is configured is found too):
//  - routers mounted in src/admin/index.ts (`router.use('/numbers', numbersRouter(ctx))`), whose
//    routes are relative to that prefix, and the routes index.ts registers itself;
//  - routers an adapter mounts on /admin/api itself (the web inbox: `app.use('/admin/api',
//    streams.router, routes)` in adapters/chat/web/index.ts), whose routes are relative to it;
//  - routes with their full path anywhere in src/admin, adapters and src/wiring.ts: a string,
//    a template over a base that defaults to '/admin/api' (src/admin/jobs.ts), or a constant of
//    the same file (adapters/sms/local/routes.ts).
// Express `:param` becomes OpenAPI `{param}`. Keys are "METHOD /path".

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ADMIN = '/admin/api';
/** Console sign-in (issue 15), outside /admin/api but part of the admin API. */
const SESSION = '/admin/session';
const VERB = String.raw`\.(get|post|put|patch|delete)\(\s*`;

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(root, dir))) {
    const rel = path.join(dir, name);
    if (statSync(path.join(root, rel)).isDirectory()) out.push(...tsFiles(rel));
    else if (name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

const read = (rel: string) => readFileSync(path.join(root, rel), 'utf8');

export function toOpenApiPath(expressPath: string): string {
  const p = expressPath.replace(/:(\w+)/g, '{$1}').replace(/\/+$/, '');
  return p === '' ? '/' : p;
}

/** Routes a router registers with relative paths (`router.get('/:id', ...)`; full /admin/... paths are not relative). */
function relativeRoutes(source: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const m of source.matchAll(new RegExp(`\\brouter${VERB}'(/[^']*)'`, 'g'))) {
    if (!m[2]!.startsWith('/admin/')) out.push([m[1]!.toUpperCase(), m[2]!]);
  }
  return out;
}

/**
 * Adapter folders whose index.ts mounts routers on /admin/api (`app.use('/admin/api', ...)`):
 * every relative route of the folder's files is under /admin/api.
 */
function adapterAdminRoutes(): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const file of tsFiles('adapters').filter((f) => path.basename(f) === 'index.ts')) {
    if (!new RegExp(`\\bapp\\.use\\(\\s*'${ADMIN}'`).test(read(file))) continue;
    for (const sibling of tsFiles(path.dirname(file))) out.push(...relativeRoutes(read(sibling)));
  }
  return out;
}

/** A path argument resolved to text: a literal, a `${base}` template, or a const of the file. */
function resolvePathArg(arg: string, source: string): string | null {
  const literal = /^'([^']*)'$/.exec(arg) ?? /^"([^"]*)"$/.exec(arg);
  if (literal) return literal[1]!;
  const template = /^`([^`]*)`$/.exec(arg);
  if (template) {
    // Only jobs.ts builds paths this way: `${base}/...`, base defaulting to '/admin/api'.
    return source.includes(`'${ADMIN}'`) ? template[1]!.replace(/\$\{\w+\}/g, ADMIN) : null;
  }
  if (/^[A-Z_][A-Z0-9_]*$/.test(arg)) {
    const c = new RegExp(`const ${arg} = '([^']*)'`).exec(source);
    return c ? c[1]! : null;
  }
  return null;
}

export interface ScannedRoutes {
  /** "METHOD /admin/api/..." */
  routes: Set<string>;
  /** Files under src/admin with relative routes that index.ts does not mount (the scanner cannot place them). */
  unplaced: string[];
}

export function scanAdminRoutes(): ScannedRoutes {
  const routes = new Set<string>();
  const index = read('src/admin/index.ts');

  // Which file each router function comes from.
  const fileOf = new Map<string, string>();
  for (const m of index.matchAll(/import \{([^}]*)\} from '\.\/([\w/]+)\.js'/g)) {
    for (const name of m[1]!.split(',').map((s) => s.trim().split(/\s+as\s+/).pop()!)) fileOf.set(name, `src/admin/${m[2]}.ts`);
  }
  const mounted = new Set<string>(['src/admin/index.ts']);
  for (const m of index.matchAll(/\brouter\.use\(\s*(?:'([^']*)'\s*,\s*)?(\w+)\(/g)) {
    const file = fileOf.get(m[2]!);
    if (!file) continue;
    mounted.add(file);
    for (const [method, p] of relativeRoutes(read(file))) routes.add(`${method} ${toOpenApiPath(ADMIN + (m[1] ?? '') + p)}`);
  }
  for (const [method, p] of relativeRoutes(index)) routes.add(`${method} ${toOpenApiPath(ADMIN + p)}`);
  for (const [method, p] of adapterAdminRoutes()) routes.add(`${method} ${toOpenApiPath(ADMIN + p)}`);

  // Full paths anywhere.
  const unplaced: string[] = [];
  for (const file of [...tsFiles('src/admin'), ...tsFiles('adapters'), 'src/wiring.ts']) {
    const source = read(file);
    for (const m of source.matchAll(new RegExp(`\\b\\w+${VERB}('[^']*'|"[^"]*"|\`[^\`]*\`|[A-Za-z_]\\w*)\\s*[,)]`, 'g'))) {
      const p = resolvePathArg(m[2]!, source);
      if (p?.startsWith(`${ADMIN}/`) || p === SESSION) routes.add(`${m[1]!.toUpperCase()} ${toOpenApiPath(p)}`);
    }
    // The console (mounted at /admin by src/http/app.ts) is the one router of src/admin outside the API.
    if (file.startsWith('src/admin/') && file !== 'src/admin/console.ts' && !mounted.has(file) && relativeRoutes(source).length > 0) unplaced.push(file);
  }
  return { routes, unplaced };
}
