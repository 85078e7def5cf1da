// The web inbox, built in: chat platform `web` (one channel, `inbox`) plus its API and live
// updates under /admin/api. Registered on every bridge; with no Slack and no Teams it is the
// catch-all platform that shows every number (see ChatRegistry.catchAll).
import type { Express, RequestHandler } from 'express';
import type { AppContext } from '../../../src/app.js';
import type { InboxEvents, SmsProviderCapabilities, TurnQueue } from '../../../src/core/ports.js';
import type { ChatRegistry } from '../../../src/delivery/registry.js';
import type { MediaUrlSigner } from '../../../src/media/signedUrls.js';
import { eventStreams } from './events.js';
import { createWebPlatform, WEB_CHANNEL } from './platform.js';
import { inboxRouter } from './routes.js';

export { WEB_CHANNEL, WEB_PLATFORM_ID, createWebPlatform } from './platform.js';

export interface WebInboxDeps {
  registry: ChatRegistry;
  queue: TurnQueue;
  providerCaps: (provider: string) => SmsProviderCapabilities | null;
  signer: MediaUrlSigner;
  events: InboxEvents;
  requireAdmin: RequestHandler;
  /** SSE keep-alive period (tests); default 15 s. */
  keepAliveMs?: number;
}

export interface WebInbox {
  mount(app: Express): void;
  /** Ends the open event streams (before the HTTP server closes). */
  endStreams(): void;
  openStreams(): number;
}

export function createWebInbox(ctx: Pick<AppContext, 'store' | 'clock' | 'logger'>, deps: WebInboxDeps): WebInbox {
  deps.registry.register(createWebPlatform(), { catchAll: WEB_CHANNEL });
  const noStore: RequestHandler = (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  };
  const guard = [deps.requireAdmin, noStore];
  const streams = eventStreams({ events: deps.events, signer: deps.signer, guard, logger: ctx.logger, keepAliveMs: deps.keepAliveMs });
  const routes = inboxRouter({ ctx, registry: deps.registry, queue: deps.queue, providerCaps: deps.providerCaps, signer: deps.signer, events: deps.events, guard });
  return {
    mount(app) {
      app.use('/admin/api', streams.router, routes);
    },
    endStreams: () => streams.endAll(),
    openStreams: () => streams.open(),
  };
}
