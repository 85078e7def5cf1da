// A request written by hand on a raw socket, for tests of what the server does with clients that
// stall: headers (with any Content-Length declared), then some or none of the body, then nothing.
// It records what the server answered and when it closed the connection.
import { connect, type Socket } from 'node:net';

export interface RawUpload {
  socket: Socket;
  /** Resolves when the server closed the connection (or it broke), whatever it answered first. */
  closed: Promise<{ afterMs: number; statusLine: string; response: string }>;
  /** Sends more of the body (ignored once the connection is gone). */
  write(bytes: Buffer | string): void;
  /** What the server has answered so far. */
  received(): string;
}

export interface RawUploadOptions {
  /** http://host:port of the server. */
  url: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  /** Declared Content-Length; omitted when null. */
  contentLength?: number | null;
  /** Body bytes sent right after the headers. */
  body?: Buffer | string;
  /** false: the headers are left unfinished (no blank line). */
  endHeaders?: boolean;
}

export function rawUpload(opts: RawUploadOptions): Promise<RawUpload> {
  const { hostname, port } = new URL(opts.url);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let response = '';
    let connected = false;
    socket.on('data', (d: Buffer) => (response += d.toString('latin1')));
    // EPIPE/ECONNRESET while writing a body the server stopped reading: expected here.
    socket.on('error', (err) => {
      if (!connected) reject(err);
    });
    const closed = new Promise<{ afterMs: number; statusLine: string; response: string }>((done) =>
      socket.once('close', () => done({ afterMs: Date.now() - started, statusLine: response.split('\r\n')[0] ?? '', response })),
    );
    socket.once('connect', () => {
      connected = true;
      const lines = [`${opts.method ?? 'POST'} ${opts.path} HTTP/1.1`, `Host: ${hostname}:${port}`];
      for (const [k, v] of Object.entries(opts.headers ?? {})) lines.push(`${k}: ${v}`);
      if (opts.contentLength !== null) lines.push(`Content-Length: ${opts.contentLength ?? Buffer.byteLength(opts.body ?? '')}`);
      socket.write(lines.join('\r\n') + '\r\n' + (opts.endHeaders === false ? '' : '\r\n'));
      if (opts.body !== undefined && opts.body.length > 0) socket.write(opts.body);
      resolve({
        socket,
        closed,
        write: (bytes) => {
          if (!socket.destroyed && socket.writable) socket.write(bytes);
        },
        received: () => response,
      });
    });
  });
}
