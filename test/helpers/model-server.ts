/**
 * A local stand-in for the Hugging Face Hub on 127.0.0.1, serving model folders for `rbench models fetch`:
 *
 * - `GET /api/models/<id>/revision/<rev>` → `{ id, sha, siblings: [{ rfilename, size, lfs? }] }` (ONNX files are
 *   described as LFS files with their sha256, as the Hub does);
 * - `GET /<id>/resolve/<rev>/<file>` → the file, or for LFS files a 302 to a second server (the "CDN", another
 *   origin) with `X-Linked-Etag` / `X-Linked-Size`, as the Hub does.
 *
 * Misbehaviour on demand: files listed but answered 404, a 500 on the first request, a body cut short,
 * corrupted bytes, a required bearer token. Every request is logged with whether it carried a token.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';

export interface ServedRepo {
  /** Folder whose files make the repository. */
  dir: string;
  /** Revisions that resolve (default: `main`). */
  revisions?: string[];
  /** Commit sha reported by the API. */
  commit?: string;
}

export interface ModelServerOptions {
  repos: Record<string, ServedRepo>;
  /** Files (repository paths) listed in `siblings` but answered 404. */
  listedButMissing?: string[];
  /** Files answered 500 on their first request. */
  failOnce?: string[];
  /** Files whose body is cut in half (after a full Content-Length) on every request. */
  truncate?: string[];
  /** Files served with their first byte flipped (same size, wrong sha256). */
  corrupt?: string[];
  /** When set, every request to the main server needs `Authorization: Bearer <token>` (else 401). */
  token?: string;
  /** Files larger than this are LFS files (redirected to the CDN); default: every `.onnx` / `.onnx_data` file. */
  lfs?: (file: string) => boolean;
}

export interface LoggedRequest {
  server: 'hub' | 'cdn';
  method: string;
  path: string;
  authorized: boolean;
  authorization?: string;
}

export interface ModelServer {
  /** Base URL of the Hub stand-in (`http://127.0.0.1:<port>`), for `--endpoint` / `$HF_ENDPOINT`. */
  url: string;
  cdnUrl: string;
  requests: LoggedRequest[];
  close(): Promise<void>;
}

function listFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, r));
    else if (!e.name.startsWith('.')) out.push(r);
  }
  return out.sort();
}

const sha256 = (buf: Buffer): string => createHash('sha256').update(buf).digest('hex');

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

export async function startModelServer(opts: ModelServerOptions): Promise<ModelServer> {
  const requests: LoggedRequest[] = [];
  const failed = new Set<string>();
  const isLfs = opts.lfs ?? ((f: string) => f.endsWith('.onnx') || /\.onnx_data(_\d+)?$/.test(f));
  const sockets = new Set<Socket>();

  const fileOf = (id: string, file: string): Buffer | undefined => {
    const repo = opts.repos[id];
    if (!repo || file.split('/').includes('..')) return undefined;
    const p = path.join(repo.dir, ...file.split('/'));
    return fs.existsSync(p) && fs.statSync(p).isFile() ? fs.readFileSync(p) : undefined;
  };

  /** Sends a file, honouring the misbehaviour options. */
  const sendFile = (res: ServerResponse, key: string, file: string, data: Buffer): void => {
    if (opts.failOnce?.includes(file) && !failed.has(key)) {
      failed.add(key);
      res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error (once)');
      return;
    }
    let body = data;
    if (opts.corrupt?.includes(file)) {
      body = Buffer.from(data);
      body[0] ^= 0xff;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
    if (opts.truncate?.includes(file)) {
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
      return;
    }
    res.end(body);
  };

  let cdnBase = '';
  const hub = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const auth = req.headers.authorization;
    requests.push({ server: 'hub', method: req.method ?? 'GET', path: url.pathname, authorized: auth !== undefined, ...(auth ? { authorization: auth } : {}) });
    if (opts.token && auth !== `Bearer ${opts.token}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'Invalid credentials' }));
      return;
    }
    const api = /^\/api\/models\/(.+)\/revision\/([^/]+)$/.exec(url.pathname);
    if (api) {
      const [, id, rev] = api;
      const repo = opts.repos[id];
      if (!repo || !(repo.revisions ?? ['main']).includes(decodeURIComponent(rev))) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'Repository not found' }));
        return;
      }
      const files = listFiles(repo.dir);
      const siblings = files.map((f) => {
        const data = fs.readFileSync(path.join(repo.dir, ...f.split('/')));
        return isLfs(f) ? { rfilename: f, size: data.length, lfs: { sha256: sha256(data), size: data.length, pointerSize: 134 } } : { rfilename: f, size: data.length };
      });
      for (const f of opts.listedButMissing ?? []) if (!files.includes(f)) siblings.push({ rfilename: f, size: 10 });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id, sha: repo.commit ?? 'a'.repeat(40), siblings }));
      return;
    }
    const resolve = /^\/(.+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (resolve) {
      const [, id, rev, rawFile] = resolve;
      const file = decodeURIComponent(rawFile);
      const repo = opts.repos[id];
      const data = fileOf(id, file);
      if (!repo || !(repo.revisions ?? ['main']).includes(decodeURIComponent(rev)) || !data || opts.listedButMissing?.includes(file)) {
        res.writeHead(404, { 'content-type': 'text/plain', 'x-error-code': 'EntryNotFound' }).end('Entry not found');
        return;
      }
      if (isLfs(file)) {
        res.writeHead(302, {
          location: `${cdnBase}/cdn/${id}/${file}`,
          'x-linked-etag': `"${sha256(data)}"`,
          'x-linked-size': String(data.length),
          'content-length': '0',
        });
        res.end();
        return;
      }
      sendFile(res, `hub:${id}/${file}`, file, data);
      return;
    }
    res.writeHead(404).end('not found');
  });

  const cdn = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const auth = req.headers.authorization;
    requests.push({ server: 'cdn', method: req.method ?? 'GET', path: url.pathname, authorized: auth !== undefined, ...(auth ? { authorization: auth } : {}) });
    const m = /^\/cdn\/(.+?\/[^/]+)\/(.+)$/.exec(url.pathname);
    const data = m ? fileOf(m[1], decodeURIComponent(m[2])) : undefined;
    if (!m || !data) {
      res.writeHead(404).end('not found');
      return;
    }
    sendFile(res, `cdn:${m[1]}/${m[2]}`, decodeURIComponent(m[2]), data);
  });

  for (const s of [hub, cdn]) s.on('connection', (sock: Socket) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
  });
  const hubPort = await listen(hub);
  const cdnPort = await listen(cdn);
  cdnBase = `http://127.0.0.1:${cdnPort}`;
  return {
    url: `http://127.0.0.1:${hubPort}`,
    cdnUrl: cdnBase,
    requests,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([new Promise<void>((r) => hub.close(() => r())), new Promise<void>((r) => cdn.close(() => r()))]);
    },
  };
}
