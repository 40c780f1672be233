/**
 * `rbench datasets fetch <owner/name> --hub` against a local Hub stand-in on 127.0.0.1
 * (test/helpers/model-server.ts) serving dataset repositories whose parquet files the test writes from the
 * shared SciFact collection:
 * - `mteb/scifact` as the Hub has it: `main` holds the BEIR JSON files, the parquet files are in the Hub's
 *   conversion, revision refs/convert/parquet (`corpus/corpus/0000.parquet`, `default/test/0000.parquet` …);
 * - `acme/scifact-v2`: parquet on `main` in push_to_hub's layout, the corpus in three shards.
 * The stand-in answers the revision and tree APIs (sha256 of each LFS file, pages of three entries), redirects
 * LFS files to a "CDN" on another origin, and misbehaves on demand: a 404, an interrupted transfer, corrupted
 * bytes, a required token.
 *
 * Then the fetched SciFact is SciFact: the same documents, queries, judgments and counts as the BEIR copy,
 * `datasets validate|stats|list` work on it, and `rbench run` with BM25 gives exactly the BEIR copy's metrics
 * (Anserini's published nDCG@10 0.6789 and Recall@100 0.9253).
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { listDatasets, loadDataset, readFetchRecord } from '../../src/data/datasets.js';
import { fetchHubDataset, PARQUET_CONVERSION, type HubFetchOptions } from '../../src/data/hub.js';
import type { Dataset } from '../../src/data/types.js';
import { errorOf } from '../helpers/errors.js';
import { startModelServer, type ModelServer, type ModelServerOptions } from '../helpers/model-server.js';
import { readBeirRows, writeMteb } from '../helpers/mteb-parquet.js';
import { describeShared, sharedCollections } from '../helpers/shared.js';

const shared = sharedCollections(['scifact']);
const work = mkdtempSync(path.join(tmpdir(), 'rbench-hub-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const COMMITS = { main: 'a'.repeat(40), convert: 'c'.repeat(40), v2: 'b'.repeat(40) };
const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

describeShared(shared, 'fetching an MTEB dataset from a Hub', () => {
  const beirDir = shared.path('scifact');
  const repos = {
    main: path.join(work, 'repo-main'),
    convert: path.join(work, 'repo-convert'),
    v2: path.join(work, 'repo-v2'),
    partial: path.join(work, 'repo-partial'),
  };
  let beir: Dataset;
  let cache: string;
  let server: ModelServer | undefined;
  const savedEnv = { endpoint: process.env.HF_ENDPOINT, token: process.env.HF_TOKEN };

  beforeAll(async () => {
    // mteb/scifact's main: the BEIR files and a card, no parquet.
    mkdirSync(path.join(repos.main, 'qrels'), { recursive: true });
    for (const f of ['corpus.jsonl', 'queries.jsonl', 'qrels/test.tsv', 'qrels/train.tsv']) copyFileSync(path.join(beirDir, f), path.join(repos.main, f));
    writeFileSync(path.join(repos.main, 'README.md'), '---\nlicense: cc-by-sa-4.0\n---\n');
    const rows = readBeirRows(beirDir);
    writeMteb(rows, repos.convert, { layout: 'convert', scoreType: 'DOUBLE' });
    writeMteb(rows, repos.v2, { layout: 'hub', idColumn: 'id', shards: 3 });
    writeFileSync(path.join(repos.v2, 'README.md'), '# v2\n');
    // A conversion of a dataset over 5 GB: the Hub keeps only the first rows, in `partial-<split>` folders.
    writeMteb({ corpus: rows.corpus.slice(0, 10), queries: rows.queries.slice(0, 10), qrels: { test: rows.qrels.test.slice(0, 5) } }, repos.partial, { layout: 'convert' });
    renameSync(path.join(repos.partial, 'corpus', 'corpus'), path.join(repos.partial, 'corpus', 'partial-corpus'));
    beir = await loadDataset({ path: beirDir });
  }, 120_000);

  async function serve(extra: Partial<ModelServerOptions> = {}): Promise<ModelServer> {
    server = await startModelServer({
      repos: {},
      datasets: {
        'mteb/scifact': { revisions: { main: { dir: repos.main, commit: COMMITS.main }, [PARQUET_CONVERSION]: { dir: repos.convert, commit: COMMITS.convert } } },
        'acme/scifact-v2': { revisions: { main: { dir: repos.v2, commit: COMMITS.v2 } } },
        'acme/huge': { revisions: { main: { dir: repos.main, commit: COMMITS.main }, [PARQUET_CONVERSION]: { dir: repos.partial, commit: COMMITS.convert } } },
      },
      ranges: true,
      treePageSize: 3,
      ...extra,
    });
    return server;
  }

  beforeEach(() => {
    cache = mkdtempSync(path.join(work, 'cache-'));
    delete process.env.HF_ENDPOINT;
    delete process.env.HF_TOKEN;
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    if (savedEnv.endpoint === undefined) delete process.env.HF_ENDPOINT;
    else process.env.HF_ENDPOINT = savedEnv.endpoint;
    if (savedEnv.token === undefined) delete process.env.HF_TOKEN;
    else process.env.HF_TOKEN = savedEnv.token;
  });

  const fetchOpts = (o: HubFetchOptions = {}): HubFetchOptions => ({ cacheDir: cache, retryDelayMs: 1, ...o });

  /** The fetched SciFact holds what the BEIR copy holds. */
  function expectScifact(ds: Dataset): void {
    expect(ds.format).toBe('mteb');
    expect(ds.counts).toEqual(beir.counts);
    expect(ds.counts).toMatchObject({ docs: 5183, queries: 300, qrels: 339 });
    expect(ds.corpus).toEqual(beir.corpus);
    expect(ds.queries).toEqual(beir.queries);
    expect(ds.qrels).toEqual(beir.qrels);
  }

  it('mteb/scifact: main has no parquet, so the Hub\'s conversion is fetched, listed page by page, each file checked against its sha256, through the CDN', async () => {
    const s = await serve();
    process.env.HF_ENDPOINT = s.url; // the endpoint comes from $HF_ENDPOINT
    const lines: string[] = [];
    const res = await fetchHubDataset('mteb/scifact', fetchOpts({ log: (l) => lines.push(l) }));
    const folder = path.join(cache, 'datasets', 'mteb--scifact');
    expect(res).toMatchObject({ id: 'mteb/scifact', name: 'mteb--scifact', folder, alreadyPresent: false });
    expect(lines).toContain(`mteb/scifact: main holds no parquet files in the MTEB layout; trying the Hub's parquet conversion (revision ${PARQUET_CONVERSION})`);
    const files = ['corpus/corpus/0000.parquet', 'default/test/0000.parquet', 'default/train/0000.parquet', 'queries/queries/0000.parquet'];
    expect(res.files.map((f) => [f.path, f.status])).toEqual(files.map((f) => [f, 'downloaded']));
    for (const f of files) expect(sha256(path.join(folder, f))).toBe(sha256(path.join(repos.convert, f)));
    expect(readdirSync(path.join(cache, 'datasets')).sort()).toEqual(['mteb--scifact']); // no staging, lock or part left

    const record = readFetchRecord(folder)!;
    expect(record.hub).toEqual({
      id: 'mteb/scifact',
      revision: PARQUET_CONVERSION,
      commit: COMMITS.convert,
      endpoint: s.url,
      files: files.map((f) => ({ path: f, bytes: readFileSync(path.join(repos.convert, f)).length, sha256: sha256(path.join(repos.convert, f)) })),
    });
    expect(record.sha256).toBe(createHash('sha256').update(files.map((f) => `${f}\t${sha256(path.join(repos.convert, f))}\n`).join('')).digest('hex'));

    const hub = s.requests.filter((r) => r.server === 'hub').map((r) => r.path);
    expect(hub.slice(0, 2)).toEqual(['/api/datasets/mteb/scifact/revision/main', `/api/datasets/mteb/scifact/tree/${COMMITS.main}`]);
    expect(hub).toContain('/api/datasets/mteb/scifact/revision/refs%2Fconvert%2Fparquet');
    // 4 files + 7 folders in pages of 3: four pages of the conversion's tree.
    expect(hub.filter((p) => p === `/api/datasets/mteb/scifact/tree/${COMMITS.convert}`)).toHaveLength(4);
    expect(hub.filter((p) => p.includes('/resolve/')).sort()).toEqual(files.map((f) => `/datasets/mteb/scifact/resolve/${COMMITS.convert}/${f}`));
    expect(s.requests.filter((r) => r.server === 'cdn')).toHaveLength(4);

    expectScifact(await loadDataset({ name: 'mteb/scifact' }, { cacheDir: cache }));
    expectScifact(await loadDataset({ name: 'mteb--scifact', split: 'test' }, { cacheDir: cache }));
    expect(listDatasets({ cacheDir: cache, sharedDir: path.join(work, 'no-shared'), bundledDir: path.join(work, 'no-bundled') })).toEqual([
      expect.objectContaining({ name: 'mteb--scifact', source: 'fetched', format: 'mteb', splits: ['test', 'train'], path: folder }),
    ]);

    // Fetched once: the next call downloads nothing; another revision needs --force.
    const before = s.requests.length;
    expect(await fetchHubDataset('mteb/scifact', fetchOpts({ endpoint: s.url }))).toMatchObject({ alreadyPresent: true });
    expect(s.requests.length).toBe(before);
    expect((await errorOf(fetchHubDataset('mteb/scifact', fetchOpts({ endpoint: s.url, revision: 'main' })))).message).toBe(
      `${folder}: mteb/scifact is already fetched at revision ${PARQUET_CONVERSION} (commit ${COMMITS.convert}), not main. Pass --force to replace it with that revision.`,
    );
  }, 120_000);

  it('parquet on main (push_to_hub layout, `id` columns, a sharded corpus) is fetched as it is', async () => {
    const s = await serve();
    const res = await fetchHubDataset('acme/scifact-v2', fetchOpts({ endpoint: s.url }));
    expect(res.record.hub).toMatchObject({ revision: 'main', commit: COMMITS.v2 });
    expect(res.files.map((f) => f.path)).toEqual([
      'corpus/test-00000-of-00003.parquet',
      'corpus/test-00001-of-00003.parquet',
      'corpus/test-00002-of-00003.parquet',
      'qrels/test-00000-of-00001.parquet',
      'qrels/train-00000-of-00001.parquet',
      'queries/test-00000-of-00001.parquet',
    ]);
    expect(existsSync(path.join(res.folder, 'README.md'))).toBe(false); // only the parquet files
    expect(s.requests.some((r) => r.path.includes('refs%2Fconvert'))).toBe(false);
    expectScifact(await loadDataset('acme/scifact-v2', { cacheDir: cache }));
  }, 120_000);

  it('$HF_TOKEN goes to the Hub with every request and never to the CDN; without it the Hub refuses', async () => {
    const s = await serve({ token: 'hf_secret' });
    const denied = await errorOf(fetchHubDataset('acme/scifact-v2', fetchOpts({ endpoint: s.url })));
    expect(denied.message).toBe(`127.0.0.1:${new URL(s.url).port} refused access to dataset acme/scifact-v2 at revision main (HTTP 401). It may be gated or private: set $HF_TOKEN to a Hugging Face access token.`);
    process.env.HF_TOKEN = 'hf_secret';
    await fetchHubDataset('acme/scifact-v2', fetchOpts({ endpoint: s.url }));
    const hub = s.requests.filter((r) => r.server === 'hub' && r.authorized);
    expect(hub.length).toBeGreaterThan(6);
    expect(new Set(hub.map((r) => r.authorization))).toEqual(new Set(['Bearer hf_secret']));
    expect(s.requests.filter((r) => r.server === 'cdn')).toHaveLength(6);
    expect(s.requests.filter((r) => r.server === 'cdn' && r.authorized)).toEqual([]);
    expect(readFileSync(path.join(cache, 'datasets', 'acme--scifact-v2', '.rbench-fetch.json'), 'utf8')).not.toContain('hf_secret');
  }, 120_000);

  it('404s: an unknown dataset, an unknown revision, a listed file that is not there (nothing installed)', async () => {
    const s = await serve({ listedButMissing: ['qrels/train-00000-of-00001.parquet'] });
    const host = `127.0.0.1:${new URL(s.url).port}`;
    expect((await errorOf(fetchHubDataset('acme/nope', fetchOpts({ endpoint: s.url })))).message).toBe(
      `dataset acme/nope at revision main does not exist (HTTP 404 from ${host} for ${s.url}/api/datasets/acme/nope/revision/main). Check the dataset id and --revision (the Hub answers 404 for a private dataset without a token, too).`,
    );
    expect((await errorOf(fetchHubDataset('mteb/scifact', fetchOpts({ endpoint: s.url, revision: 'v9' })))).message).toContain('dataset mteb/scifact at revision v9 does not exist (HTTP 404');
    const missing = await errorOf(fetchHubDataset('acme/scifact-v2', fetchOpts({ endpoint: s.url })));
    expect(missing.message).toBe(
      `acme/scifact-v2/qrels/train-00000-of-00001.parquet does not exist (HTTP 404 from ${host} for ${s.url}/datasets/acme/scifact-v2/resolve/${COMMITS.v2}/qrels/train-00000-of-00001.parquet). Check the dataset id and --revision (the Hub answers 404 for a private dataset without a token, too).`,
    );
    expect(existsSync(path.join(cache, 'datasets', 'acme--scifact-v2'))).toBe(false);
    expect(listDatasets({ cacheDir: cache, sharedDir: path.join(work, 'no-shared'), bundledDir: path.join(work, 'no-bundled') })).toEqual([]);
  }, 120_000);

  it('a repository without MTEB parquet files anywhere is refused, naming what it holds; so is a partial conversion, before any download', async () => {
    const s = await serve();
    expect((await errorOf(fetchHubDataset('acme/huge', fetchOpts({ endpoint: s.url })))).message).toBe(
      "acme/huge at revision refs/convert/parquet holds only part of its corpus (corpus/partial-corpus/0000.parquet): the Hub's parquet conversion stops after 5 GB of a dataset, and a partial corpus gives wrong numbers. Name a revision with the complete parquet files (--revision), or download the dataset's own files and give their folder as `path:`.",
    );
    expect(s.requests.filter((r) => r.path.includes('/resolve/'))).toEqual([]);
    const e = await errorOf(fetchHubDataset('mteb/scifact', fetchOpts({ endpoint: s.url, revision: 'main' })));
    expect(e.message).toBe(
      'mteb/scifact has no parquet files in the MTEB retrieval layout: revision main holds README.md, corpus.jsonl, qrels/, queries.jsonl. rbench reads configs `corpus`, `queries` and `default` (or `qrels`) stored as parquet (e.g. corpus/test-00000-of-00001.parquet). Try without --revision (main, then refs/convert/parquet).',
    );
  }, 60_000);

  it('an interrupted transfer resumes with a Range request: within one fetch, and in the next run', async () => {
    const big = 'corpus/corpus/0000.parquet';
    const s = await serve({ cutOnce: [big] });
    const res = await fetchHubDataset('mteb/scifact', fetchOpts({ endpoint: s.url }));
    expect(res.files.find((f) => f.path === big)?.status).toBe('resumed');
    const size = readFileSync(path.join(repos.convert, big)).length;
    const resumedAt = (ranges: Array<string | undefined>): number => {
      expect(ranges).toHaveLength(2);
      expect(ranges[0]).toBeUndefined();
      const at = Number(/^bytes=(\d+)-$/.exec(ranges[1] ?? '')?.[1]);
      expect(at).toBeGreaterThan(0);
      expect(at).toBeLessThanOrEqual(Math.floor(size / 2));
      return at;
    };
    resumedAt(s.requests.filter((r) => r.server === 'cdn' && r.path.endsWith(big)).map((r) => r.range));
    expect(sha256(path.join(res.folder, big))).toBe(sha256(path.join(repos.convert, big)));
    await s.close();

    // No retries: the first run stops at the last file, leaving the files before it and a partial download,
    // which are not a dataset; the next run keeps the verified files and resumes the partial one.
    const last = 'queries/queries/0000.parquet';
    cache = mkdtempSync(path.join(work, 'cache-'));
    const s2 = await serve({ cutOnce: [last] });
    const stopped = await errorOf(fetchHubDataset('mteb/scifact', fetchOpts({ endpoint: s2.url, retries: 0 })));
    expect(stopped.message).toMatch(/^the connection to 127\.0\.0\.1:\d+ (ended after \d+ of \d+ bytes|was closed during the download) of .*queries\/queries\/0000\.parquet.* Run the command again: it resumes where it stopped\.$/);
    expect(readdirSync(path.join(cache, 'datasets')).sort()).toEqual(['.mteb--scifact.partial']);
    expect(existsSync(path.join(cache, 'datasets', '.mteb--scifact.partial', 'queries', 'queries', '0000.parquet.part'))).toBe(true);
    expect(listDatasets({ cacheDir: cache, sharedDir: path.join(work, 'no-shared'), bundledDir: path.join(work, 'no-bundled') })).toEqual([]);
    const again = await fetchHubDataset('mteb/scifact', fetchOpts({ endpoint: s2.url, retries: 0 }));
    expect(again.files.map((f) => [f.path, f.status])).toEqual([
      ['corpus/corpus/0000.parquet', 'present'],
      ['default/test/0000.parquet', 'present'],
      ['default/train/0000.parquet', 'present'],
      [last, 'resumed'],
    ]);
    const lastSize = readFileSync(path.join(repos.convert, last)).length;
    const ranges = s2.requests.filter((r) => r.server === 'cdn' && r.path.endsWith(last)).map((r) => r.range);
    expect(ranges[0]).toBeUndefined();
    expect(Number(/^bytes=(\d+)-$/.exec(ranges[1] ?? '')?.[1])).toBeGreaterThan(0);
    expect(Number(/^bytes=(\d+)-$/.exec(ranges[1] ?? '')?.[1])).toBeLessThanOrEqual(lastSize / 2);
    expect(s2.requests.filter((r) => r.server === 'cdn' && r.path.endsWith('corpus/corpus/0000.parquet'))).toHaveLength(1);
    expectScifact(await loadDataset({ name: 'mteb/scifact' }, { cacheDir: cache }));
  }, 120_000);

  it('bytes that do not match the listed sha256 are refused and nothing is installed', async () => {
    const s = await serve({ corrupt: ['default/test/0000.parquet'] });
    const e = await errorOf(fetchHubDataset('mteb/scifact', fetchOpts({ endpoint: s.url })));
    const want = sha256(path.join(repos.convert, 'default/test/0000.parquet'));
    expect(e.message).toMatch(
      new RegExp(
        `^checksum mismatch for mteb/scifact/default/test/0000\\.parquet: it has sha256 [0-9a-f]{64}, the file list says ${want} \\(\\d+ bytes\\); the download was deleted and nothing was installed\\. The server sent other bytes than its file list describes`,
      ),
    );
    expect(existsSync(path.join(cache, 'datasets', 'mteb--scifact'))).toBe(false);
    expect(existsSync(path.join(cache, 'datasets', '.mteb--scifact.partial', 'default', 'test', '0000.parquet'))).toBe(false);
  }, 120_000);

  it('a mirror serving parquet outside LFS: files checked against their git blob ids', async () => {
    const s = await serve({ lfs: () => false, corrupt: ['qrels/train-00000-of-00001.parquet'] });
    const e = await errorOf(fetchHubDataset('acme/scifact-v2', fetchOpts({ endpoint: s.url })));
    expect(e.message).toMatch(/^checksum mismatch for acme\/scifact-v2\/qrels\/train-00000-of-00001\.parquet: its git blob id is [0-9a-f]{40}, the file list says [0-9a-f]{40} \(\d+ bytes\); the download was deleted and nothing was installed\./);
    await s.close();
    const ok = await serve({ lfs: () => false });
    await fetchHubDataset('acme/scifact-v2', fetchOpts({ endpoint: ok.url }));
    expect(ok.requests.filter((r) => r.server === 'cdn')).toEqual([]);
    expectScifact(await loadDataset('acme/scifact-v2', { cacheDir: cache }));
  }, 120_000);

  async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((x: string | Uint8Array) => ((stdout += String(x)), true));
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((x: string | Uint8Array) => ((stderr += String(x)), true));
    try {
      return { code: await main(args), stdout, stderr };
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
  }

  it('the commands: fetch --hub, list, validate and stats on the parquet folder; flags that need --hub', async () => {
    const s = await serve();
    const fetched = await cli(['datasets', 'fetch', 'mteb/scifact', '--hub', '--endpoint', s.url, '--cache', cache]);
    expect(fetched.code).toBe(0);
    expect(fetched.stdout).toContain(`mteb/scifact: 4 parquet files, `);
    expect(fetched.stdout).toContain(`revision ${PARQUET_CONVERSION} (commit cccccccccccc); installed in `);
    expect(fetched.stdout).toContain('use it as `- name: mteb--scifact` in a config (or `name: mteb/scifact`)');

    const list = await cli(['datasets', 'list', '--cache', cache, '--format', 'json']);
    const entry = (JSON.parse(list.stdout) as { datasets: Array<Record<string, unknown>> }).datasets.find((d) => d.name === 'mteb--scifact');
    expect(entry).toMatchObject({ source: 'fetched', format: 'mteb', splits: ['test', 'train'], counts: { docs: 5183, queries: 1109, qrels: { test: 339, train: 919 } } });

    const v = await cli(['datasets', 'validate', 'mteb/scifact', '--cache', cache]);
    expect(v.code).toBe(0);
    expect(v.stdout).toContain('mteb--scifact (split test, mteb) at ');
    expect(v.stdout).toContain('5183 documents; 300 queries in the split (of 1109 in the queries file); 300 judged queries, 300 with a relevant document; 339 judgments over 283 documents');
    expect(v.stdout).toContain('verdict: clean (no errors, no warnings)');
    const folder = path.join(cache, 'datasets', 'mteb--scifact');
    const byPath = await cli(['datasets', 'stats', folder, '--split', 'train', '--format', 'json']);
    expect(JSON.parse(byPath.stdout)).toMatchObject({ name: 'mteb--scifact', split: 'train', docs: 5183, queries: 809, qrels: 919 });
    const beirStats = await cli(['datasets', 'stats', beirDir, '--format', 'json']);
    const pqStats = await cli(['datasets', 'stats', 'mteb--scifact', '--cache', cache, '--format', 'json']);
    const strip = (j: string): Record<string, unknown> => {
      const { name: _n, path: _p, sha256: _s, ...rest } = JSON.parse(j) as Record<string, unknown>;
      return rest;
    };
    expect(strip(pqStats.stdout)).toEqual(strip(beirStats.stdout));

    const noHub = await cli(['datasets', 'fetch', 'mteb/scifact', '--cache', cache]);
    expect(noHub.code).toBe(2);
    expect(noHub.stderr).toContain('mteb/scifact is not a BEIR dataset name; it looks like a Hugging Face dataset id. Add --hub: `rbench datasets fetch mteb/scifact --hub`.');
    const rev = await cli(['datasets', 'fetch', 'scifact', '--revision', 'main', '--cache', cache]);
    expect(rev.code).toBe(2);
    expect(rev.stderr).toContain('--revision applies to Hugging Face datasets: add --hub.');
    const missing = await cli(['datasets', 'stats', 'acme/other', '--cache', cache]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`\`acme/other\` is neither a folder (${path.resolve('acme/other')}) nor a fetched Hugging Face dataset (${path.join(cache, 'datasets', 'acme--other')}). \`rbench datasets fetch acme/other --hub\` downloads it from the Hub; or check the path.`);
  }, 120_000);

  it('`rbench run` with BM25 on the fetched parquet SciFact gives exactly the BEIR copy\'s metrics (nDCG@10 0.6789, Recall@100 0.9253)', async () => {
    const s = await serve();
    await fetchHubDataset('mteb/scifact', fetchOpts({ endpoint: s.url }));
    const config = path.join(work, 'parquet-vs-beir.yaml');
    writeFileSync(
      config,
      `name: parquet-vs-beir
datasets:
  - name: mteb/scifact
  - path: ${beirDir}
    label: scifact-beir
retrievers:
  - name: bm25
    type: bm25
    engine: lucene
candidates: [100]
rerankers: [none]
batchSizes: [1]
metrics: [ndcg@10, recall@100]
latency: { skip: true }
`,
    );
    const out = path.join(work, 'run-out');
    const r = await cli(['run', config, '--out', out, '--cache', cache, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as {
      datasets: Array<{ name: string; docs: number; queries: number; qrels: number }>;
      results: Array<{ dataset: string; metrics: Record<string, number>; perQuery: Record<string, Record<string, number>> }>;
    };
    expect(results.datasets.map((d) => [d.name, d.docs, d.queries, d.qrels])).toEqual([
      ['mteb--scifact', 5183, 300, 339],
      ['scifact-beir', 5183, 300, 339],
    ]);
    const pq = results.results.find((x) => x.dataset === 'mteb--scifact')!;
    const bq = results.results.find((x) => x.dataset === 'scifact-beir')!;
    expect(pq.metrics).toEqual(bq.metrics); // bit for bit
    expect(pq.perQuery).toEqual(bq.perQuery);
    expect(Math.abs(pq.metrics['ndcg@10'] - 0.6789)).toBeLessThanOrEqual(0.0005);
    expect(Math.abs(pq.metrics['recall@100'] - 0.9253)).toBeLessThanOrEqual(0.0005);
  }, 300_000);
});
