/**
 * A small local HTTP server for tests of code that downloads: it listens on 127.0.0.1 on an ephemeral
 * port and serves routes (exact paths) from bytes, files or handlers; other paths get 404. Every request
 * is logged (method, path, Range header) so tests can assert on resumption and retries.
 *
 *   const server = await startServer({ '/scifact.zip': serveBytes(zip) });
 *   … fetch(`${server.url}/scifact.zip`) …
 *   await server.close();
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface RequestLog {
  method: string;
  path: string;
  range?: string;
}

export interface TestServer {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  url: string;
  port: number;
  requests: RequestLog[];
  /** Replaces or adds a route while the server runs. */
  route(path: string, handler: Handler): void;
  close(): Promise<void>;
}

/** Serves `data` with Content-Length, honouring a single `Range: bytes=N-[M]` request with 206. */
export function serveBytes(data: Buffer, opts: { contentType?: string; ranges?: boolean } = {}): Handler {
  return (req, res) => {
    const type = opts.contentType ?? 'application/octet-stream';
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range && opts.ranges !== false) {
      const start = Number(range[1]);
      const end = range[2] === '' ? data.length - 1 : Math.min(Number(range[2]), data.length - 1);
      if (start >= data.length) {
        res.writeHead(416, { 'content-range': `bytes */${data.length}` });
        res.end();
        return;
      }
      res.writeHead(206, { 'content-type': type, 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${data.length}`, 'accept-ranges': 'bytes' });
      res.end(data.subarray(start, end + 1));
      return;
    }
    res.writeHead(200, { 'content-type': type, 'content-length': data.length, ...(opts.ranges === false ? {} : { 'accept-ranges': 'bytes' }) });
    res.end(data);
  };
}

/** Serves a file read from disk at request time. */
export function serveFile(file: string, opts: { contentType?: string } = {}): Handler {
  return async (req, res) => serveBytes(await readFile(file), opts)(req, res);
}

/**
 * Announces all of `data` (Content-Length) but sends only the first `bytes` bytes, then destroys the
 * connection: a server dying mid-download.
 */
export function cutOffAfter(data: Buffer, bytes: number): Handler {
  if (bytes >= data.length) throw new Error(`cutOffAfter: ${bytes} bytes is not a cut of ${data.length}`);
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': data.length, connection: 'close' });
    res.write(data.subarray(0, bytes), () => {
      setTimeout(() => res.socket?.destroy(), 20);
    });
  };
}

/** Sends headers and then nothing: a stalled transfer (for idle timeouts). The socket is freed on close. */
export function stall(data: Buffer): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': data.length });
    res.flushHeaders();
  };
}

/** Replies with a status and a short text body. */
export function status(code: number, body = ''): Handler {
  return (_req, res) => {
    res.writeHead(code, { 'content-type': 'text/plain' });
    res.end(body);
  };
}

export async function startServer(routes: Record<string, Handler | Buffer> = {}): Promise<TestServer> {
  const table = new Map<string, Handler>();
  for (const [p, h] of Object.entries(routes)) table.set(p, Buffer.isBuffer(h) ? serveBytes(h) : h);
  const requests: RequestLog[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const p = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    requests.push({ method: req.method ?? 'GET', path: p, ...(req.headers.range ? { range: req.headers.range } : {}) });
    const h = table.get(p) ?? status(404, 'not found');
    Promise.resolve(h(req, res)).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(e));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    route: (p, h) => table.set(p, h),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A URL on 127.0.0.1 where nothing listens (a port that was just freed): connections are refused. */
export async function refusedUrl(): Promise<string> {
  const s = await startServer();
  const url = s.url;
  await s.close();
  return url;
}
