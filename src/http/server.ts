// The HTTP server the express app runs in, with limits on how long a client may take to send a
// request and how many connections may be open. Node's defaults (5 min per request, checked only
// every 30 s, no connection cap) let anyone hold memory and sockets by uploading slowly.
// Constants rather than settings: nothing an operator tunes changes what a legitimate sender needs.

import { createServer, type Server } from 'node:http';
import type { Express } from 'express';

/** Time to receive a request's headers: senders write them in one packet, so 10 s is a stall. */
export const HEADERS_TIMEOUT_MS = 10_000;

/**
 * Time to receive a whole request, body included. The largest body taken (256 KiB, Slack and
 * Teams) arrives in about 2 s even at 128 KB/s, and the senders stop waiting for our answer
 * sooner than this (Twilio after 15 s, Slack after 3 s), so an upload still trickling in after
 * 15 s only holds a connection. Node answers 408 and closes it. Once received, a request's
 * handler may take as long as it needs (an export): this limit is on the upload only.
 */
export const REQUEST_TIMEOUT_MS = 15_000;

/** How often Node looks for requests past those limits (default 30 s: a stall would live 45 s). */
export const CONNECTIONS_CHECK_INTERVAL_MS = 2_000;

/**
 * An idle kept-alive connection is closed after this. Longer than the idle timeout of common
 * load balancers (AWS ALB: 60 s), so the balancer closes first and never sends a request down a
 * connection we are closing (a 502).
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/**
 * Open connections at most (a new one above it is closed at once). Far above real traffic (a
 * provider's burst uses tens), it bounds what stalled clients can hold: each holds at most its
 * route's body cap (256 KiB at worst) for at most REQUEST_TIMEOUT_MS.
 */
export const MAX_CONNECTIONS = 1_000;

export function createHttpServer(app: Express): Server {
  const server = createServer(
    {
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: CONNECTIONS_CHECK_INTERVAL_MS,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    },
    app,
  );
  server.maxConnections = MAX_CONNECTIONS;
  return server;
}
