/**
 * A local stand-in for the Hugging Face Hub on 127.0.0.1, serving model folders for `rbench models fetch`
 * and dataset repositories for `rbench datasets fetch --hub`:
 *
 * - `GET /api/models/<id>/revision/<rev>` → `{ id, sha, siblings: [{ rfilename, size, lfs? }] }` (ONNX files are
 *   described as LFS files with their sha256, as the Hub does);
 * - `GET /<id>/resolve/<rev>/<file>` → the file, or for LFS files a 302 to a second server (the "CDN", another
 *   origin) with `X-Linked-Etag` / `X-Linked-Size`, as the Hub does;
 * - `GET /api/datasets/<id>/revision/<rev>` → `{ id, sha, siblings }`; `<rev>` is a branch name (URL-encoded
 *   as one segment: `refs%2Fconvert%2Fparquet`) or a commit;
 * - `GET /api/datasets/<id>/tree/<rev>?recursive=true` → `[{ type, oid, size, path, lfs? }]` as the Hub's tree
 *   API answers (directories too; `lfs.oid` is the sha256 of an LFS file, `oid` the git blob id), paged by a
 *   `Link: <…&cursor=N>; rel="next"` header when `treePageSize` is set;
 * - `GET /datasets/<id>/resolve/<rev>/<file>` → as for models.
 *
 * Misbehaviour on demand: files listed but answered 404, a 500 on the first request, a body cut short
 * (always, or only the first time), corrupted bytes, a required bearer token. Every request is logged
 * with whether it carried a token and its Range header.
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

/** A dataset repository: each revision (branch name) is a folder of files and the commit it is at. */
export interface ServedDataset {
  revisions: Record<string, { dir: string; commit: string }>;
}

export interface ModelServerOptions {
  repos: Record<string, ServedRepo>;
  /** Dataset repositories by id (`mteb/scifact`). */
  datasets?: Record<string, ServedDataset>;
  /** Entries per page of a tree listing (default: one page). */
  treePageSize?: number;
  /** Files whose first request is cut in half (the connection drops); later requests are answered whole. */
  cutOnce?: string[];
  /** Answer `Range: bytes=N-` with 206 and the rest of the file (default: ranges are ignored, 200). */
  ranges?: boolean;
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
  /** Which files are LFS files (redirected to the CDN); default: every `.onnx` / `.onnx_data` / `.parquet` file. */
  lfs?: (file: string) => boolean;
}

export interface LoggedRequest {
  server: 'hub' | 'cdn';
  method: string;
  path: string;
  authorized: boolean;
  authorization?: string;
  range?: string;
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
  const isLfs = opts.lfs ?? ((f: string) => f.endsWith('.onnx') || /\.onnx_data(_\d+)?$/.test(f) || f.endsWith('.parquet'));
  const cut = new Set<string>();
  const sockets = new Set<Socket>();

  const fileOf = (id: string, file: string): Buffer | undefined => {
    const repo = opts.repos[id];
    if (!repo || file.split('/').includes('..')) return undefined;
    const p = path.join(repo.dir, ...file.split('/'));
    return fs.existsSync(p) && fs.statSync(p).isFile() ? fs.readFileSync(p) : undefined;
  };

