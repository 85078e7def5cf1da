// An HTTP handler (an express app) listening on 127.0.0.1 on a free port, for tests and
// benchmarks that talk real HTTP to it; close() also drops kept-alive connections, so it never
// waits for idle clients.
import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface Listening {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function listen(handler: RequestListener): Promise<Listening> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

// Ports below Linux's ephemeral range (32768-60999; macOS starts at 49152): listen(0) never hands
// these out, so a port picked here stays free while a child process takes seconds to start.
// A port taken from the ephemeral range could be given to another test's listen(0) meanwhile,
// and that test's server would answer in its place.
const RESERVED_FROM = 20_000;
const RESERVED_TO = 32_000;

/** A free port that another test's listen(0) cannot take before the caller binds it. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = RESERVED_FROM + Math.floor(Math.random() * (RESERVED_TO - RESERVED_FROM));
    if (await isFree(port)) return port;
  }
  throw new Error(`no free port between ${RESERVED_FROM} and ${RESERVED_TO} after 50 tries`);
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createNetServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}
