/**
 * The shared downloader (src/data/download.ts) against local HTTP servers on 127.0.0.1: retries that
 * resume the part, checksums from the caller or from the Hub's headers, a stale part of another version,
 * the token kept to its origin across redirects, JSON API calls; and `rbench datasets fetch`, which
 * gained the retries through it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ChecksumMismatchError, DownloadError, downloadFile, fetchJson, fetchJsonPages, nextLink, verifiedCopy } from '../../src/data/download.js';
import { fetchBeirDataset } from '../../src/data/fetch.js';
import { loadDataset } from '../../src/data/datasets.js';
import { cutOffAfter, serveBytes, startServer, status, type Handler, type TestServer } from '../helpers/http-server.js';
import { errorOf } from '../helpers/errors.js';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
/** 300 kB of bytes that are not all the same (so a wrong resume offset changes the hash). */
const DATA = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919 + (i >> 8)) & 0xff));
const FAST = { retries: 2, minDelayMs: 5 };

/** Answers with the handlers in turn, the last one for every later request. */
function sequence(...handlers: Handler[]): Handler {
  let n = 0;
  return (req, res) => handlers[Math.min(n++, handlers.length - 1)](req, res);
}

let server: TestServer;
let cdn: TestServer;
let dir: string;
beforeAll(async () => {
  server = await startServer();
  cdn = await startServer();
});
afterAll(async () => {
  await server.close();
  await cdn.close();
});
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'rbench-download-'));
  server.requests.length = 0;
  cdn.requests.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('downloadFile', () => {
  it('a transfer cut short is retried, resuming its part with a Range request, and verified', async () => {
    server.route('/f.bin', sequence(cutOffAfter(DATA, 100_000), serveBytes(DATA)));
    const lines: string[] = [];
    const dest = path.join(dir, 'f.bin');
    const r = await downloadFile({ url: `${server.url}/f.bin`, dest, expected: { sha256: sha256(DATA), size: DATA.length }, retry: FAST, log: (l) => lines.push(l) });
    expect(r).toMatchObject({ path: dest, bytes: DATA.length, sha256: sha256(DATA), resumedFrom: 100_000 });
    expect(readFileSync(dest).equals(DATA)).toBe(true);
    expect(server.requests.map((q) => q.range)).toEqual([undefined, 'bytes=100000-']);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/retrying \(2 left\)$/);
    expect(readdirSync(dir)).toEqual(['f.bin']);
  });

  it('a part of another version: the resumed file fails its checksum and is downloaded once more from zero', async () => {
    const dest = path.join(dir, 'f.bin');
    const other = Buffer.from(DATA);
    other[10] ^= 0xff;
    writeFileSync(`${dest}.part`, other.subarray(0, 50_000));
    server.route('/f.bin', serveBytes(DATA));
    const r = await downloadFile({ url: `${server.url}/f.bin`, dest, expected: { md5: md5(DATA) }, retry: FAST });
    expect(r).toMatchObject({ bytes: DATA.length, md5: md5(DATA), resumedFrom: 0 });
    expect(server.requests.map((q) => q.range)).toEqual(['bytes=50000-', undefined]);
    expect(readFileSync(dest).equals(DATA)).toBe(true);
  });

  it('a fresh download with the wrong checksum is deleted and is not retried', async () => {
    server.route('/f.bin', serveBytes(DATA));
    const dest = path.join(dir, 'f.bin');
    const e = await errorOf(downloadFile({ url: `${server.url}/f.bin`, dest, subject: 'f.bin', expected: { sha256: '0'.repeat(64) }, retry: FAST }));
    expect(e).toBeInstanceOf(ChecksumMismatchError);
    expect(e.message).toBe(
      `checksum mismatch for f.bin: it has sha256 ${sha256(DATA)}, expected ${'0'.repeat(64)} (${DATA.length} bytes); the download was deleted. ` +
        'The server sent a different file (a truncated copy, an error page, another version); try again or use another mirror.',
    );
    expect(readdirSync(dir)).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it("takes sha256 and size from the Hub's headers on a redirect, and sends the token to its own origin only", async () => {
    const corrupt = Buffer.from(DATA);
    corrupt[0] ^= 0xff;
    server.route('/repo/resolve/main/model.onnx', (_req, res) => {
      res.writeHead(302, { location: `${cdn.url}/blob`, 'x-linked-etag': `"${sha256(DATA)}"`, 'x-linked-size': String(DATA.length) }).end();
    });
    cdn.route('/blob', serveBytes(corrupt));
    const auth = { token: 'hf_SECRET', origin: server.url };
    const dest = path.join(dir, 'onnx', 'model.onnx');
    const e = await errorOf(downloadFile({ url: `${server.url}/repo/resolve/main/model.onnx`, dest, auth, hubHeaders: true, keepPartial: false, retry: FAST }));
    expect(e).toBeInstanceOf(ChecksumMismatchError);
    expect(e.message).toContain(`it has sha256 ${sha256(corrupt)}, expected ${sha256(DATA)}`);
    expect(readdirSync(path.join(dir, 'onnx'))).toEqual([]);

    // The token goes to the endpoint's origin, not to the redirect target on another origin.
    const seen: Record<string, (string | undefined)[]> = { hub: [], cdn: [] };
    server.route('/who', (req, res) => {
      seen.hub.push(req.headers.authorization);
      res.writeHead(307, { location: `${cdn.url}/blob` }).end();
    });
    cdn.route('/blob', (req, res) => {
      seen.cdn.push(req.headers.authorization);
      serveBytes(DATA)(req, res);
    });
    const r = await downloadFile({ url: `${server.url}/who`, dest, auth, retry: FAST });
    expect(r.sha256).toBe(sha256(DATA));
    expect(seen).toEqual({ hub: ['Bearer hf_SECRET'], cdn: [undefined] });
  });

  it('classifies failures: 404 (kind not-found, not retried), 503 retried then given up, a size the server cannot send', async () => {
    const e404 = await errorOf(downloadFile({ url: `${server.url}/nope`, dest: path.join(dir, 'n'), subject: 'the file n', retry: FAST, hints: { notFound: 'Check n.' } }));
    expect(e404).toBeInstanceOf(DownloadError);
    expect((e404 as DownloadError).kind).toBe('not-found');
    expect(e404.message).toBe(`the file n does not exist (HTTP 404 from 127.0.0.1:${server.port} for ${server.url}/nope). Check n.`);
    expect(server.requests).toHaveLength(1);

    server.route('/busy', status(503, 'busy'));
    const e503 = await errorOf(downloadFile({ url: `${server.url}/busy`, dest: path.join(dir, 'b'), retry: FAST, hints: { mirror: 'use a mirror' } }));
    expect((e503 as DownloadError).kind).toBe('gave-up');
    expect(e503.message).toBe(
      `HTTP 503 Service Unavailable from 127.0.0.1:${server.port} for ${server.url}/busy; could not download ${server.url}/busy after 3 attempts. The server is failing or busy; try again later or use a mirror.`,
    );

    server.route('/sized', serveBytes(DATA));
    const eSize = await errorOf(downloadFile({ url: `${server.url}/sized`, dest: path.join(dir, 's'), expected: { size: 10 }, retry: FAST }));
    expect((eSize as DownloadError).kind).toBe('size');
    expect(eSize.message).toContain(`sends ${DATA.length} bytes for ${server.url}/sized, but 10 were expected.`);
  });

  it('verifiedCopy: a present file counts only when every known value matches', async () => {
    const f = path.join(dir, 'v.bin');
    writeFileSync(f, DATA);
    expect(await verifiedCopy(f, { sha256: sha256(DATA), size: DATA.length })).toEqual({ bytes: DATA.length, sha256: sha256(DATA) });
    expect(await verifiedCopy(f, { md5: md5(DATA) })).toEqual({ bytes: DATA.length, sha256: sha256(DATA) });
    expect(await verifiedCopy(f, { size: DATA.length - 1 })).toBeUndefined();
    expect(await verifiedCopy(f, { sha256: '0'.repeat(64) })).toBeUndefined();
    expect(await verifiedCopy(f, {})).toBeUndefined();
    expect(await verifiedCopy(path.join(dir, 'missing'), { size: 0 })).toBeUndefined();
  });
});

describe('fetchJson', () => {
  it('retries a 500 and parses the JSON; a body that is not JSON is an error', async () => {
    server.route('/api', sequence(status(500, 'oops'), serveBytes(Buffer.from('{"siblings":[1,2]}'), { contentType: 'application/json' })));
    expect(await fetchJson(`${server.url}/api`, { retry: FAST })).toEqual({ siblings: [1, 2] });
    expect(server.requests).toHaveLength(2);
    server.route('/html', serveBytes(Buffer.from('<html>'), { contentType: 'text/html' }));
    await expect(fetchJson(`${server.url}/html`, { retry: FAST })).rejects.toThrow(`127.0.0.1:${server.port} answered ${server.url}/html with something that is not JSON.`);
  });
});

describe('rbench datasets fetch uses it: transient failures are retried within one run', () => {
  const SOURCE = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'data', 'messy-beir');
  const tree: Record<string, Uint8Array> = {};
  for (const m of ['corpus.jsonl', 'queries.jsonl', ...readdirSync(path.join(SOURCE, 'qrels')).map((f) => `qrels/${f}`)]) tree[`messy/${m}`] = readFileSync(path.join(SOURCE, m));
  const zip = Buffer.from(zipSync(tree));

  it('a 503 once, then the archive: installed, with the retry logged', async () => {
    server.route('/beir/messy.zip', sequence(status(503, 'busy'), serveBytes(zip)));
    const lines: string[] = [];
    const res = await fetchBeirDataset('messy', { baseUrl: `${server.url}/beir/`, md5: md5(zip), cacheDir: dir, retryDelayMs: 5, log: (l) => lines.push(l) });
    expect(res.verified).toBe('md5');
    expect(res.record).toMatchObject({ bytes: zip.length, md5: md5(zip), sha256: sha256(zip) });
    expect(lines.some((l) => /HTTP 503 Service Unavailable .*retrying \(2 left\)/.test(l))).toBe(true);
    expect((await loadDataset({ path: res.folder })).counts).toEqual((await loadDataset({ path: SOURCE })).counts);
  });

  it('a connection cut mid-way: the same run resumes with a Range request', async () => {
    const cut = Math.floor(zip.length / 2);
    server.route('/beir/messy.zip', sequence(cutOffAfter(zip, cut), serveBytes(zip)));
    const res = await fetchBeirDataset('messy', { baseUrl: `${server.url}/beir/`, md5: md5(zip), cacheDir: dir, retryDelayMs: 5 });
    expect(server.requests.map((q) => q.range)).toEqual([undefined, `bytes=${cut}-`]);
    expect(res.record.md5).toBe(md5(zip));
    expect(existsSync(path.join(dir, 'datasets', '.messy.zip.part'))).toBe(false);
  });
});

