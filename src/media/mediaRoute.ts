// GET /media/:id?exp=&sig= serves one stored media file to whoever holds a valid signed link
// (providers fetching outbound MMS, Teams clients rendering inbound pictures). Anything else is
// 403 with no hint of whether the file exists. The bytes come from the store, so any instance
// serves a link another one signed (files older versions kept in DATA_DIR/media still serve).

import { Router } from 'express';
import type { MediaRepo } from '../core/ports.js';
import type { MediaUrlSigner } from './signedUrls.js';
import type { StoredMediaReader } from './storedMedia.js';

/** Types a browser shows without running anything (SVG is a document with scripts: not here). */
const INLINE_TYPES = /^(image\/(jpeg|png|gif|webp|bmp)|video\/(mp4|3gpp|quicktime|webm)|audio\/[a-z0-9.+-]+)$/;

export function showsInline(contentType: string): boolean {
  return INLINE_TYPES.test(contentType.split(';')[0]!.trim().toLowerCase());
}

export function mediaRouter(deps: { media: MediaRepo; files: StoredMediaReader; signer: MediaUrlSigner }): Router {
  const router = Router();

  router.get('/media/:id', async (req, res) => {
    const id = req.params.id;
    const exp = typeof req.query.exp === 'string' ? req.query.exp : undefined;
    const sig = typeof req.query.sig === 'string' ? req.query.sig : undefined;
    if (!deps.signer.verify(id, exp, sig)) {
      res.status(403).json({ error: { code: 'forbidden', message: 'invalid or expired media link' } });
      return;
    }
    const item = await deps.media.get(id);
    // An MMS file is a few MB at most: read whole, then sent with its exact length.
    const bytes = item ? await deps.files.read(item) : null;
    if (!item || !bytes) {
      res.status(404).json({ error: { code: 'not_found', message: 'media not found' } });
      return;
    }
    res.setHeader('Content-Type', item.contentType);
    res.setHeader('Content-Length', String(bytes.length));
    res.setHeader('Cache-Control', 'private, max-age=300');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // The type was chosen by whoever sent the file (a contact's MMS host, a chat upload). Served
    // from the bridge's own origin, an HTML or SVG file would run its script beside /admin: no
    // script ever runs (sandbox), and anything but a plain picture, video or sound is a download.
    res.setHeader('Content-Security-Policy', "sandbox; default-src 'none'; img-src 'self'; media-src 'self'");
    res.setHeader('Content-Disposition', `${showsInline(item.contentType) ? 'inline' : 'attachment'}; filename="${id}"`);
    res.end(bytes);
  });

  return router;
}
