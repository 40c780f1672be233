/**
 * `rbench datasets fetch` against a local HTTP server on 127.0.0.1 serving BEIR zips that the test
 * builds from a real collection (ADI when the shared collections are there, else the fixture messy-beir;
 * without ADI a skipped test says so, and under RBENCH_REQUIRE_SHARED=1 a failed one).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Zip, ZipDeflate, zipSync, type Zippable } from 'fflate';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { BEIR_ARCHIVES } from '../../src/data/beir-catalog.js';
import { listDatasets, loadDataset } from '../../src/data/datasets.js';
import { fetchBeirDataset } from '../../src/data/fetch.js';
import type { Dataset } from '../../src/data/types.js';
import { cutOffAfter, refusedUrl, serveBytes, stall, startServer, status, type TestServer } from '../helpers/http-server.js';
import { errorOf } from '../helpers/errors.js';
import { reportMissing, sharedCollections } from '../helpers/shared.js';

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'data');
const shared = sharedCollections(['adi']);
reportMissing(shared, 'the fetch tests zip ADI (without it they zip the fixture messy-beir)');
/** What the archives hold, with its counts from outside rbench: ADI's SOURCE.md, or messy-beir counted by hand. */
const SOURCE = shared.present
  ? // SOURCE.md: 82 documents, 35 queries, 170 judgments, split test only; validates clean (shared-collections.test.ts).
    { dir: shared.path('adi'), docs: 82, queries: 35, qrels: 170, corpusLines: 82, splits: ['test'], validateExit: 0 }
  : // test/data/beir.test.ts: 7 corpus lines, one a repeated id; queries q1-q3 judged in test; a duplicate id is a defect.
    { dir: path.join(FIX, 'messy-beir'), docs: 6, queries: 3, qrels: 7, corpusLines: 7, splits: ['dev', 'test'], validateExit: 1 };
const NOWHERE = path.join(tmpdir(), 'rbench-no-such-folder');

const MEMBERS = ['corpus.jsonl', 'queries.jsonl', ...readdirSync(path.join(SOURCE.dir, 'qrels')).map((f) => `qrels/${f}`)];

/** A BEIR archive as BEIR serves them: `<name>/corpus.jsonl`, `<name>/queries.jsonl`, `<name>/qrels/*.tsv`. */
function beirZip(name: string, level: 0 | 6 = 6): Buffer {
  const tree: Zippable = {};
  for (const m of MEMBERS) tree[`${name}/${m}`] = [readFileSync(path.join(SOURCE.dir, m)), { level }];
  return Buffer.from(zipSync(tree));
}

/** The same archive written by fflate's streaming Zip: entries carry data descriptors (flag bit 3). */
function streamedZip(name: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Uint8Array[] = [];
    const zip = new Zip((err, chunk, final) => {
      if (err) return reject(err);
      parts.push(chunk);
      if (final) resolve(Buffer.concat(parts));
    });
    for (const m of MEMBERS) {
      const entry = new ZipDeflate(`${name}/${m}`, { level: 6 });
      zip.add(entry);
      entry.push(readFileSync(path.join(SOURCE.dir, m)), true);
    }
    zip.end();
  });
}

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let server: TestServer;
let cache: string;
let reference: Dataset;
const zipAdi = beirZip('adi');

beforeAll(async () => {
  server = await startServer({ '/beir/adi.zip': serveBytes(zipAdi) });
  reference = await loadDataset({ path: SOURCE.dir });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  cache = mkdtempSync(path.join(tmpdir(), 'rbench-fetch-'));
  server.requests.length = 0;
});
afterEach(() => rmSync(cache, { recursive: true, force: true }));

const base = (): string => `${server.url}/beir/`;
const datasetsDir = (): string => path.join(cache, 'datasets');
const leftovers = (): string[] => (existsSync(datasetsDir()) ? readdirSync(datasetsDir()).sort() : []);