describe('paged JSON listings (Link: rel="next", as the Hub pages its tree API)', () => {
  it('nextLink reads RFC 8288 headers: quoted or bare rel, several relations, relative targets, other links', () => {
    const base = 'http://127.0.0.1:1/api/datasets/a/b/tree/main?recursive=true';
    expect(nextLink('<https://hub.example/api/x?cursor=abc>; rel="next"', base)).toBe('https://hub.example/api/x?cursor=abc');
    expect(nextLink('</api/x?cursor=2>; rel=next', base)).toBe('http://127.0.0.1:1/api/x?cursor=2');
    expect(nextLink('<http://h/p1>; rel="prev", <http://h/p3>; rel="last next"', base)).toBe('http://h/p3');
    expect(nextLink('<http://h/p1>; rel="prev"', base)).toBeUndefined();
    expect(nextLink('<http://h/p1>; title="next"', base)).toBeUndefined();
    expect(nextLink(null, base)).toBeUndefined();
  });

  it('fetchJsonPages follows the pages in order and refuses a loop', async () => {
    const page = (body: unknown, next?: string): Handler => (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', ...(next ? { link: `<${next}>; rel="next"` } : {}) });
      res.end(JSON.stringify(body));
    };
    const s = await startServer({ '/p1': page([1], '/p2'), '/p2': page([2], '/p3'), '/p3': page([3]), '/loop': page([0], '/loop') });
    try {
      expect(await fetchJsonPages(`${s.url}/p1`, { retry: FAST })).toEqual([[1], [2], [3]]);
      expect((await errorOf(fetchJsonPages(`${s.url}/loop`, { retry: FAST }))).message).toContain(`pages its answer to ${s.url}/loop without end`);
    } finally {
      await s.close();
    }
  });
});
