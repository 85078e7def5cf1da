// GET /admin/api/events: the web inbox's live updates as Server-Sent Events. Each connection
// subscribes to the inbox events (Redis pub/sub across instances) and writes
//   event: message | status
//   data: {"conversationId": "...", "message": <inbox message view>}
// with a keep-alive comment every 15 s (proxies close silent connections). The subscription is
// released when the client goes away, and every stream is ended at shutdown so the HTTP server can
// close (an open stream never ends by itself).
import { Router, type RequestHandler, type Response } from 'express';
import type { InboxEvents, InboxUpdate } from '../../../src/core/ports.js';
import { sendError } from '../../../src/http/errors.js';
import type { Logger } from '../../../src/logger.js';
import type { MediaUrlSigner } from '../../../src/media/signedUrls.js';
import { inboxMessageView } from './views.js';

export const KEEP_ALIVE_MS = 15_000;

export interface EventStreams {
  router: Router;
  /** Streams open in this process now. */
  open(): number;
  /** Ends every open stream (shutdown). */
  endAll(): void;
}

export function eventStreams(deps: { events: InboxEvents; signer: MediaUrlSigner; guard: RequestHandler[]; logger?: Logger; keepAliveMs?: number }): EventStreams {
  const streams = new Set<Response>();
  const router = Router();

  router.get('/events', ...deps.guard, async (req, res) => {
    let release: (() => Promise<void>) | null = null;
    const queued: InboxUpdate[] = [];
    let ready = false;
    const write = (u: InboxUpdate): void => {
      if (!ready) {
        queued.push(u);
        return;
      }
      const data = JSON.stringify({ conversationId: u.conversationId, message: inboxMessageView(u.message, deps.signer) });
      res.write(`event: ${u.type}\ndata: ${data}\n\n`);
    };
    try {
      release = await deps.events.subscribe(write);
    } catch (err) {
      deps.logger?.warn({ err: (err as Error).message }, 'inbox events: could not subscribe');
      res.set('Retry-After', '5');
      sendError(res, 503, 'unavailable', 'Live updates are not available right now (Redis does not answer); try again shortly.');
      return;
    }
    let closed = false;
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), deps.keepAliveMs ?? KEEP_ALIVE_MS);
    const cleanup = (): void => {
      if (closed) return;
      closed = true;
      clearInterval(keepAlive);
      streams.delete(res);
      void release?.();
    };
    req.on('close', cleanup);
    res.on('close', cleanup);
    if (req.destroyed) {
      cleanup();
      return;
    }
    streams.add(res);
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no', // nginx: pass each event on at once
    });
    res.flushHeaders();
    // retry: how long a browser waits before reconnecting after a drop.
    res.write('retry: 3000\n: connected\n\n');
    ready = true;
    for (const u of queued.splice(0)) write(u);
  });

  return {
    router,
    open: () => streams.size,
    endAll() {
      for (const res of [...streams]) res.end();
    },
  };
}
