// A minimal express app around an SMS adapter's router, listening on 127.0.0.1:0, for tests
// that need real HTTP without the whole bridge process.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Router } from 'express';

export interface TestApp {
  url: string;
  close(): Promise<void>;
}

export async function serveRouters(...routers: Router[]): Promise<TestApp> {
  const app = express();
  for (const r of routers) app.use(r);
  app.use((_req, res) => res.status(404).json({ error: { code: 'not_found' } }));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
