// One HTTP request exactly as a fuzz case describes it, written on a raw socket: headers as an
// ordered list (a header may be missing, repeated or oddly cased) and the body as bytes; fetch()
// would normalise all of that away. Host, Connection: close and a right Content-Length are always
// sent: this fuzzes what the routes read, not Node's HTTP parser.
import { connect } from 'node:net';

export interface RawRequest {
  method: string;
  /** Path and query, starting with '/'. */
  path: string;
  /** [name, value] pairs, in order; a name may repeat. */
  headers: [string, string][];
  body?: Buffer;
}

export interface RawAnswer {
  /** 0 when the connection ended without a status line. */
  status: number;
  /** The whole answer as received (latin1), for failure messages. */
  text: string;
  /** The socket broke (ECONNRESET, EPIPE) rather than ending cleanly. */
  broken: boolean;
}

/** Sends `req` to `baseUrl` on a fresh connection and reads the answer until the server closes. */
export function sendRaw(baseUrl: string, req: RawRequest, timeoutMs = 15_000): Promise<RawAnswer> {
  const { hostname, port, host } = new URL(baseUrl);
  const body = req.body ?? Buffer.alloc(0);
  const lines = [`${req.method} ${req.path} HTTP/1.1`, `Host: ${host}`, 'Connection: close'];
  for (const [k, v] of req.headers) lines.push(`${k}: ${v}`);
  lines.push(`Content-Length: ${body.length}`);
  const head = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    let broken = false;
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms: ${req.method} ${req.path}`)));
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A route that refuses a request on its headers answers and drops the connection without
      // reading the body: writing the rest then fails. The answer is usually already here.
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') broken = true;
      else reject(err);
    });
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : 0, text, broken });
    });
    socket.on('connect', () => {
      socket.write(Buffer.concat([head, body]));
    });
  });
}
