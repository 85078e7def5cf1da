// GET /media/:id?exp=&sig= serves one stored media file to whoever holds a valid signed link
// (providers fetching outbound MMS, Teams clients rendering inbound pictures). Anything else is
// 403 with no hint of whether the file exists.

import { createReadStream } from 'node:fs';
import { resolve, sep } from 'node:path';
import { Router } from 'express';
import type { MediaRepo } from '../core/ports.js';
import type { MediaUrlSigner } from './signedUrls.js';

export function mediaRouter(deps: { media: MediaRepo; signer: MediaUrlSigner; dataDir: string }): Router {
  const router = Router();
  const root = resolve(deps.dataDir);

  router.get('/media/:id', (req, res) => {
    const id = req.params.id;
    const exp = typeof req.query.exp === 'string' ? req.query.exp : undefined;
    const sig = typeof req.query.sig === 'string' ? req.query.sig : undefined;
    if (!deps.signer.verify(id, exp, sig)) {
      res.status(403).json({ error: { code: 'forbidden', message: 'invalid or expired media link' } });
      return;
    }
    const item = deps.media.get(id);
    const file = item?.path ? resolve(root, item.path) : null;
    // A stored path always lies under DATA_DIR; refuse anything that would escape it.
    if (!item || item.status !== 'stored' || !file || !file.startsWith(root + sep)) {
      res.status(404).json({ error: { code: 'not_found', message: 'media not found' } });
      return;
    }
    res.setHeader('Content-Type', item.contentType);
    res.setHeader('Content-Length', String(item.size));
    res.setHeader('Cache-Control', 'private, max-age=300');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const stream = createReadStream(file);
    stream.on('error', () => {
      if (!res.headersSent) res.status(404).end();
      else res.destroy();
    });
    stream.pipe(res);
  });

  return router;
}