  /** Sends a file, honouring the misbehaviour options. */
  const sendFile = (req: IncomingMessage, res: ServerResponse, key: string, file: string, data: Buffer): void => {
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
    const range = opts.ranges ? /^bytes=(\d+)-$/.exec(req.headers.range ?? '') : null;
    if (range && Number(range[1]) < body.length) {
      const start = Number(range[1]);
      res.writeHead(206, { 'content-type': 'application/octet-stream', 'content-length': String(body.length - start), 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
      res.end(body.subarray(start));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
    if (opts.cutOnce?.includes(file) && !cut.has(file)) {
      cut.add(file);
      // The pause lets the client take in the half before the connection drops (a connection that errors
      // discards what the client has received but not yet read).
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => setTimeout(() => res.socket?.destroy(), 50));
      return;
    }
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
    requests.push({ server: 'hub', method: req.method ?? 'GET', path: url.pathname, authorized: auth !== undefined, ...(auth ? { authorization: auth } : {}), ...(req.headers.range ? { range: req.headers.range } : {}) });
    if (opts.token && auth !== `Bearer ${opts.token}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'Invalid credentials' }));
      return;
    }
    if (url.pathname.startsWith('/api/datasets/') || url.pathname.startsWith('/datasets/')) {
      serveDataset(req, res, url);
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
      sendFile(req, res, `hub:${id}/${file}`, file, data);
      return;
    }
    res.writeHead(404).end('not found');
  });

  /** A dataset revision by branch name or commit. */
  const datasetAt = (id: string, rev: string): { dir: string; commit: string } | undefined => {
    const ds = opts.datasets?.[id];
    if (!ds) return undefined;
    return ds.revisions[rev] ?? Object.values(ds.revisions).find((r) => r.commit === rev);
  };
  const notFound = (res: ServerResponse, what: string): void => {
    res.writeHead(404, { 'content-type': 'application/json', 'x-error-code': 'RevisionNotFound' }).end(JSON.stringify({ error: what }));
  };
  const gitBlobId = (data: Buffer): string => createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');

  const serveDataset = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    const info = /^\/api\/datasets\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(url.pathname);
    if (info) {
      const [, id, rev] = info;
      const at = datasetAt(id, decodeURIComponent(rev));
      if (!at) return notFound(res, `Revision not found: ${decodeURIComponent(rev)}`);
      const siblings = listFiles(at.dir).map((rfilename) => ({ rfilename }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id, sha: at.commit, siblings }));
      return;
    }
    const tree = /^\/api\/datasets\/([^/]+\/[^/]+)\/tree\/([^/]+)$/.exec(url.pathname);
    if (tree) {
      const [, id, rev] = tree;
      const at = datasetAt(id, decodeURIComponent(rev));
      if (!at) return notFound(res, `Revision not found: ${decodeURIComponent(rev)}`);
      const files = listFiles(at.dir);
      const dirs = [...new Set(files.flatMap((f) => f.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'))))];
      const entries = [
        ...dirs.map((d) => ({ type: 'directory', oid: createHash('sha1').update(d).digest('hex'), size: 0, path: d })),
        ...files.map((f) => {
          const data = fs.readFileSync(path.join(at.dir, ...f.split('/')));
          const lfs = isLfs(f) ? { lfs: { oid: sha256(data), size: data.length, pointerSize: 134 } } : {};
          return { type: 'file', oid: gitBlobId(data), size: data.length, path: f, ...lfs };
        }),
      ].sort((a, b) => (a.path < b.path ? -1 : 1));
      const start = Number(url.searchParams.get('cursor') ?? 0);
      const size = opts.treePageSize ?? entries.length;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (start + size < entries.length) {
        const next = new URL(url.toString().replace(/^http:\/\/x/, `http://${req.headers.host}`));
        next.searchParams.set('cursor', String(start + size));
        headers.link = `<${next.toString()}>; rel="next"`;
      }
      res.writeHead(200, headers).end(JSON.stringify(entries.slice(start, start + size)));
      return;
    }
    const resolve = /^\/datasets\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (resolve) {
      const [, id, rev, rawFile] = resolve;
      const file = decodeURIComponent(rawFile);
      const at = datasetAt(id, decodeURIComponent(rev));
      const p = at && !file.split('/').includes('..') ? path.join(at.dir, ...file.split('/')) : undefined;
      if (!at || !p || !fs.existsSync(p) || opts.listedButMissing?.includes(file)) {
        res.writeHead(404, { 'content-type': 'text/plain', 'x-error-code': 'EntryNotFound' }).end('Entry not found');
        return;
      }
      const data = fs.readFileSync(p);
      if (isLfs(file)) {
        res.writeHead(302, { location: `${cdnBase}/cdn-datasets/${id}/${at.commit}/${rawFile}`, 'x-linked-etag': `"${sha256(data)}"`, 'x-linked-size': String(data.length), 'content-length': '0' });
        res.end();
        return;
      }
      sendFile(req, res, `hub:${id}/${file}`, file, data);
      return;
    }
    res.writeHead(404).end('not found');
  };

  const cdn = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const auth = req.headers.authorization;
    requests.push({ server: 'cdn', method: req.method ?? 'GET', path: url.pathname, authorized: auth !== undefined, ...(auth ? { authorization: auth } : {}), ...(req.headers.range ? { range: req.headers.range } : {}) });
    const d = /^\/cdn-datasets\/([^/]+\/[^/]+)\/([0-9a-f]{40})\/(.+)$/.exec(url.pathname);
    if (d) {
      const at = datasetAt(d[1], d[2]);
      const file = decodeURIComponent(d[3]);
      const p = at && !file.split('/').includes('..') ? path.join(at.dir, ...file.split('/')) : undefined;
      if (!p || !fs.existsSync(p)) {
        res.writeHead(404).end('not found');
        return;
      }
      sendFile(req, res, `cdn:${d[1]}/${file}`, file, fs.readFileSync(p));
      return;
    }
    const m = /^\/cdn\/(.+?\/[^/]+)\/(.+)$/.exec(url.pathname);
    const data = m ? fileOf(m[1], decodeURIComponent(m[2])) : undefined;
    if (!m || !data) {
      res.writeHead(404).end('not found');
      return;
    }
    sendFile(req, res, `cdn:${m[1]}/${m[2]}`, decodeURIComponent(m[2]), data);
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