describe('fetching a BEIR archive', () => {
  it('downloads, verifies, unpacks and installs a dataset that loads with the right counts', async () => {
    const res = await fetchBeirDataset('adi', { baseUrl: base(), md5: md5(zipAdi), cacheDir: cache });
    expect(res).toMatchObject({ name: 'adi', folder: path.join(datasetsDir(), 'adi'), alreadyPresent: false, verified: 'md5', beirFolders: ['.'] });
    expect(res.record).toMatchObject({ url: `${base()}adi.zip`, bytes: zipAdi.length, md5: md5(zipAdi), sha256: sha256(zipAdi) });
    expect(leftovers()).toEqual(['adi']); // no .part, no zip, no temp folder
    const ds = await loadDataset({ name: 'adi' }, { cacheDir: cache, sharedDir: NOWHERE, bundledDir: NOWHERE });
    expect(ds.path).toBe(res.folder);
    expect(ds.counts).toEqual(reference.counts);
    expect(ds.sha256).toBe(reference.sha256); // byte-identical members
    expect([ds.counts?.docs, ds.counts?.queries, ds.counts?.qrels]).toEqual([SOURCE.docs, SOURCE.queries, SOURCE.qrels]);
    const info = listDatasets({ cacheDir: cache, sharedDir: NOWHERE, bundledDir: NOWHERE });
    expect(info).toEqual([expect.objectContaining({ name: 'adi', source: 'fetched', format: 'beir', splits: SOURCE.splits, fetch: res.record })]);
  });

  it('a second fetch finds it present and downloads nothing; --force downloads again', async () => {
    await fetchBeirDataset('adi', { baseUrl: base(), md5: md5(zipAdi), cacheDir: cache });
    const again = await fetchBeirDataset('adi', { baseUrl: base(), md5: md5(zipAdi), cacheDir: cache });
    expect(again.alreadyPresent).toBe(true);
    expect(server.requests).toHaveLength(1);
    const forced = await fetchBeirDataset('adi', { baseUrl: base(), md5: md5(zipAdi), cacheDir: cache, force: true });
    expect(forced.alreadyPresent).toBe(false);
    expect(server.requests).toHaveLength(2);
    expect(leftovers()).toEqual(['adi']);
  });

  it('takes the base URL from $RBENCH_BEIR_BASE_URL, checks --sha256, and unpacks stored entries', async () => {
    const stored = beirZip('adi', 0);
    server.route('/env/adi.zip', serveBytes(stored));
    vi.stubEnv('RBENCH_BEIR_BASE_URL', `${server.url}/env`);
    try {
      const res = await fetchBeirDataset('adi', { sha256: sha256(stored), cacheDir: cache });
      expect(res.verified).toBe('sha256');
      expect(res.record.url).toBe(`${server.url}/env/adi.zip`);
      expect((await loadDataset({ path: res.folder })).counts).toEqual(reference.counts);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('unpacks archives whose entries use data descriptors (streamed zips)', async () => {
    const z = await streamedZip('adi');
    expect(z.readUInt16LE(6) & 8).toBe(8); // general-purpose flag bit 3 on the first local header
    server.route('/dd/adi.zip', serveBytes(z));
    const res = await fetchBeirDataset('adi', { baseUrl: `${server.url}/dd`, md5: md5(z), cacheDir: cache });
    expect((await loadDataset({ path: res.folder })).corpus).toEqual(reference.corpus);
  });

  it('an archive with several BEIR folders (like cqadupstack) is installed whole and each is named', async () => {
    const tree: Zippable = {};
    for (const sub of ['android', 'gis']) for (const m of MEMBERS) tree[`multi/${sub}/${m}`] = readFileSync(path.join(SOURCE.dir, m));
    const z = Buffer.from(zipSync(tree));
    server.route('/beir/multi.zip', serveBytes(z));
    const res = await fetchBeirDataset('multi', { baseUrl: base(), md5: md5(z), cacheDir: cache });
    expect(res.beirFolders).toEqual(['android', 'gis']);
    expect((await loadDataset({ path: path.join(res.folder, 'gis') })).counts).toEqual(reference.counts);
  });
});

describe('verification failures leave nothing behind', () => {
  it('a wrong --md5 is an error; the download is deleted', async () => {
    const e = await errorOf(fetchBeirDataset('adi', { baseUrl: base(), md5: '0'.repeat(32), cacheDir: cache }));
    expect(e.message).toBe(
      `checksum mismatch for ${base()}adi.zip: expected md5 ${'0'.repeat(32)}, got ${md5(zipAdi)} (${zipAdi.length} bytes); the download was deleted and nothing was installed. ` +
        'The server sent a different file (a truncated copy, an error page, another version). Try again or use another mirror; if the file is right, pass its checksum with --sha256/--md5.',
    );
    expect(leftovers()).toEqual([]);
    expect(listDatasets({ cacheDir: cache, sharedDir: NOWHERE, bundledDir: NOWHERE })).toEqual([]);
  });

  it('a known BEIR name is checked against the MD5 BEIR publishes', async () => {
    server.route('/beir/scifact.zip', serveBytes(zipAdi)); // not the real scifact.zip
    const e = await errorOf(fetchBeirDataset('scifact', { baseUrl: base(), cacheDir: cache }));
    expect(e.message).toContain(`expected md5 (published by BEIR) ${BEIR_ARCHIVES.scifact.md5}, got ${md5(zipAdi)}`);
    expect(BEIR_ARCHIVES.scifact.md5).toBe('5f7d1de60b170fc8027bb7898e2efca1');
    expect(leftovers()).toEqual([]);
  });

  it('an unknown name without a checksum installs with a warning that prints the hashes', async () => {
    server.route('/beir/my-set.zip', serveBytes(beirZip('my-set')));
    const lines: string[] = [];
    const res = await fetchBeirDataset('my-set', { baseUrl: base(), cacheDir: cache, log: (l) => lines.push(l) });
    expect(res.verified).toBe('unverified');
    expect(lines.find((l) => l.startsWith('warning:'))).toContain(`It has sha256 ${res.record.sha256}`);
  });

  it('a running fetch of the same dataset holds a lock; a stale lock (dead process) is taken over', async () => {
    mkdirSync(datasetsDir(), { recursive: true });
    const lockFile = path.join(datasetsDir(), '.adi.lock');
    writeFileSync(lockFile, `${process.ppid}\n`); // a live process that is not this one
    await expect(fetchBeirDataset('adi', { baseUrl: base(), md5: md5(zipAdi), cacheDir: cache })).rejects.toThrow(`another \`rbench datasets fetch adi\` (process ${process.ppid}) is running.`);
    expect(server.requests).toHaveLength(0);
    writeFileSync(lockFile, '4194301\n'); // above Linux's pid_max: no such process
    const res = await fetchBeirDataset('adi', { baseUrl: base(), md5: md5(zipAdi), cacheDir: cache });
    expect(res.alreadyPresent).toBe(false);
    expect(leftovers()).toEqual(['adi']);
  });

  it('a bad --md5 / --sha256 / name is refused before any download', async () => {
    await expect(fetchBeirDataset('adi', { baseUrl: base(), md5: 'xyz', cacheDir: cache })).rejects.toThrow('--md5 xyz is not 32 hex digits.');
    await expect(fetchBeirDataset('../adi', { baseUrl: base(), cacheDir: cache })).rejects.toThrow('is not a dataset name');
    expect(server.requests).toHaveLength(0);
  });
});

describe('network failures are clear errors and leave nothing that looks complete', () => {
  it('404', async () => {
    const e = await errorOf(fetchBeirDataset('nosuch', { baseUrl: base(), md5: '0'.repeat(32), cacheDir: cache }));
    expect(e.message).toBe(`${base()}nosuch.zip does not exist (HTTP 404 from 127.0.0.1:${server.port}). Check the dataset name and the base URL.`);
    expect(leftovers()).toEqual([]);
  });

  it('HTTP 500', async () => {
    server.route('/beir/busy.zip', status(503, 'busy'));
    const e = await errorOf(fetchBeirDataset('busy', { baseUrl: base(), md5: '0'.repeat(32), cacheDir: cache }));
    expect(e.message).toContain('HTTP 503 Service Unavailable from 127.0.0.1');
    expect(e.message).toContain('try again later');
  });

  it('the server closing mid-download: an error, no dataset; the next run resumes with a Range request', async () => {
    const cut = Math.floor(zipAdi.length / 3);
    server.route('/cut/adi.zip', cutOffAfter(zipAdi, cut));
    const e = await errorOf(fetchBeirDataset('adi', { baseUrl: `${server.url}/cut`, md5: md5(zipAdi), cacheDir: cache }));
    expect(e.message).toMatch(new RegExp(`connection to 127\\.0\\.0\\.1:${server.port} (was closed during the download|ended after)`));
    expect(e.message).toContain('Run the command again: it resumes where it stopped.');
    expect(leftovers()).toEqual(['.adi.zip.part']); // only the partial file, whose name says so
    expect(statSync(path.join(datasetsDir(), '.adi.zip.part')).size).toBe(cut);
    expect(listDatasets({ cacheDir: cache, sharedDir: NOWHERE, bundledDir: NOWHERE })).toEqual([]);
    await expect(loadDataset({ name: 'adi' }, { cacheDir: cache, sharedDir: NOWHERE, bundledDir: NOWHERE })).rejects.toThrow('dataset `adi` not found');

    server.route('/cut/adi.zip', serveBytes(zipAdi));
    server.requests.length = 0;
    const res = await fetchBeirDataset('adi', { baseUrl: `${server.url}/cut`, md5: md5(zipAdi), cacheDir: cache });
    expect(server.requests).toEqual([{ method: 'GET', path: '/cut/adi.zip', range: `bytes=${cut}-` }]);
    expect(res.record.sha256).toBe(sha256(zipAdi));
    expect(leftovers()).toEqual(['adi']);
  });

  it('a server that ignores the Range header: the download restarts from zero', async () => {
    const cut = Math.floor(zipAdi.length / 2);
    server.route('/norange/adi.zip', cutOffAfter(zipAdi, cut));
    await errorOf(fetchBeirDataset('adi', { baseUrl: `${server.url}/norange`, md5: md5(zipAdi), cacheDir: cache }));
    server.route('/norange/adi.zip', serveBytes(zipAdi, { ranges: false }));
    const res = await fetchBeirDataset('adi', { baseUrl: `${server.url}/norange`, md5: md5(zipAdi), cacheDir: cache });
    expect(res.record.bytes).toBe(zipAdi.length);
  });

  it('a stalled transfer hits the idle timeout', async () => {
    server.route('/stall/adi.zip', stall(zipAdi));
    const e = await errorOf(fetchBeirDataset('adi', { baseUrl: `${server.url}/stall`, md5: md5(zipAdi), cacheDir: cache, idleTimeoutMs: 300 }));
    expect(e.message).toMatch(/^no answer from 127\.0\.0\.1:\d+ for 300 ms \(the transfer stalled\)/);
    expect(leftovers().filter((f) => !f.endsWith('.part'))).toEqual([]);
  });

  it('connection refused', async () => {
    const url = await refusedUrl();
    const e = await errorOf(fetchBeirDataset('adi', { baseUrl: url, md5: md5(zipAdi), cacheDir: cache }));
    expect(e.message).toMatch(/^cannot reach 127\.0\.0\.1:\d+: connection refused\. Nothing is listening there\. Are you offline\? Use --base-url/);
  });

  it('a host name that does not resolve: "cannot reach <host>: you are offline?"', async () => {
    const e = await errorOf(fetchBeirDataset('adi', { baseUrl: 'http://nonexistent-host.invalid/beir/', md5: md5(zipAdi), cacheDir: cache, headersTimeoutMs: 20_000 }));
    expect(e.message).toMatch(/^cannot reach nonexistent-host\.invalid: the name does not resolve/);
    expect(e.message).toContain('Are you offline? Use --base-url (or $RBENCH_BEIR_BASE_URL) to point at a mirror, or copy the BEIR folder by hand and pass its path');
  });
});

describe('unsafe or wrong archives', () => {
  it('zip-slip: an entry climbing out of the target folder rejects the archive; nothing is written outside', async () => {
    const z = Buffer.from(zipSync({ 'evil/corpus.jsonl': readFileSync(path.join(SOURCE.dir, 'corpus.jsonl')), '../../escaped.txt': new TextEncoder().encode('gotcha') }));
    server.route('/beir/evil.zip', serveBytes(z));
    const e = await errorOf(fetchBeirDataset('evil', { baseUrl: base(), md5: md5(z), cacheDir: cache }));
    expect(e.message).toContain('the archive entry "../../escaped.txt" climbs out of the target folder with `..`; nothing was extracted.');
    expect(existsSync(path.join(cache, 'escaped.txt'))).toBe(false);
    expect(existsSync(path.join(path.dirname(cache), 'escaped.txt'))).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('an absolute entry path is rejected too', async () => {
    const z = Buffer.from(zipSync({ '/tmp/abs.txt': new TextEncoder().encode('x') }));
    server.route('/beir/abs.zip', serveBytes(z));
    await expect(fetchBeirDataset('abs', { baseUrl: base(), md5: md5(z), cacheDir: cache })).rejects.toThrow('is an absolute path');
    expect(leftovers()).toEqual([]);
  });

  it('an archive without a BEIR folder', async () => {
    const z = Buffer.from(zipSync({ 'x/readme.txt': new TextEncoder().encode('hello') }));
    server.route('/beir/x.zip', serveBytes(z));
    const e = await errorOf(fetchBeirDataset('x', { baseUrl: base(), md5: md5(z), cacheDir: cache }));
    expect(e.message).toContain('holds no BEIR folder (corpus.jsonl, queries.jsonl, qrels/); it holds readme.txt.');
    expect(leftovers()).toEqual([]);
  });

  it('a truncated archive (whose checksum the user vouched for) fails to unpack; nothing is installed', async () => {
    const cut = zipAdi.subarray(0, Math.floor(zipAdi.length * 0.6));
    server.route('/beir/cut.zip', serveBytes(cut));
    const e = await errorOf(fetchBeirDataset('cut', { baseUrl: base(), md5: md5(cut), cacheDir: cache }));
    expect(e.message).toMatch(/is not a readable ZIP archive|is truncated|ends early/);
    expect(leftovers()).toEqual([]);
  });

  it('an HTML error page served with 200 is not a zip', async () => {
    const page = Buffer.from('<html><body>Maintenance</body></html>');
    server.route('/beir/html.zip', serveBytes(page, { contentType: 'text/html' }));
    const e = await errorOf(fetchBeirDataset('html', { baseUrl: base(), md5: md5(page), cacheDir: cache }));
    expect(e.message).toMatch(/holds no files \(or is not a ZIP archive\)|is not a readable ZIP archive/);
    expect(leftovers()).toEqual([]);
  });
});

describe('rbench datasets fetch / list / validate / stats (CLI)', () => {
  async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
    try {
      const code = await main(args);
      return { code, stdout, stderr };
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
  }

  it('fetch, then list, stats and validate it by name', async () => {
    const f = await cli(['datasets', 'fetch', 'adi', '--base-url', base(), '--md5', md5(zipAdi), '--cache', cache]);
    expect(f.code).toBe(0);
    expect(f.stdout).toContain(`adi: ${zipAdi.length} bytes, md5 as given; installed in`);
    const l = await cli(['datasets', 'list', '--cache', cache, '--format', 'json']);
    expect(l.code).toBe(0);
    const listed = (JSON.parse(l.stdout) as { datasets: { name: string; source: string; counts?: { docs: number } }[] }).datasets.find((d) => d.source === 'fetched');
    expect(listed).toMatchObject({ name: 'adi', counts: { docs: SOURCE.corpusLines } }); // list shows cheap line counts
    const s = await cli(['datasets', 'stats', path.join(datasetsDir(), 'adi'), '--format', 'json']);
    expect(s.code).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ docs: SOURCE.docs, queries: SOURCE.queries, qrels: SOURCE.qrels });
    const v = await cli(['datasets', 'validate', path.join(datasetsDir(), 'adi')]);
    expect(v.code).toBe(SOURCE.validateExit);
  });

  it('a failed fetch exits 2 with a one-paragraph message on stderr', async () => {
    const r = await cli(['datasets', 'fetch', 'nosuch', '--base-url', base(), '--cache', cache]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`rbench: ${base()}nosuch.zip does not exist (HTTP 404 from 127.0.0.1:${server.port}). Check the dataset name and the base URL.\n`);
  });
});
