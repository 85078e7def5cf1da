// A minimal express app around an SMS adapter's router, listening on 127.0.0.1:0, for tests
// that need real HTTP without the whole bridge process.
import express from 'express';
import type { Router } from 'express';
import { listen } from '../../support/listen.js';

export interface TestApp {
  url: string;
  close(): Promise<void>;
}

export async function serveRouters(...routers: Router[]): Promise<TestApp> {
  const app = express();
  for (const r of routers) app.use(r);
  app.use((_req, res) => res.status(404).json({ error: { code: 'not_found' } }));
  const { url, close } = await listen(app);
  return { url, close };
}
