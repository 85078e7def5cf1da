// A small, strict fake SMS provider over real HTTP (127.0.0.1, ephemeral port) for the outbound
// pipeline tests and the benchmark: it records every send request with its arrival time, and
// answers what the test scripts (200, 429 + Retry-After, 5xx, permanent 4xx, opted out, or hold
// the request open until released). In idempotent mode it deduplicates by message id the way
// 8x8 does with clientMessageId: a repeat returns the first answer and sends nothing new.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SendRequest {
  messageId: string;
  from: string;
  to: string;
  body: string;
  mediaUrls: string[];
}

export interface Received extends SendRequest {
  /** Date.now() at arrival. */
  at: number;
  /** 1-based index of this request among all requests. */
  n: number;
}

export type Reply =
  | { status: number; body?: Record<string, unknown>; headers?: Record<string, string> }
  | 'hold'
  | 'ok';

export interface FakeProvider {
  url: string;
  /** Every request that reached the fake, in arrival order (retries included). */
  requests: Received[];
  /** SMS the fake "sent": one per accepted request (per message id when idempotent). */
  sent: Received[];
  /** Decide the answer for each request (default: 'ok'). */
  setScript(fn: (req: Received) => Reply): void;
  /** Resolves when `count` requests have arrived. */
  waitForRequests(count: number, timeoutMs?: number): Promise<void>;
  /** Answer every held request with 200. */
  releaseHeld(): void;
  close(): Promise<void>;
}

export async function startFakeProvider(opts: { idempotent?: boolean } = {}): Promise<FakeProvider> {
  const requests: Received[] = [];
  const sent: Received[] = [];
  const acceptedById = new Map<string, string>();
  const held: Array<() => void> = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  let script: (req: Received) => Reply = () => 'ok';
  let seq = 0;

  const accept = (r: Received, res: ServerResponse): void => {
    let id = opts.idempotent ? acceptedById.get(r.messageId) : undefined;
    if (!id) {
      id = `FAKE${++seq}`;
      acceptedById.set(r.messageId, id);
      sent.push(r);
    }
    send(res, 200, { id, status: 'queued' });
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST' || req.url !== '/send') {
      send(res, 404, { error: 'not found' });
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let parsed: SendRequest;
      try {
        parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SendRequest;
      } catch {
        send(res, 400, { code: 'bad_json', message: 'body is not JSON' });
        return;
      }
      if (typeof parsed.messageId !== 'string' || typeof parsed.from !== 'string' || typeof parsed.to !== 'string') {
        send(res, 400, { code: 'bad_request', message: 'messageId, from and to are required' });
        return;
      }
      const r: Received = { ...parsed, at: Date.now(), n: requests.length + 1 };
      requests.push(r);
      for (const w of [...waiters]) {
        if (requests.length >= w.count) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
      const reply = script(r);
      if (reply === 'ok') accept(r, res);
      else if (reply === 'hold') held.push(() => accept(r, res));
      else {
        if (reply.headers) for (const [k, v] of Object.entries(reply.headers)) res.setHeader(k, v);
        send(res, reply.status, reply.body ?? {});
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    sent,
    setScript(fn) {
      script = fn;
    },
    waitForRequests(count, timeoutMs = 15_000) {
      if (requests.length >= count) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`fake provider: ${requests.length}/${count} requests after ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    releaseHeld() {
      for (const h of held.splice(0)) h();
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
