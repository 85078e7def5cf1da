// Building blocks of the strict local fake provider servers (test/fakes/twilioFake.ts,
// eightbyeightFake.ts): a real HTTP server on 127.0.0.1:0, a queue of misbehaviours to apply to
// the next API calls, and media files served with a content type (and optional auth/redirect).
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FailSpec {
  /** HTTP status to answer with (e.g. 429, 503). */
  status?: number;
  /** Retry-After header value in seconds. */
  retryAfter?: number;
  /** Wait this long before answering (longer than the client timeout = a timeout). */
  delayMs?: number;
  /** Twilio: answer with this error code (status 400 unless given; 20429 -> 429). */
  twilioCode?: number;
  /** 8x8: answer 200 with status.code REJECTED and this description. */
  rejected?: string;
  /** Twilio: accept the message (it goes out) but answer 201 with a body that has no sid. */
  acceptedWithoutId?: boolean;
}

export interface MediaFile {
  contentType: string;
  body: Buffer;
  /** Required Authorization header value; anything else gets 401. */
  authorization?: string;
  /** Answer 302 to this absolute URL instead of the file. */
  redirectTo?: string;
  /** Answer 503 (a storage hiccup) to this many requests before serving the file. */
  unavailableTimes?: number;
  /** Wait this long before sending the headers (a host that hangs before answering). */
  headersDelayMs?: number;
  /** Send the body one byte every this many ms (a host that trickles, never quite silent). */
  trickleMs?: number;
}

export interface MediaRequest {
  path: string;
  authorization: string | undefined;
}

export interface RawRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export type Responder = (req: RawRequest, res: http.ServerResponse) => void | Promise<void>;

export interface FakeServer {
  url: string;
  /** host:port, for media allowlists. */
  host: string;
  close(): Promise<void>;
}

export async function startFakeServer(handle: Responder): Promise<FakeServer> {
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      Promise.resolve(handle({ method: req.method ?? 'GET', path: url.pathname + url.search, headers: req.headers, body: Buffer.concat(chunks) }, res)).catch(
        (err: unknown) => {
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(err));
        },
      );
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Media files by path, served by a fake; records who asked, with which credentials. */
export class MediaShelf {
  readonly files = new Map<string, MediaFile>();
  readonly requests: MediaRequest[] = [];

  put(path: string, file: MediaFile): void {
    this.files.set(path, file);
  }

  /** True when it answered (the path is a media path). */
  serve(req: RawRequest, res: http.ServerResponse): boolean {
    if (req.method !== 'GET') return false;
    const path = req.path.split('?')[0]!;
    const file = this.files.get(path);
    if (!file) return false;
    this.requests.push({ path, authorization: req.headers.authorization });
    if (file.authorization !== undefined && req.headers.authorization !== file.authorization) {
      sendJson(res, 401, { code: 20003, message: 'Authenticate', status: 401 });
      return true;
    }
    if (file.unavailableTimes !== undefined && file.unavailableTimes > 0) {
      file.unavailableTimes--;
      sendJson(res, 503, { code: 20500, message: 'Service Unavailable', status: 503 });
      return true;
    }
    if (file.redirectTo) {
      res.writeHead(302, { location: file.redirectTo });
      res.end();
      return true;
    }
    const send = () => {
      res.writeHead(200, { 'content-type': file.contentType, 'content-length': String(file.body.length) });
      if (!file.trickleMs) return void res.end(file.body);
      let sent = 0;
      const timer = setInterval(() => {
        res.write(file.body.subarray(sent, sent + 1));
        if (++sent >= file.body.length) {
          clearInterval(timer);
          res.end();
        }
      }, file.trickleMs);
      res.on('close', () => clearInterval(timer)); // the client gave up, or the fake closed
    };
    if (!file.headersDelayMs) send();
    else {
      const timer = setTimeout(send, file.headersDelayMs);
      res.on('close', () => clearTimeout(timer));
    }
    return true;
  }
}
