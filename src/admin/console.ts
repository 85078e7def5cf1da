// Serves the admin console (console/, a Preact app): an HTML shell for /admin and every page
// under it (the app routes with the history API, so /admin/inbox or /admin/numbers opened
// directly, reloaded or bookmarked gets the same shell), the bundle, the favicon, and `/` sends
// a person to /admin. The shell holds no data and no inline script: everything the console shows
// comes from the admin API, under a strict CSP (scripts and styles from this origin only).

import { createHash } from 'node:crypto';
import { Router, type Response } from 'express';
import { consoleBundle, type ConsoleBundle } from './consoleBundle.js';

export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/**
 * The console's pages (console/main.tsx's PAGES): the shell is answered for /admin/<page> and
 * /admin/inbox/<conversation id> only, so any other path under /admin stays a JSON 404 (a
 * mistyped API path never looks like a page that answered).
 */
export const CONSOLE_PAGE_SLUGS = ['inbox', 'dev-phone', 'numbers', 'mappings', 'policy', 'people', 'opt-outs', 'queues', 'audit', 'unrouted', 'history'] as const;
const PAGE_PATH = /^\/admin(?:\/([a-z-]+)(?:\/([^/]+))?)?\/?$/;
const slugs = new Set<string>(CONSOLE_PAGE_SLUGS);

const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1f5fae"/><path d="M7 9h18a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H14l-5 4v-4H7a2 2 0 0 1-2-2v-9a2 2 0 0 1 2-2z" fill="#fff"/><circle cx="11" cy="15.5" r="1.6" fill="#1f5fae"/><circle cx="16" cy="15.5" r="1.6" fill="#1f5fae"/><circle cx="21" cy="15.5" r="1.6" fill="#1f5fae"/></svg>`;

function shell(version: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sms-bridge console</title>
<link rel="icon" href="/admin/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/admin/assets/console.css?v=${version}">
<script type="module" src="/admin/assets/console.js?v=${version}"></script>
</head>
<body>
<div id="app"><noscript>The sms-bridge console needs JavaScript.</noscript></div>
</body>
</html>
`;
}

const versions = new WeakMap<ConsoleBundle, string>();
function versionOf(bundle: ConsoleBundle): string {
  let v = versions.get(bundle);
  if (!v) {
    v = createHash('sha256').update(bundle.js).update(bundle.css).digest('hex').slice(0, 12);
    versions.set(bundle, v);
  }
  return v;
}

function secure(res: Response): Response {
  return res.set({ 'Content-Security-Policy': CONSOLE_CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'same-origin' });
}

/** Mounted at the app's root after /admin/api, so an unknown /admin/api path still gets JSON 404. */
export function adminConsoleRouter(): Router {
  const router = Router();

  router.get('/', (_req, res) => res.redirect(302, '/admin'));

  router.get('/admin/favicon.svg', (_req, res) => {
    secure(res).type('image/svg+xml').set('Cache-Control', 'public, max-age=86400').send(FAVICON);
  });

  // The bundle: the shell names it with its content hash, so it may be cached for good.
  router.get('/admin/assets/:file', async (req, res, next) => {
    const file = req.params.file;
    if (file !== 'console.js' && file !== 'console.css') return next();
    const bundle = await consoleBundle();
    const cache = req.query.v === versionOf(bundle) ? 'public, max-age=31536000, immutable' : 'no-cache';
    secure(res)
      .type(file === 'console.js' ? 'text/javascript' : 'text/css')
      .set('Cache-Control', cache)
      .send(file === 'console.js' ? bundle.js : bundle.css);
  });

  // Every console page: /admin, /admin/, /admin/inbox, /admin/inbox/<id>, /admin/numbers, ...
  router.get(PAGE_PATH, async (req, res, next) => {
    const [, slug, id] = PAGE_PATH.exec(req.path) ?? [];
    if ((slug !== undefined && !slugs.has(slug)) || (id !== undefined && slug !== 'inbox')) return next();
    const bundle = await consoleBundle();
    secure(res).type('html').set('Cache-Control', 'no-cache').send(shell(versionOf(bundle)));
  });

  return router;
}
